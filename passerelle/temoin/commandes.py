"""``passerelle temoin …``: run a witness, show its key, list the split views it refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from passerelle.ligne_de_commande import Application, Sortie, erreur

temoin_app = Application(help="Témoin C2SP (tlog-witness) des journaux d'autres passerelles")

ConfigTemoinOption = typer.Option(..., "--config", help="fichier YAML du témoin (docs/temoins.md)")


def _config(chemin: Path):  # type: ignore[no-untyped-def]
    from passerelle.temoin.app import ConfigTemoinInvalide, charger_config

    try:
        return charger_config(chemin)
    except ConfigTemoinInvalide as exc:
        erreur(str(exc), Sortie.CONFIGURATION)


def _maintenant() -> datetime:
    return datetime.now(UTC)  # the process's clock, injected into the app from here


@temoin_app.command("servir")
def servir(
    config: Path = ConfigTemoinOption,
    hote: str = typer.Option("127.0.0.1", "--hote", help="adresse d'écoute"),
    port: int = typer.Option(8090, "--port", help="port d'écoute"),
) -> None:
    """Servir POST /add-checkpoint (et GET /cle) pour les journaux configurés."""
    import uvicorn

    from passerelle.temoin.app import creer_app_temoin

    uvicorn.run(creer_app_temoin(_config(config), _maintenant), host=hote, port=port, log_level="warning")


@temoin_app.command("cle")
def cle(config: Path = ConfigTemoinOption) -> None:
    """Afficher la clé de vérification du témoin (à donner aux passerelles qu'il témoigne)."""
    typer.echo(_config(config).cle_verification())


@temoin_app.command("nouvelle-cle")
def nouvelle_cle(fichier: Path = typer.Argument(..., help="fichier PEM à créer (clé privée Ed25519)")) -> None:
    """Créer la clé privée d'un témoin (PKCS#8 PEM, lisible du seul propriétaire)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    if fichier.exists():
        erreur(f"{fichier} existe déjà : rien n'est écrasé", Sortie.FICHIER)
    pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fichier.touch(mode=0o600)
    fichier.write_bytes(pem)
    typer.echo(f"clé écrite dans {fichier}")


@temoin_app.command("refus")
def refus(config: Path = ConfigTemoinOption) -> None:
    """Lister les checkpoints refusés pour incohérence, avec celui qu'ils contredisent (vues divergentes)."""
    from passerelle.stockage.base import lecture, ouvrir
    from passerelle.stockage.temoin import creer_schema
    from passerelle.stockage.temoin import refus as lire_refus

    moteur = ouvrir(_config(config).base)
    try:
        creer_schema(moteur)
        with lecture(moteur) as connexion:
            tous = lire_refus(connexion)
    finally:
        moteur.dispose()
    for r in tous:
        typer.echo(f"— {r.origine} le {r.recu_le:%Y-%m-%dT%H:%M:%SZ} : {r.motif}")
        typer.echo(f"  checkpoint cosigné :\n{(r.note_connue or '(aucun)').rstrip()}")
        typer.echo(f"  checkpoint refusé :\n{r.note_recue.rstrip()}")
    typer.echo(f"{len(tous)} refus")
