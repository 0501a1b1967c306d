"""``passerelle conventions …``: each convention, its effective status and what it allows;
``passerelle robots …``: the digital assistants, their agreed windows and rates (annexe 2)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Optional

import typer

from passerelle.annuaire.chargement import AnnuaireInvalide, charger_annuaire
from passerelle.ligne_de_commande import Application, Sortie
from passerelle.ligne_de_commande import erreur as _erreur
from passerelle.ligne_de_commande import imprimer_json as _imprimer_json

conventions_app = Application(help="Conventions et ce qu'elles autorisent")
robots_app = Application(help="Assistants digitaux (robots) de l'annuaire: plages et débits convenus (annexe 2)")

ConfigOption = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG", help="dossier de configuration")
JsonOption = typer.Option(False, "--json", help="sortie JSON (pour un script) au lieu du texte")


@conventions_app.command("lister")
def conventions_lister(
    config: Path = ConfigOption,
    le: Optional[str] = typer.Option(None, "--le", help="jour d'évaluation AAAA-MM-JJ (défaut: aujourd'hui, UTC)"),
    base: Optional[str] = typer.Option(None, "--base", envvar="PASSERELLE_BASE", help="base où lire les suspensions (art. 3.3)"),
) -> None:
    """Chaque convention: son statut effectif ce jour-là et pourquoi (préavis, caducité), ce
    qu'elle autorise et les délais de réponse convenus (passerelle/habilitations/cycle.py)."""
    from passerelle.habilitations.conventions import ConventionsInvalides, charger_conventions
    from passerelle.habilitations.cycle import decrire

    try:
        jour = date.fromisoformat(le) if le else datetime.now(timezone.utc).date()
    except ValueError:
        _erreur(f"date illisible: {le!r} (attendu: AAAA-MM-JJ)", Sortie.USAGE)
    try:
        conventions = charger_conventions(config / "conventions")
    except ConventionsInvalides as exc:
        _erreur(f"configuration refusée: {exc}", Sortie.CONFIGURATION)
    suspensions, pourquoi = suspensions_en_vigueur(base)
    for c in conventions:
        typer.echo("\n".join(decrire(c, conventions, jour) + lignes_suspension(suspensions, c.id)))
    if pourquoi:
        typer.echo(pourquoi, err=True)


@robots_app.command("lister")
def robots_lister(config: Path = ConfigOption, json_: bool = JsonOption) -> None:
    """Chaque robot: organisme, responsable, profil, débit, plages convenues, état à cet instant, clés."""
    from passerelle.habilitations.robots import heure_locale, verifier_plage
    from passerelle.erreurs import Refus

    try:
        annuaire = charger_annuaire(config, developpement=True)
    except AnnuaireInvalide as exc:
        _erreur(f"configuration refusée: {exc}", Sortie.CONFIGURATION)
    maintenant = datetime.now(timezone.utc)
    vues = []
    for robot in sorted(annuaire.robots.values(), key=lambda r: (r.organisme, r.id)):
        try:
            verifier_plage(robot, maintenant)
            etat = "dans ses plages"
        except Refus:
            etat = "hors plage"
        local = heure_locale(robot, maintenant)
        cles = sorted(c.keyid for c in annuaire.cles.values() if c.robot == robot.id)
        vues.append({"id": robot.id, "organisme": robot.organisme, "responsable": robot.responsable,
                     "profil": robot.profil, "debit_par_minute": robot.debit_par_minute, "fuseau": robot.fuseau,
                     "plages": robot.plages_texte(), "dans_ses_plages": etat == "dans ses plages", "cles": cles})
        if json_:
            continue
        typer.echo(f"{robot.id} ({robot.organisme}) — responsable: {robot.responsable}")
        if robot.description:
            typer.echo(f"  {robot.description}")
        typer.echo(f"  profil {robot.profil}, {robot.debit_par_minute} requêtes/minute au plus")
        typer.echo(f"  plages ({robot.fuseau}): {robot.plages_texte()}")
        typer.echo(f"  maintenant {local:%d/%m/%Y %H:%M}: {etat}; clés: {', '.join(cles) or 'aucune'}")
    if json_:
        _imprimer_json(vues)


def suspensions_en_vigueur(base: Optional[str]) -> tuple[Mapping[str, Any] | None, str | None]:
    """For ``conventions lister``: the suspensions in the gateway's database, or why not read
    (no database given and none at the default place, or unreadable). Never creates a database."""
    import sqlalchemy as sa

    from passerelle.reglages import Reglages
    from passerelle.stockage.base import lecture, normaliser_url, ouvrir
    from passerelle.stockage.suspensions import lire_toutes

    url = normaliser_url(base or Reglages.model_fields["base"].default)
    adresse = sa.engine.make_url(url)
    if adresse.get_backend_name() == "sqlite" and (not adresse.database or not Path(adresse.database).exists()):
        return None, f"suspensions non lues: pas de base {adresse.database or '(mémoire)'} (--base / PASSERELLE_BASE)"
    moteur = ouvrir(url)  # every wait bounded (stockage/base.py)
    try:
        with lecture(moteur) as connexion:
            return lire_toutes(connexion), None
    except sa.exc.SQLAlchemyError as exc:
        return None, f"suspensions non lues ({type(exc).__name__}): vérifiez --base / PASSERELLE_BASE et « passerelle base migrer »"
    finally:
        moteur.dispose()


def lignes_suspension(suspensions: Mapping[str, Any] | None, convention: str) -> list[str]:
    from passerelle.habilitations.suspensions import texte_instant

    suspension = (suspensions or {}).get(convention)
    if suspension is None:
        return []
    qui = suspension.par + (f" ({suspension.organisme})" if suspension.organisme else " (exploitant)")
    return [f"  SUSPENDUE depuis le {texte_instant(suspension.suspendue_le)} par {qui} : {suspension.motif}"]
