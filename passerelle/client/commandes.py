"""The reference client on the command line: what an integrator runs before writing code."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Optional

import typer

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.client.client import ClientPasserelle, ReponsePasserelle

boite_app = typer.Typer(help="Client de référence: lire et acquitter sa boîte", no_args_is_help=True)
lots_app = typer.Typer(help="Client de référence: envoyer un lot (NDJSON ou CSV)", no_args_is_help=True)

UrlOption = typer.Option("http://127.0.0.1:8000", "--url", envvar="PASSERELLE_URL")
KeyidOption = typer.Option(..., "--keyid", help="identifiant de la clé de l'organisme")
CleOption = typer.Option(None, "--cle", help="clé privée PEM (défaut: <config>/developpement/cles/<keyid>.pem)")
AgentOption = typer.Option(..., "--agent", help="l'agent pour qui la requête est faite (Passerelle-Agent)")
ConfigOption = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG")


def _client(url: str, keyid: str, cle: Optional[Path], agent: str, config: Path) -> ClientPasserelle:
    chemin = cle or config / "developpement" / "cles" / f"{keyid}.pem"
    if not chemin.is_file():
        typer.secho(f"clé privée introuvable: {chemin} (option --cle)", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1)
    return ClientPasserelle(url, lire_privee_pem(chemin.read_bytes()), keyid, agent)


def _afficher(reponse: ReponsePasserelle) -> None:
    typer.echo(json.dumps(reponse.donnees, ensure_ascii=False, indent=2))
    if reponse.statut >= 400:
        raise typer.Exit(code=1)


def envoyer(
    flux: str,
    fichier: Path = typer.Argument(..., help="fichier JSON du message ('-' pour l'entrée standard)"),
    url: str = UrlOption,
    keyid: str = KeyidOption,
    cle: Optional[Path] = CleOption,
    agent: str = AgentOption,
    idempotence: Optional[str] = typer.Option(None, "--idempotence", help="Idempotency-Key (défaut: une clé neuve)"),
    config: Path = ConfigOption,
) -> None:
    """Signer et envoyer un message comme un organisme; l'accusé de réception est vérifié (JWKS)."""
    corps = sys.stdin.buffer.read() if str(fichier) == "-" else fichier.read_bytes()
    with _client(url, keyid, cle, agent, config) as client:
        _afficher(client.envoyer(flux, corps, cle_idempotence=idempotence or str(uuid.uuid4())))


@boite_app.command("lire")
def boite_lire(
    url: str = UrlOption,
    keyid: str = KeyidOption,
    cle: Optional[Path] = CleOption,
    agent: str = AgentOption,
    curseur: Optional[str] = typer.Option(None, "--curseur"),
    limite: int = typer.Option(50, "--limite"),
    config: Path = ConfigOption,
) -> None:
    """Lire sa boîte (messages non acquittés, du plus ancien au plus récent)."""
    with _client(url, keyid, cle, agent, config) as client:
        _afficher(client.boite(curseur=curseur, limite=limite))


@boite_app.command("acquitter")
def boite_acquitter(
    message_id: str,
    url: str = UrlOption,
    keyid: str = KeyidOption,
    cle: Optional[Path] = CleOption,
    agent: str = AgentOption,
    config: Path = ConfigOption,
) -> None:
    """Acquitter un message: il quitte la boîte."""
    with _client(url, keyid, cle, agent, config) as client:
        _afficher(client.acquitter(message_id))


@lots_app.command("envoyer")
def lots_envoyer(
    flux: str,
    fichier: Path = typer.Argument(..., exists=True, dir_okay=False, help="fichier .ndjson ou .csv (colonnes de l'annexe 1)"),
    url: str = UrlOption,
    keyid: str = KeyidOption,
    cle: Optional[Path] = CleOption,
    agent: str = AgentOption,
    cle_lot: Optional[str] = typer.Option(None, "--cle-lot", help="clé du lot; la même reprend un lot coupé (défaut: le nom et la taille du fichier)"),
    resultats: Optional[Path] = typer.Option(None, "--resultats", help="écrire le résultat ligne à ligne (NDJSON) dans ce fichier"),
    config: Path = ConfigOption,
) -> None:
    """Envoyer un lot lu au fil du fichier, avec une barre de progression; résumé à la fin."""
    type_contenu = "text/csv" if fichier.suffix.lower() == ".csv" else "application/x-ndjson"
    taille = fichier.stat().st_size
    cle_lot = cle_lot or f"{fichier.name}-{taille}"
    with _client(url, keyid, cle, agent, config) as client, typer.progressbar(length=taille, label="envoi", file=sys.stderr) as barre:
        reponse = client.envoyer_lot(flux, fichier, cle_lot=cle_lot, type_contenu=type_contenu, progression=barre.update)
    if reponse.statut != 200:
        _afficher(reponse)
    if resultats is not None:
        resultats.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reponse.donnees["resultats"]), encoding="utf-8")
    typer.echo(json.dumps(reponse.donnees["resume"], ensure_ascii=False, indent=2))
    if reponse.donnees["resume"]["refusees"]:
        typer.secho(f"{reponse.donnees['resume']['refusees']} ligne(s) refusée(s)" + (f": voir {resultats}" if resultats else " (--resultats pour le détail)"),
                    fg=typer.colors.YELLOW, err=True)


def enregistrer(app: typer.Typer) -> None:
    app.command()(envoyer)
    app.add_typer(boite_app, name="boite")
    app.add_typer(lots_app, name="lots")
