"""The reference client on the command line: what an integrator runs before writing code."""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from pathlib import Path
from typing import Optional

import typer

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.client.client import ClientPasserelle, ReponsePasserelle
from passerelle.ligne_de_commande import Application, Sortie, erreur

boite_app = Application(help="Client de référence: lire et acquitter sa boîte")
lots_app = Application(help="Client de référence: envoyer un lot (NDJSON ou CSV)")

UrlOption = typer.Option("http://127.0.0.1:8000", "--url", envvar="PASSERELLE_URL", help="adresse de la passerelle")
KeyidOption = typer.Option(..., "--keyid", help="identifiant de la clé de l'organisme (caf-042-dev-2026…)")
CleOption = typer.Option(None, "--cle", help="clé privée PEM (défaut: CONFIG/developpement/cles/KEYID.pem, clés d'essai)")
AgentOption = typer.Option(..., "--agent", help="l'agent pour qui la requête est faite (en-tête Passerelle-Agent, ASCII)")
ConfigOption = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG",
                            help="dossier de configuration (pour trouver les clés d'essai)")


def _client(url: str, keyid: str, cle: Optional[Path], agent: str, config: Path) -> ClientPasserelle:
    chemin = cle or config / "developpement" / "cles" / f"{keyid}.pem"
    if not chemin.is_file():
        conseil = "" if cle else " — hors essai local, donnez votre clé avec --cle FICHIER.pem"
        erreur(f"clé privée introuvable: {chemin}{conseil}", Sortie.FICHIER)
    try:
        privee = lire_privee_pem(chemin.read_bytes())
    except ValueError as exc:
        erreur(f"clé privée illisible: {chemin} ({exc}); attendu: une clé Ed25519 PEM (openssl genpkey "
               "-algorithm ed25519)", Sortie.FICHIER)
    return ClientPasserelle(url, privee, keyid, agent)


def _afficher(reponse: ReponsePasserelle) -> None:
    typer.echo(json.dumps(reponse.donnees, ensure_ascii=False, indent=2))
    if reponse.statut >= 400:
        raise typer.Exit(code=Sortie.REFUS)


def _lire(fichier: Path) -> bytes:
    if str(fichier) == "-":
        return sys.stdin.buffer.read()
    if not fichier.is_file():
        erreur(f"fichier introuvable: {fichier}" + (" (c'est un dossier)" if fichier.is_dir() else
               " — pour un premier essai: passerelle exemple FLUX --sortie FICHIER"), Sortie.FICHIER)
    return fichier.read_bytes()


def envoyer(
    flux: str = typer.Argument(..., help="le flux du message (rdc, cloture-rdc…; voir docs/catalogue.md)"),
    fichier: Path = typer.Argument(..., help="fichier JSON du message ('-' pour l'entrée standard)"),
    url: str = UrlOption,
    keyid: str = KeyidOption,
    cle: Optional[Path] = CleOption,
    agent: str = AgentOption,
    idempotence: Optional[str] = typer.Option(None, "--idempotence", help="Idempotency-Key (défaut: une clé neuve)"),
    config: Path = ConfigOption,
) -> None:
    """Signer et envoyer un message comme un organisme; l'accusé de réception est vérifié (JWKS)."""
    corps = _lire(fichier)
    with _client(url, keyid, cle, agent, config) as client:
        _afficher(client.envoyer(flux, corps, cle_idempotence=idempotence or str(uuid.uuid4())))


@boite_app.command("lire")
def boite_lire(
    url: str = UrlOption,
    keyid: str = KeyidOption,
    cle: Optional[Path] = CleOption,
    agent: str = AgentOption,
    curseur: Optional[str] = typer.Option(None, "--curseur", help="la valeur curseur_suivant de la page précédente"),
    limite: int = typer.Option(50, "--limite", help="messages par page (1 à 100)"),
    sortie: Optional[Path] = typer.Option(None, "--sortie", help="enregistrer aussi la page dans ce fichier "
                                          "(JSON), pour l'acquitter ensuite avec « boite acquitter --depuis »"),
    config: Path = ConfigOption,
) -> None:
    """Lire sa boîte (messages non acquittés, du plus ancien au plus récent)."""
    with _client(url, keyid, cle, agent, config) as client:
        reponse = client.boite(curseur=curseur, limite=limite)
    if sortie is not None and reponse.statut == 200:
        sortie.write_text(json.dumps(reponse.donnees, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        nombre = len(reponse.donnees.get("messages", []))
        typer.echo(f"{nombre} message(s) enregistré(s) dans {sortie}; une fois traités: passerelle boite acquitter "
                   f"--depuis {sortie} --keyid {keyid} --agent {agent}", err=True)
    _afficher(reponse)


def _ids_de_la_page(page: Path) -> list[str]:
    try:
        donnees = json.loads(_lire(page))
        return [str(m["id"]) for m in donnees["messages"]]
    except (ValueError, KeyError, TypeError):
        erreur(f"{page} n'est pas une page de boîte (écrite par « passerelle boite lire --sortie »)", Sortie.FICHIER)


@boite_app.command("acquitter")
def boite_acquitter(
    message_ids: Optional[list[str]] = typer.Argument(None, help="identifiant(s) des messages à acquitter"),
    depuis: Optional[Path] = typer.Option(None, "--depuis", help="acquitter chaque message d'une page enregistrée "
                                          "par « boite lire --sortie » (ceux que vous avez lus, pas d'autres)"),
    url: str = UrlOption,
    keyid: str = KeyidOption,
    cle: Optional[Path] = CleOption,
    agent: str = AgentOption,
    config: Path = ConfigOption,
) -> None:
    """Acquitter des messages: ils quittent la boîte. N'acquittez qu'une fois le message enregistré chez vous."""
    ids = list(message_ids or []) + (_ids_de_la_page(depuis) if depuis is not None else [])
    if not ids:
        if depuis is not None:
            typer.echo("[]")
            typer.echo(f"aucun message dans {depuis}: rien à acquitter", err=True)
            return
        erreur("donnez l'identifiant d'un message, ou --depuis PAGE.json (écrite par « boite lire --sortie »)",
               Sortie.USAGE)
    with _client(url, keyid, cle, agent, config) as client:
        reponses = [client.acquitter(i) for i in ids]
    if len(reponses) == 1 and depuis is None:
        _afficher(reponses[0])
        return
    typer.echo(json.dumps([r.donnees for r in reponses], ensure_ascii=False, indent=2))
    refus = sum(1 for r in reponses if r.statut >= 400)
    if refus:
        typer.secho(f"{refus} acquittement(s) refusé(s) sur {len(reponses)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=Sortie.REFUS)


@lots_app.command("envoyer")
def lots_envoyer(
    flux: str = typer.Argument(..., help="le flux de chaque ligne (rdc, passage-retraite…)"),
    fichier: Path = typer.Argument(..., help="fichier .ndjson ou .csv (colonnes de l'annexe 1)"),
    url: str = UrlOption,
    keyid: str = KeyidOption,
    cle: Optional[Path] = CleOption,
    agent: str = AgentOption,
    cle_lot: Optional[str] = typer.Option(None, "--cle-lot", help="clé du lot; la même reprend un lot coupé (défaut: le nom et la taille du fichier)"),
    resultats: Optional[Path] = typer.Option(None, "--resultats", help="écrire le résultat ligne à ligne (NDJSON) dans ce fichier"),
    config: Path = ConfigOption,
) -> None:
    """Envoyer un lot lu au fil du fichier, avec une barre de progression; résumé à la fin (code de sortie 8
    si des lignes sont refusées)."""
    if not fichier.is_file():
        erreur(f"fichier introuvable: {fichier}" + (" (c'est un dossier)" if fichier.is_dir() else ""), Sortie.FICHIER)
    type_contenu = "text/csv" if fichier.suffix.lower() == ".csv" else "application/x-ndjson"
    taille = fichier.stat().st_size
    cle_lot = cle_lot or f"{fichier.name}-{taille}"
    # The bar only on a terminal: in a script, standard error carries the outcome alone.
    barre_visible = sys.stderr.isatty()
    with _client(url, keyid, cle, agent, config) as client, (
        typer.progressbar(length=taille, label="envoi", file=sys.stderr) if barre_visible else contextlib.nullcontext()
    ) as barre:
        reponse = client.envoyer_lot(flux, fichier, cle_lot=cle_lot, type_contenu=type_contenu,
                                     progression=barre.update if barre is not None else None)
    if reponse.statut != 200:
        _afficher(reponse)
    if resultats is not None:
        resultats.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reponse.donnees["resultats"]), encoding="utf-8")
    typer.echo(json.dumps(reponse.donnees["resume"], ensure_ascii=False, indent=2))
    if reponse.donnees["resume"]["refusees"]:
        typer.secho(f"{reponse.donnees['resume']['refusees']} ligne(s) refusée(s)" + (f": voir {resultats}" if resultats else " (--resultats pour le détail)"),
                    fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(code=Sortie.LOT_REFUSES)
