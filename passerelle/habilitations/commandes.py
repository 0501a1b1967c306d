"""``passerelle conventions …``: each convention, its effective status and what it allows;
``passerelle robots …``: the digital assistants, their agreed windows and rates (annexe 2)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Optional

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
    for c in conventions:
        typer.echo("\n".join(decrire(c, conventions, jour)))


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
