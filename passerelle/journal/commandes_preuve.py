"""``passerelle journal preuve MESSAGE_ID`` and ``passerelle journal verifier-preuve FICHIER``.

``verifier-preuve`` needs no database and no configuration: the bundle and, optionally, the keys
the auditor trusts (the journal key, a witness list with a quorum).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from passerelle.journal.commandes import BaseOption, ConfigOption, DeveloppementOption, _reglages, _secrets
from passerelle.ligne_de_commande import Sortie, erreur


def preuve(
    message_id: str = typer.Argument(..., help="identifiant du message (celui de l'accusé de réception)"),
    sortie: Path | None = typer.Option(None, "--sortie", "-o", help="fichier à écrire (défaut : la sortie standard)"),
    base: str | None = BaseOption,
    config: Path | None = ConfigOption,
    developpement: bool = DeveloppementOption,
) -> None:
    """Écrire le paquet de preuve d'un échange : ses entrées, leurs preuves, le checkpoint cosigné, les clés."""
    from passerelle.journal.preuve_echange import etablir_preuve
    from passerelle.journal.sequenceur import cles_verification
    from passerelle.stockage.base import ouvrir

    reglages = _reglages(base, config, developpement)
    secrets = _secrets(reglages)
    cles = cles_verification(secrets.publiques_signature(), secrets.signature_active, reglages.origine_journal)
    if sortie is not None and sortie.exists():
        erreur(f"{sortie} existe déjà : rien n'est écrasé", Sortie.FICHIER)
    moteur = ouvrir(reglages.base)
    try:
        with moteur.connect() as connexion:
            etablie = etablir_preuve(connexion, message_id[:36], origine=reglages.origine_journal, cles_journal=cles)
    finally:
        moteur.dispose()
    if etablie is None:
        erreur(f"aucune entrée du journal couverte par un checkpoint ne concerne le message {message_id[:36]!r} "
               "(message inconnu, ou « passerelle journal sequencer --forcer » d'abord)", Sortie.REFUS)
    if etablie.non_couvertes:
        typer.echo(f"attention : {len(etablie.non_couvertes)} entrée(s) plus récente(s) que le dernier checkpoint "
                   f"(index {', '.join(map(str, etablie.non_couvertes))}) ne sont pas dans le paquet", err=True)
    if sortie is None:
        sys.stdout.buffer.write(etablie.octets())
        return
    sortie.write_bytes(etablie.octets())
    typer.echo(f"{len(etablie.document['entrees'])} entrée(s) prouvée(s) dans {sortie}", err=True)


def verifier_preuve(
    fichier: Path = typer.Argument(..., help="paquet écrit par « passerelle journal preuve »"),
    cle: Path | None = typer.Option(None, "--cle", help="clé du journal obtenue hors du paquet (GET /v1/journal/cle)"),
    temoins: Path | None = typer.Option(None, "--temoins", help="clés des témoins de confiance, une par ligne"),
    quorum: int = typer.Option(0, "--quorum", min=0, help="nombre de ces témoins qui doivent avoir cosigné"),
) -> None:
    """Vérifier un paquet de preuve hors ligne ; code de sortie 0 = prouvé, 1 = refusé (le lieu est nommé)."""
    from passerelle.journal.verifier_preuve import verifier_preuve as verifier

    try:
        brut = fichier.read_bytes()
        cle_texte = cle.read_text("utf-8").splitlines()[0] if cle else None
        confiance = [ligne.strip() for ligne in temoins.read_text("utf-8").splitlines() if ligne.strip()] if temoins else []
    except (OSError, UnicodeDecodeError, IndexError) as exc:
        erreur(f"lecture impossible : {exc}", Sortie.FICHIER)
    if quorum and not confiance:
        erreur("--quorum demande --temoins FICHIER (les clés des témoins auxquels vous vous fiez)", Sortie.USAGE)
    rapport = verifier(brut, cle_journal=cle_texte, temoins_confiance=confiance, quorum=quorum)
    typer.echo(rapport.texte(), nl=False)
    raise typer.Exit(code=0 if rapport.ok else 1)
