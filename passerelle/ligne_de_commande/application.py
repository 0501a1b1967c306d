"""``Application``: a ``typer.Typer`` whose help is French and whose failures are one line.

Every group and command of ``passerelle`` is built through it (``Application(help=…)``,
``@app.command()``): the classes below write the help pages (``aide.py``), and the root group's
``main`` runs the whole command under :func:`~passerelle.ligne_de_commande.erreurs.traduire`,
so no exception a person can cause reaches the terminal as a traceback.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from passerelle.ligne_de_commande import aide
from passerelle.ligne_de_commande.erreurs import traduire
from passerelle.ligne_de_commande.sorties import Sortie, afficher_erreur

try:  # Typer ≥ 0.20 carries its own copy of Click
    from typer._click import exceptions as _exceptions_click
except ImportError:  # pragma: no cover
    import click.exceptions as _exceptions_click  # type: ignore[no-redef]

_AideSansArguments = getattr(_exceptions_click, "NoArgsIsHelpError", ())
OPTIONS_AIDE = ["--help", "-h"]
TRACE = "--trace"


class CommandeFr(TyperCommand):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        aide.ecrire_aide(self, ctx, formatter, None)


class GroupeFr(TyperGroup):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        sous = [(nom, self.get_command(ctx, nom)) for nom in self.list_commands(ctx)]
        aide.ecrire_aide(self, ctx, formatter, [(n, c) for n, c in sous if c is not None and not c.hidden])

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        arguments = list(sys.argv[1:] if args is None else args)
        trace = TRACE in arguments
        arguments = [a for a in arguments if a != TRACE]
        code = int(executer(lambda: super(GroupeFr, self).main(
            args=arguments, prog_name="passerelle", complete_var=complete_var,
            standalone_mode=False, **extra), trace))
        if standalone_mode:
            sys.exit(code)
        return code


def executer(commande: Callable[[], Any], trace: bool = False) -> int:
    """Run ``commande``; every failure becomes its French line and exit code."""
    try:
        resultat = commande()
    except _AideSansArguments as exc:  # type: ignore[misc]
        typer.echo(exc.ctx.get_help())
        return Sortie.OK
    except _exceptions_click.UsageError as exc:
        chemin = exc.ctx.command_path if exc.ctx is not None else "passerelle"
        afficher_erreur(f"{aide.message_usage(exc)} — voir « {chemin} --help »")
        return Sortie.USAGE
    except typer.Abort:
        afficher_erreur("interrompu")
        return Sortie.INTERROMPU
    except typer.Exit as exc:
        return int(exc.exit_code)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:  # noqa: BLE001 — the one place a failure is turned into words
        if isinstance(exc, _exceptions_click.ClickException):
            if type(exc).__name__ == "FileError":
                afficher_erreur(f"fichier illisible: {getattr(exc, 'ui_filename', '')}")
                return Sortie.FICHIER
            afficher_erreur(str(exc.format_message()))
            return exc.exit_code
        traduit = traduire(exc)
        if traduit is not None:
            afficher_erreur(traduit[0])
            return traduit[1]
        if trace:
            traceback.print_exc()
        afficher_erreur(
            f"erreur interne inattendue ({type(exc).__name__}: {exc}); relancez avec --trace pour la "
            "trace complète et signalez-la à l'équipe de la passerelle"
        )
        return Sortie.INTERNE
    return resultat if isinstance(resultat, int) else Sortie.OK


class Application(typer.Typer):
    """A ``typer.Typer`` with French help pages and one-line errors (see the module)."""

    def __init__(self, *, help: str, **options: Any) -> None:
        options.setdefault("cls", GroupeFr)
        options.setdefault("rich_markup_mode", None)
        options.setdefault("add_completion", False)
        options.setdefault("no_args_is_help", True)
        options.setdefault("pretty_exceptions_enable", False)
        parametres = dict(options.pop("context_settings", None) or {})
        parametres.setdefault("help_option_names", OPTIONS_AIDE)
        super().__init__(help=help, context_settings=parametres, **options)

    def command(self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **options: Any) -> Any:
        parametres = dict(options.pop("context_settings", None) or {})
        parametres.setdefault("help_option_names", OPTIONS_AIDE)
        return super().command(name, cls=cls or CommandeFr, context_settings=parametres, **options)
