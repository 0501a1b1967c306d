"""The sequencer: journal entries → RFC 9162 tree → signed checkpoint.

Entries are appended by the accept path in its own transaction (``Journal.ecrire``); hashing
them into the tree there would serialise every request on the tree's right edge. Instead the
sequencer integrates what has been committed, in batches: one transaction reads up to
``lot_max`` entries past the integrated size, stores every complete subtree they create, moves
the integrated size, and — every N entries or T seconds — signs one C2SP checkpoint for the
whole batch. A receipt's ``journal_index`` is provable from then on.

Two safety rules hold whatever happens to the database:

* one sequencer at a time — on PostgreSQL a transaction-scoped advisory lock (replicas that do
  not get it do nothing), on SQLite the ``BEGIN IMMEDIATE`` write lock;
* never two inconsistent checkpoints — before signing, the RFC 9162 consistency proof from the
  last signed checkpoint is built from the stored nodes and verified against that checkpoint's
  signed root. A stored tree that contradicts what was signed stops the sequencer loudly
  (:class:`IncoherenceJournal`) instead of signing a fork.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.engine import Connection, Engine

from passerelle.journal.merkle import (
    ArbreCompact,
    PreuveInvalide,
    adresses_frontiere,
    calculer_noeud,
    hash_feuille,
    noeuds_coherence,
    verifier_coherence,
)
from passerelle.journal.note import (
    Checkpoint,
    NoteInvalide,
    analyser_checkpoint,
    cle_verification_texte,
    cosigner_note,
    signer_checkpoint,
    verifier_note,
)
from passerelle.journal.preuves import lecteur, lire_noeuds, taille_integree
from passerelle.reglages import Reglages
from passerelle.secrets_deploiement import SecretsDeploiement
from passerelle.stockage import sequence
from passerelle.stockage.base import VerrouEcriture
from passerelle.stockage.sequence import VERROU_SEQUENCEUR

__all__ = [
    "VERROU_SEQUENCEUR",
    "IncoherenceJournal",
    "Integration",
    "Sequenceur",
    "cles_verification",
    "integrer",
    "sequencer",
    "sequencer_periodiquement",
]

journal_technique = structlog.get_logger("passerelle.sequenceur")


class IncoherenceJournal(RuntimeError):
    """The stored tree no longer extends the last signed checkpoint: nothing is signed."""


@dataclass(frozen=True)
class Integration:
    """What one run did; ``verrou`` False means another replica is sequencing."""

    verrou: bool
    taille_avant: int
    taille: int
    checkpoint: Checkpoint | None = None
    note: str | None = None

    @property
    def integrees(self) -> int:
        return self.taille - self.taille_avant


@dataclass(frozen=True)
class _DernierCheckpoint:
    taille: int
    racine: bytes
    signe_le: datetime


def _utc(instant: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _texte_signe(note: str, nom: str, publiques: Sequence[Ed25519PublicKey]) -> str:
    """The note's text once its signature by one of the gateway's keys is checked."""
    erreurs = []
    for publique in publiques:
        try:
            return verifier_note(note, nom, publique)
        except NoteInvalide as exc:
            erreurs.append(str(exc))
    raise NoteInvalide("; ".join(erreurs) or "aucune clé de vérification")


def _dernier(connexion: Connection, nom: str, publiques: Sequence[Ed25519PublicKey]) -> _DernierCheckpoint | None:
    ligne = sequence.dernier_checkpoint(connexion)
    if ligne is None:
        return None
    # The root that counts is the one inside the signed text, not a column someone could edit.
    try:
        signe = analyser_checkpoint(_texte_signe(ligne.note, nom, publiques))
    except NoteInvalide as exc:
        raise IncoherenceJournal(f"le dernier checkpoint stocké (taille {ligne.taille}) n'est pas une note "
                                 f"signée par la passerelle: {exc}") from exc
    if signe.taille != ligne.taille or signe.racine != ligne.racine:
        raise IncoherenceJournal(
            f"le checkpoint stocké de taille {ligne.taille} ne correspond pas à sa note signée "
            f"(taille {signe.taille}, racine {signe.racine.hex()})"
        )
    return _DernierCheckpoint(signe.taille, signe.racine, _utc(ligne.signe_le))


def _feuilles_suivantes(connexion: Connection, debut: int, lot_max: int) -> list[bytes]:
    """Leaf hashes of the committed entries from ``debut`` on, stopping at the first gap.

    Indices are dense by construction (``journal_taille``); a gap would mean an uncommitted or
    lost entry, and integrating past it would make the tree disagree with the table forever.
    """
    lignes = sequence.entrees_depuis(connexion, debut, lot_max)
    feuilles: list[bytes] = []
    for index, entree in lignes:
        if index != debut + len(feuilles):
            journal_technique.warning("journal_trou", attendu=debut + len(feuilles), trouve=index)
            break
        feuilles.append(hash_feuille(bytes(entree)))
    return feuilles


def _du(dernier: _DernierCheckpoint | None, taille: int, instant: datetime, toutes_entrees: int,
        toutes_secondes: float, forcer: bool) -> bool:
    if dernier is None:
        return True  # the first run signs, even the empty tree, so a checkpoint always exists
    if taille == dernier.taille:
        return False
    return (
        forcer
        or taille - dernier.taille >= toutes_entrees
        or _utc(instant) - dernier.signe_le >= timedelta(seconds=toutes_secondes)
    )


def _garde_coherence(connexion: Connection, dernier: _DernierCheckpoint, arbre: ArbreCompact) -> None:
    """Prove, from the stored nodes, that the new tree extends the last signed one."""
    if arbre.taille < dernier.taille:
        raise IncoherenceJournal(
            f"taille intégrée {arbre.taille} inférieure au dernier checkpoint signé ({dernier.taille})"
        )
    noeuds = noeuds_coherence(dernier.taille, arbre.taille)
    try:
        lire = lecteur(connexion, noeuds)
        chemin = [calculer_noeud(n, lire) for n in noeuds]
        verifier_coherence(dernier.taille, arbre.taille, dernier.racine, arbre.racine(), chemin)
    except (PreuveInvalide, LookupError) as exc:
        raise IncoherenceJournal(
            f"l'arbre stocké de taille {arbre.taille} n'étend pas le checkpoint signé de taille "
            f"{dernier.taille} : {exc} — rien n'est signé"
        ) from exc


def integrer(
    connexion: Connection,
    journal_cle_signature: Ed25519PrivateKey,
    nom_note: str,
    origine: str,
    instant: datetime,
    *,
    lot_max: int,
    toutes_entrees: int = 1000,
    toutes_secondes: float = 10.0,
    forcer: bool = False,
    cles_anterieures: Sequence[Ed25519PublicKey] = (),
    cosignataires: Sequence[Ed25519PrivateKey] = (),
) -> Integration:
    """One sequencing step in the caller's transaction (which must be a write transaction).

    ``forcer`` signs as soon as anything new is integrated (an operator before an export).
    ``cles_anterieures``: public keys of earlier signing keys, so that the last checkpoint is
    still checked after a key rotation. ``cosignataires``: the other signing keys still held
    during a rotation's overlap; each checkpoint then carries their signature too, so that a
    verifier who knows only the old key can check the checkpoints that introduce the new one.
    """
    if not sequence.verrouiller(connexion):
        return Integration(verrou=False, taille_avant=-1, taille=-1)
    avant = taille_integree(connexion)
    stock = lire_noeuds(connexion, adresses_frontiere(avant))
    try:
        arbre = ArbreCompact.depuis_stockage(avant, lambda n, i: stock[(n, i)])
    except KeyError as exc:
        raise IncoherenceJournal(f"frontière de l'arbre de taille {avant} incomplète: nœud {exc} absent") from exc
    feuilles = _feuilles_suivantes(connexion, avant, lot_max)
    if feuilles:
        arbre, crees = arbre.ajouter(feuilles)
        sequence.inserer_noeuds(connexion, [(c.niveau, c.index, c.hash) for c in crees])
        if not sequence.deplacer_taille(connexion, avant, arbre.taille):
            raise IncoherenceJournal("la taille intégrée a changé pendant l'intégration: deux séquenceurs?")
    publiques = [journal_cle_signature.public_key(), *cles_anterieures]
    dernier = _dernier(connexion, nom_note, publiques)
    if not _du(dernier, arbre.taille, instant, toutes_entrees, toutes_secondes, forcer):
        return Integration(verrou=True, taille_avant=avant, taille=arbre.taille)
    if dernier is not None:
        _garde_coherence(connexion, dernier, arbre)
    checkpoint = Checkpoint(origine, arbre.taille, arbre.racine())
    note = signer_checkpoint(checkpoint, nom_note, journal_cle_signature)
    for autre in cosignataires:
        note = cosigner_note(note, nom_note, autre)
    sequence.inserer_checkpoint(connexion, checkpoint.taille, checkpoint.racine, note, instant)
    return Integration(verrou=True, taille_avant=avant, taille=arbre.taille, checkpoint=checkpoint, note=note)


def cles_verification(
    cles: Mapping[str, Ed25519PrivateKey | Ed25519PublicKey], active: str, nom: str
) -> list[str]:
    """Note verifier keys of every gateway key, the active one first.

    Older keys — retired ones too, of which only the public half remains — stay listed so that
    checkpoints signed before a rotation can still be checked.
    """
    ordre = [active, *sorted(k for k in cles if k != active)]
    publiques = {k: c.public_key() if isinstance(c, Ed25519PrivateKey) else c for k, c in cles.items()}
    return [
        cle_verification_texte(nom, publiques[k].public_bytes(Encoding.Raw, PublicFormat.Raw))
        for k in ordre
    ]


# --------------------------------------------------------------------------- running it


@dataclass(frozen=True)
class Sequenceur:
    """What a sequencing run uses: the database and its write lock, the clock, the signing keys
    (``secrets``), and its settings (``origine_journal``, ``sequenceur_*``, ``checkpoint_*``)."""

    moteur: Engine
    ecriture: VerrouEcriture
    horloge: Callable[[], datetime]
    secrets: SecretsDeploiement
    reglages: Reglages


def sequencer(sequenceur: Sequenceur, *, forcer: bool = False) -> Integration:
    """One run with the deployment's settings and key, in its own transaction."""
    reglages = sequenceur.reglages
    with sequenceur.ecriture, sequenceur.moteur.begin() as connexion:
        return integrer(
            connexion,
            sequenceur.secrets.cle_signature,
            reglages.origine_journal,
            reglages.origine_journal,
            sequenceur.horloge(),
            lot_max=reglages.sequenceur_lot,
            toutes_entrees=reglages.checkpoint_toutes_entrees,
            toutes_secondes=reglages.checkpoint_toutes_secondes,
            forcer=forcer,
            cles_anterieures=list(sequenceur.secrets.publiques_signature().values()),
            cosignataires=cosignataires(sequenceur.secrets),
        )


def cosignataires(secrets: SecretsDeploiement) -> list[Ed25519PrivateKey]:
    """The signing keys other than the active one (a rotation's overlap), in id order."""
    return [secrets.cles_signature[k] for k in sorted(secrets.cles_signature) if k != secrets.signature_active]


async def sequencer_periodiquement(sequenceur: Sequenceur, apres_checkpoint: Callable[[], None] | None = None) -> None:
    """Background task of the application; a full batch is followed at once by the next one.
    ``apres_checkpoint`` runs in the loop after each checkpoint signed (it must not block)."""
    intervalle = sequenceur.reglages.sequenceur_intervalle
    if intervalle <= 0:
        return
    while True:
        try:
            resultat = await asyncio.to_thread(sequencer, sequenceur)
        except IncoherenceJournal as exc:
            journal_technique.critical("journal_incoherent", detail=str(exc))
            resultat = None
        except Exception:  # noqa: BLE001 — a failed run is retried next round
            journal_technique.exception("sequenceur_echec")
            resultat = None
        if resultat is not None and resultat.checkpoint is not None:
            journal_technique.info("checkpoint_signe", taille=resultat.checkpoint.taille)
            if apres_checkpoint is not None:
                apres_checkpoint()  # e.g. ask the witnesses for their cosignatures (issue 14), never blocking
        if resultat is None or resultat.integrees < sequenceur.reglages.sequenceur_lot:
            await asyncio.sleep(intervalle)
