"""``passerelle journal …``: sequence by hand, export, verify offline.

``verifier`` imports nothing but the pure verifier: an auditor runs it far from any gateway.
"""

from __future__ import annotations

import sys
from datetime import UTC
from pathlib import Path

import typer

from passerelle.ligne_de_commande import Application, Sortie, erreur

journal_app = Application(help="Journal (notariat): séquenceur, export et vérification hors ligne")

BaseOption = typer.Option(None, "--base", help="URL SQLAlchemy (défaut: PASSERELLE_BASE ou sqlite:///passerelle.db)")
ConfigOption = typer.Option(None, "--config", help="dossier de configuration (défaut: PASSERELLE_CONFIG ou config)")
DeveloppementOption = typer.Option(False, "--developpement", help="accepter les secrets de développement (configuration d'exemple)")


def _reglages(base: str | None, config: Path | None, developpement: bool):  # type: ignore[no-untyped-def]
    from passerelle.reglages import Mode, Reglages

    surcharges: dict[str, object] = {}
    if developpement:
        surcharges["mode"] = Mode.developpement
    if base is not None:
        surcharges["base"] = base
    if config is not None:
        surcharges["config"] = config
    return Reglages(**surcharges)  # type: ignore[arg-type]


def _secrets(reglages):  # type: ignore[no-untyped-def]
    """Refused secrets are one line and their exit code (passerelle/ligne_de_commande/erreurs.py)."""
    from passerelle.secrets_deploiement import charger_secrets

    return charger_secrets(reglages.chemin_secrets(), developpement=reglages.developpement)


@journal_app.command("sequencer")
def sequencer(
    base: str | None = BaseOption,
    config: Path | None = ConfigOption,
    developpement: bool = DeveloppementOption,
    forcer: bool = typer.Option(False, "--forcer", help="signer un checkpoint dès qu'une entrée est nouvelle"),
) -> None:
    """Intégrer les entrées en attente (un lot) et signer un checkpoint s'il est dû."""
    from datetime import datetime

    from passerelle.journal.sequenceur import IncoherenceJournal, cosignataires, integrer
    from passerelle.stockage.base import ouvrir

    reglages = _reglages(base, config, developpement)
    secrets = _secrets(reglages)
    moteur = ouvrir(reglages.base)
    try:
        with moteur.begin() as connexion:
            resultat = integrer(
                connexion, secrets.cle_signature, reglages.origine_journal, reglages.origine_journal,
                datetime.now(UTC), lot_max=reglages.sequenceur_lot,
                toutes_entrees=reglages.checkpoint_toutes_entrees,
                toutes_secondes=reglages.checkpoint_toutes_secondes, forcer=forcer,
                cles_anterieures=list(secrets.publiques_signature().values()),
                cosignataires=cosignataires(secrets),
            )
    except IncoherenceJournal as exc:
        typer.secho(f"JOURNAL INCOHÉRENT, rien n'a été signé: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    finally:
        moteur.dispose()
    if not resultat.verrou:
        typer.echo("un autre séquenceur tient le verrou: rien à faire")
        return
    signe = f"; checkpoint signé à la taille {resultat.checkpoint.taille}" if resultat.checkpoint else ""
    typer.echo(f"{resultat.integrees} entrées intégrées, taille {resultat.taille}{signe}")


@journal_app.command("exporter")
def exporter(
    sortie: Path = typer.Argument(..., help="dossier à créer (vide ou absent)"),
    base: str | None = BaseOption,
    config: Path | None = ConfigOption,
    developpement: bool = DeveloppementOption,
) -> None:
    """Exporter le journal jusqu'au dernier checkpoint: entrées, feuilles, checkpoints, clé."""
    from datetime import datetime

    from passerelle.journal.export import ExportImpossible
    from passerelle.journal.export import exporter as ecrire_export
    from passerelle.journal.sequenceur import cles_verification
    from passerelle.stockage.base import ouvrir

    reglages = _reglages(base, config, developpement)
    secrets = _secrets(reglages)
    cles = cles_verification(secrets.publiques_signature(), secrets.signature_active, reglages.origine_journal)
    moteur = ouvrir(reglages.base)
    try:
        manifeste = ecrire_export(moteur, sortie, cles, reglages.origine_journal, datetime.now(UTC))
    except ExportImpossible as exc:
        from passerelle.ligne_de_commande import Sortie, erreur

        erreur(str(exc), Sortie.FICHIER)
    finally:
        moteur.dispose()
    typer.echo(f"{manifeste.entrees} entrées et {manifeste.checkpoints} checkpoints exportés dans {sortie}/")


@journal_app.command("verifier")
def verifier(
    export: Path = typer.Argument(..., help="dossier écrit par « passerelle journal exporter »"),
    cle: Path | None = typer.Option(None, "--cle", help="clé(s) de vérification obtenue(s) hors de l'export"),
    checkpoint: list[Path] = typer.Option(
        [], "--checkpoint", help="checkpoint signé obtenu ailleurs (GET /v1/journal/checkpoint); répétable"
    ),
) -> None:
    """Vérifier un export hors ligne; code de sortie 0 = intègre, 1 = altéré."""
    from passerelle.journal.verificateur import verifier_export

    if not export.is_dir():
        from passerelle.ligne_de_commande import Sortie, erreur

        erreur(f"export introuvable: {export} (un dossier écrit par « passerelle journal exporter »)", Sortie.FICHIER)
    rapport = verifier_export(
        export,
        cle_confiance=cle.read_text("utf-8") if cle else None,
        checkpoints_externes=[c.read_bytes() for c in checkpoint],
    )
    typer.echo(rapport.texte(), nl=False)
    raise typer.Exit(code=0 if rapport.ok else 1)


# --- the evidence bundle of one exchange (issue 14): `preuve`, `verifier-preuve` ------------------


@journal_app.command("preuve")
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
    from passerelle.stockage.base import lecture, ouvrir

    reglages = _reglages(base, config, developpement)
    secrets = _secrets(reglages)
    cles = cles_verification(secrets.publiques_signature(), secrets.signature_active, reglages.origine_journal)
    if sortie is not None and sortie.exists():
        erreur(f"{sortie} existe déjà : rien n'est écrasé", Sortie.FICHIER)
    moteur = ouvrir(reglages.base)
    try:
        with lecture(moteur) as connexion:
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


@journal_app.command("verifier-preuve")
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
