"""``passerelle exemple FLUX``: a body valid today, written for the integrator's first try; and
``passerelle schemas generer``, the published schemas written from the same models.

The bodies come from :mod:`passerelle.catalogue.exemples`; this module only reads the
configuration (the register and the legal-age table of ``--config``), picks the day and writes
JSON, NDJSON or CSV. What to run next (which key sends it) goes to standard error, so standard
output stays the body alone and can be redirected.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer

from passerelle.catalogue.exemples import EXEMPLES, ExempleImpossible, exemple as construire
from passerelle.ligne_de_commande import Application
from passerelle.ligne_de_commande.sorties import Sortie, erreur

LOT_MAX = 800
FLUX_EN_LOT = ("rdc", "passage-retraite")


def _jour(texte: Optional[str]) -> date:
    if texte is None:
        return datetime.now(timezone.utc).date()
    try:
        return date.fromisoformat(texte)
    except ValueError:
        erreur(f"date illisible: {texte!r} (attendu: AAAA-MM-JJ)", Sortie.USAGE)


def en_csv(modele: Any, lignes: list[dict[str, Any]]) -> str:
    """The batch as CSV with the annex-1 column names (``NIRAssuré``…), ``;``-separated."""
    from passerelle.catalogue.colonnes import SEPARATEUR_LISTE, colonnes

    presents = [(colonne, champ) for colonne, champ in colonnes(modele) if any(champ in l for l in lignes)]
    tampon = io.StringIO()
    ecrivain = csv.writer(tampon, delimiter=";", lineterminator="\n")
    ecrivain.writerow([colonne for colonne, _ in presents])
    for ligne in lignes:
        valeurs = []
        for _, champ in presents:
            valeur = ligne.get(champ, "")
            if isinstance(valeur, list):
                valeur = SEPARATEUR_LISTE.join(str(v) for v in valeur)
            valeurs.append("" if valeur is None else str(valeur))
        ecrivain.writerow(valeurs)
    return tampon.getvalue()


def ecrire_exemple(flux: str, jour: date, config: Path, *, en_reponse_a: Optional[str] = None,
                   nir: Optional[str] = None, lot: int = 0, format_: str = "json") -> str:
    """The text ``passerelle exemple`` writes (also used to regenerate docs/exemples/)."""
    from passerelle.catalogue.age_legal import charger_table_age_legal
    from passerelle.catalogue.registre import charger_catalogue

    catalogue = charger_catalogue(config / "flux.yaml")
    if flux not in catalogue:
        erreur(f"flux inconnu: {flux!r}; flux du registre ({config / 'flux.yaml'}): {', '.join(sorted(catalogue))}",
               Sortie.USAGE)
    table = charger_table_age_legal(config / "regles" / "age-legal.yaml")
    try:
        if not lot:
            if format_ == "csv":
                erreur("--format csv: pour un lot seulement (--lot N)", Sortie.USAGE)
            corps = construire(flux, jour, table, en_reponse_a=en_reponse_a, nir=nir)
            return json.dumps(corps, ensure_ascii=False, indent=2) + "\n"
        if flux not in FLUX_EN_LOT:
            erreur(f"pas de lot d'exemple pour {flux}: les lots d'exemple sont ceux des envois annuels et "
                   f"mensuels de l'annexe 1 ({', '.join(FLUX_EN_LOT)})", Sortie.USAGE)
        if not 1 <= lot <= LOT_MAX:
            erreur(f"--lot: de 1 à {LOT_MAX} messages", Sortie.USAGE)
        lignes = [construire(flux, jour, table, rang=rang) for rang in range(1, lot + 1)]
    except ExempleImpossible as exc:
        erreur(str(exc), Sortie.USAGE)
    if format_ == "csv":
        return en_csv(catalogue[flux].modele, lignes)
    return "".join(json.dumps(l, ensure_ascii=False, separators=(",", ":")) + "\n" for l in lignes)


def exemple(
    flux: str = typer.Argument(..., help="le flux: rdc, passage-retraite, cloture-rdc, avis-depot… (tous ceux de "
                               "config/flux.yaml, voir docs/catalogue.md)"),
    sortie: Optional[Path] = typer.Option(None, "--sortie", "-o", help="fichier à écrire (défaut: la sortie standard)"),
    le: Optional[str] = typer.Option(None, "--le", help="jour où le corps doit être valide, AAAA-MM-JJ (défaut: "
                                     "aujourd'hui, UTC, comme la passerelle)"),
    en_reponse_a: Optional[str] = typer.Option(None, "--en-reponse-a", help="pour une réponse (cloture-rdc, "
                                               "avis-depot…): l'id du message auquel elle répond"),
    nir: Optional[str] = typer.Option(None, "--nir", help="pour une réponse: le NIR du message auquel elle répond "
                                      "(défaut: celui de l'exemple de la demande du même jour)"),
    lot: int = typer.Option(0, "--lot", help=f"écrire un lot de N personnes distinctes (rdc, passage-retraite; "
                            f"1 à {LOT_MAX}), NDJSON ou CSV"),
    format_: str = typer.Option("json", "--format", help="json (un message), ndjson ou csv (un lot)"),
    config: Path = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG",
                                help="dossier de configuration (registre des flux, table de l'âge légal)"),
) -> None:
    """Écrire un corps valide aujourd'hui pour un flux (personne fictive, NIR à clé valide, dates dans
    les fenêtres de l'âge légal), ou un lot NDJSON/CSV; la commande d'envoi est rappelée à la fin."""
    if format_ not in ("json", "ndjson", "csv"):
        erreur(f"--format: json, ndjson ou csv (reçu {format_!r})", Sortie.USAGE)
    jour = _jour(le)
    texte = ecrire_exemple(flux, jour, config, en_reponse_a=en_reponse_a, nir=nir,
                           lot=lot or (1 if format_ in ("ndjson", "csv") else 0), format_=format_)
    if sortie is None:
        sys.stdout.write(texte)
    else:
        sortie.write_text(texte, encoding="utf-8")
    modele = EXEMPLES[flux]
    nom = str(sortie) if sortie else f"{flux}.json"
    if modele.lecture_seule:
        typer.echo(f"{flux}: émis par la passerelle seule; exemple de ce qui arrive en boîte, aucun organisme "
                   "ne peut l'envoyer", err=True)
    elif lot or format_ != "json":
        typer.echo(f"lot {flux} valide le {jour:%d/%m/%Y}; envoi: passerelle lots envoyer {flux} {nom} "
                   f"--keyid {modele.emetteur} --agent votre.nom", err=True)
    else:
        typer.echo(f"corps {flux} valide le {jour:%d/%m/%Y}; envoi: passerelle envoyer {flux} {nom} "
                   f"--keyid {modele.emetteur} --agent votre.nom", err=True)


schemas_app = Application(help="Schémas JSON publiés des flux")

ConfigOption = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG", help="dossier de configuration")


@schemas_app.command("generer")
def schemas_generer(
    dossier: Path = typer.Option(Path("schemas"), "--dossier", help="dossier où écrire un schéma par flux"),
    config: Path = ConfigOption,
) -> None:
    """Régénérer les schémas JSON publiés depuis les modèles du catalogue."""
    from passerelle.catalogue.registre import charger_catalogue
    from passerelle.catalogue.schemas import ecrire_schemas

    ecrire_schemas(dossier, charger_catalogue(config / "flux.yaml"))
    typer.echo(f"schémas écrits dans {dossier}/")
