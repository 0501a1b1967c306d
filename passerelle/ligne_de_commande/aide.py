"""The help pages and usage errors of the command line, written in French by us.

Typer and Click write their own words in English ("Usage", "Options", "Show this message and
exit.", "Missing argument"…), and the translation hooks they offer cover only part of them and
change between versions. So the help page is composed here from what every command declares
(its docstring, its parameters' ``help``, defaults, environment variables), and a usage error
is rewritten from the exception's attributes, not from its English text.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from datetime import date, datetime
from pathlib import Path
from typing import Any

AIDE_OPTION_AIDE = "afficher cette aide et quitter"
NOMS_TYPES = {str: "TEXTE", int: "ENTIER", float: "NOMBRE", Path: "CHEMIN", datetime: "INSTANT", date: "DATE"}


def _annotation(parametre: Any) -> Any:
    descripteur = getattr(parametre, "type_descriptor", None)
    if descripteur is not None:
        return getattr(descripteur, "annotation", None)
    return None


def _sans_optionnel(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        autres = [a for a in typing.get_args(annotation) if a is not type(None)]
        return autres[0] if len(autres) == 1 else annotation
    return annotation


def nature(parametre: Any) -> str:
    """The French metavar of a parameter: TEXTE, ENTIER, CHEMIN, {a|b}…"""
    if getattr(parametre, "metavar", None):
        return str(parametre.metavar)
    annotation = _sans_optionnel(_annotation(parametre))
    repete = ""
    if typing.get_origin(annotation) is list:
        annotation = _sans_optionnel(typing.get_args(annotation)[0])
        repete = "…"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "{" + "|".join(str(m.value) for m in annotation) + "}" + repete
    if isinstance(annotation, type):
        for base, nom in NOMS_TYPES.items():
            if issubclass(annotation, base):
                return nom + repete
    type_click = getattr(parametre, "type", None)
    nom = getattr(type_click, "name", "") or "valeur"
    return {"text": "TEXTE", "integer": "ENTIER", "float": "NOMBRE", "path": "CHEMIN"}.get(nom, nom.upper()) + repete


def nom_argument(parametre: Any) -> str:
    return str(getattr(parametre, "metavar", None) or parametre.name).upper().replace("_", "-")


def est_argument(parametre: Any) -> bool:
    return getattr(parametre, "param_type_name", "") == "argument"


def est_drapeau(parametre: Any) -> bool:
    return bool(getattr(parametre, "is_flag", False)) or _sans_optionnel(_annotation(parametre)) is bool


def _defaut(parametre: Any) -> str | None:
    valeur = getattr(parametre, "default", None)
    if valeur is None or valeur is False or valeur == [] or valeur == () or est_drapeau(parametre):
        return None
    if callable(valeur) or type(valeur).__name__ in ("DefaultPlaceholder", "_Missing", "Sentinel"):
        return None
    if isinstance(valeur, enum.Enum):
        valeur = valeur.value
    return str(valeur)


def _precisions(parametre: Any) -> str:
    morceaux = []
    if getattr(parametre, "required", False):
        morceaux.append("obligatoire")
    defaut = _defaut(parametre)
    if defaut not in (None, ""):
        morceaux.append(f"défaut: {defaut}")
    variables = getattr(parametre, "envvar", None)
    if variables:
        noms = [variables] if isinstance(variables, str) else list(variables)
        morceaux.append("variable: " + ", ".join(noms))
    if getattr(parametre, "multiple", False) and not est_argument(parametre):
        morceaux.append("répétable")
    return f"  [{'; '.join(morceaux)}]" if morceaux else ""


def _options(parametre: Any) -> str:
    noms = ", ".join([*parametre.opts, *getattr(parametre, "secondary_opts", [])])
    return noms if est_drapeau(parametre) else f"{noms} {nature(parametre)}"


def texte_commande(commande: Any) -> str:
    return inspect.cleandoc(commande.help or "").partition("\f")[0].strip()


def resume(commande: Any, limite: int = 200) -> str:
    """The first sentence (or line) of a command's help, for the list of commands."""
    texte = commande.short_help or texte_commande(commande)
    premiere = " ".join(texte.split("\n\n")[0].split())
    return premiere if len(premiere) <= limite else premiere[: limite - 1] + "…"


def parametres_visibles(commande: Any) -> list[Any]:
    return [p for p in commande.params if not getattr(p, "hidden", False)]


def ecrire_aide(commande: Any, contexte: Any, formateur: Any, sous_commandes: list[tuple[str, Any]] | None) -> None:
    """Write ``commande``'s help page in French into Click's ``formateur``."""
    arguments = [p for p in parametres_visibles(commande) if est_argument(p)]
    options = [p for p in parametres_visibles(commande) if not est_argument(p)]
    morceaux = ["[OPTIONS]"]
    morceaux += [nom_argument(p) + ("…" if getattr(p, "nargs", 1) == -1 else "") for p in arguments]
    if sous_commandes is not None:
        morceaux += ["COMMANDE", "[ARGUMENTS]…"]
    formateur.write_usage(contexte.command_path, " ".join(morceaux), prefix="Utilisation : ")
    texte = texte_commande(commande)
    if texte:
        formateur.write_paragraph()
        with formateur.indentation():
            formateur.write_text(texte)
    if arguments:
        with formateur.section("Arguments"):
            formateur.write_dl([(nom_argument(p), (p.help or "") + _precisions(p)) for p in arguments])
    lignes = [(_options(p), (p.help or "") + _precisions(p)) for p in options]
    lignes.append((", ".join(contexte.help_option_names), AIDE_OPTION_AIDE))
    with formateur.section("Options"):
        formateur.write_dl(lignes)
    if sous_commandes:
        with formateur.section("Commandes"):
            formateur.write_dl([(nom, resume(sous)) for nom, sous in sous_commandes])
    if commande.epilog:
        formateur.write_paragraph()
        with formateur.indentation():
            formateur.write_text(inspect.cleandoc(commande.epilog))


# --- usage errors -----------------------------------------------------------------------------


def _nom(parametre: Any) -> str:
    if parametre is None:
        return "paramètre"
    if est_argument(parametre):
        return f"argument {nom_argument(parametre)}"
    return "option " + "/".join(parametre.opts)


def message_usage(exc: Any) -> str:
    """A Click/Typer usage error in French, rebuilt from its attributes."""
    genre = type(exc).__name__
    parametre = getattr(exc, "param", None)
    if genre == "MissingParameter":
        if parametre is not None and est_argument(parametre):
            return f"{_nom(parametre)} manquant"
        return f"{_nom(parametre)} obligatoire" + (f" ({parametre.help})" if parametre is not None and parametre.help else "")
    if genre == "NoSuchOption":
        proches = sorted(getattr(exc, "possibilities", None) or [])
        suggestion = f" (voulez-vous dire {', '.join(proches)} ?)" if proches else ""
        return f"option inconnue: {exc.option_name}{suggestion}"
    if genre == "BadOptionUsage":
        message = str(getattr(exc, "message", ""))
        if "does not take" in message:
            return f"l'option {exc.option_name} ne prend pas de valeur"
        return f"l'option {exc.option_name} attend une valeur"
    if genre == "BadParameter":
        attendu = nature(parametre) if parametre is not None else "valeur"
        traductions = {"ENTIER": "nombre entier attendu", "NOMBRE": "nombre attendu", "CHEMIN": "chemin attendu",
                       "INSTANT": "date et heure attendues (AAAA-MM-JJTHH:MM:SS)", "DATE": "date attendue (AAAA-MM-JJ)"}
        if attendu.startswith("{"):
            return f"valeur invalide pour {_nom(parametre)}: valeurs admises {attendu}"
        return f"valeur invalide pour {_nom(parametre)}: {traductions.get(attendu, 'valeur refusée')}"
    message = str(getattr(exc, "message", exc))
    if message.startswith("No such command"):
        nom = message.removeprefix("No such command").strip(" .'\"")
        return f"commande inconnue: {nom}"
    if message.startswith("Got unexpected extra argument"):
        return "argument(s) en trop: " + message.partition("(")[2].rstrip(")")
    if message.startswith("Missing command"):
        return "commande manquante"
    return f"ligne de commande invalide ({message})"
