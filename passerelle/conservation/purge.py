"""The purge: what the retention policy says has been kept long enough is destroyed, and the
journal says what was destroyed, when, under which rule.

- **Payloads** of messages acknowledged (pull, or a connector's acknowledgement file) or whose
  push delivery was confirmed, longer ago than the flux's ``contenus`` days. Their data key and
  ciphertext are destroyed (crypto-shredding, ``stockage/chiffrement.py``); the row stays with its
  metadata, status, digest and history, marked ``purge_le``. One journal entry per message
  (``purge``), in the transaction that destroys it: the message's history shows it.
- **Never by age alone**: a message not acknowledged nor delivered (inbox never read, dead
  letter, refused by the destination's system) — a lost message is worse than paper — nor a
  request whose case still waits for its answer (the answer's rules read the request).
- **Idempotency records** and **batches** (state and per-line results) past their days: deleted,
  one journal entry per transaction with the counts per sender and flux.
- **Spool files** left by a crash (``stockage/tampons.py``): removed; their key died with the
  process, so they were unreadable already.

Entries carry no payload and no clear NIR; the journal's digests and Merkle tree are untouched,
so the journal still verifies: it never held what is destroyed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from passerelle.catalogue.dossiers import EN_RETARD, OUVERT
from passerelle.conservation.politique import CONTENUS, IDEMPOTENCE, LOTS, PolitiqueConservation
from passerelle.journal.ecriture import Decision, Journal, horodatage_texte
from passerelle.stockage import livraisons as stockage_livraisons
from passerelle.stockage.base import VerrouEcriture
from passerelle.stockage import messages as stockage_messages
from passerelle.stockage.tables import dossiers, idempotence, livraisons, lots, lots_resultats, messages
from passerelle.stockage.tampons import DossierTampons

journal_technique = structlog.get_logger("passerelle.purge")
DECISION = "purge"


@dataclass(frozen=True)
class Purgeur:
    """What the purge uses: the database and its write lock, the clock, the journal (each
    destruction is journaled), the retention policy, the batch spool folder, rows per
    transaction (``purge_lot``) and the pause between rounds (``purge_intervalle``, seconds)."""

    moteur: Engine
    ecriture: VerrouEcriture
    horloge: Callable[[], datetime]
    journal: Journal
    conservation: PolitiqueConservation
    tampons: DossierTampons
    lot: int
    intervalle: float


@dataclass
class BilanPurge:
    """What one round destroyed (or, as a trial, would destroy), and what it kept on purpose."""

    active: bool = True
    essai: bool = False
    messages: Counter[str] = field(default_factory=Counter)  # per flux
    idempotence: int = 0
    lots: int = 0
    fichiers: int = 0
    retenus: Counter[str] = field(default_factory=Counter)  # past retention, kept: why

    @property
    def total(self) -> int:
        return sum(self.messages.values()) + self.idempotence + self.lots + self.fichiers


def _flux_du_groupe(colonne: sa.ColumnElement[Any], noms: tuple[str, ...], exclure: bool) -> sa.ColumnElement[bool]:
    if not noms:
        return sa.true()
    return colonne.not_in(noms) if exclure else colonne.in_(noms)


def _dossier_ouvert() -> sa.Exists:
    return sa.exists().where(dossiers.c.demande_id == messages.c.id, dossiers.c.statut.in_((OUVERT, EN_RETARD)))


def _candidats(limite_date: datetime, groupe: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """Purgeable: not purged, acknowledged or delivered before ``limite_date``, no open case."""
    acquitte = sa.and_(messages.c.statut == stockage_messages.ACQUITTE, messages.c.acquitte_le <= limite_date)
    livre = sa.and_(
        messages.c.statut == stockage_messages.LIVRE,
        sa.exists().where(
            livraisons.c.message_id == messages.c.id,
            livraisons.c.statut == stockage_livraisons.LIVRE,
            livraisons.c.livre_le <= limite_date,
        ),
    )
    return sa.and_(messages.c.purge_le.is_(None), sa.or_(acquitte, livre), groupe, sa.not_(_dossier_ouvert()))


def _journaliser_message(purgeur: Purgeur, connexion: Connection, ligne: sa.Row, instant: datetime,
                         jours: int, version: str | None) -> None:
    depuis = "acquittement" if ligne.statut == stockage_messages.ACQUITTE else "livraison"
    purgeur.journal.ecrire(connexion, Decision(
        decision=DECISION,
        horodatage=instant,
        flux=ligne.flux,
        message=ligne.id,
        destinataire=ligne.destinataire,
        nir_index=ligne.nir_index,
        empreinte=ligne.empreinte or None,
        details={
            "nature": CONTENUS,
            "emetteur": ligne.emetteur,
            "depuis": depuis,
            "conservation_jours": jours,
            "politique": version,
            "cle_chiffrement": ligne.cle_chiffrement,
            "enveloppe": ligne.cle_donnees is not None,
        },
    ))


def _purger_messages(purgeur: Purgeur, instant: datetime, bilan: BilanPurge, lot: int) -> None:
    politique = purgeur.conservation
    for noms, exclure, jours in politique.groupes(CONTENUS):
        limite_date = instant - timedelta(days=jours)
        condition = _candidats(limite_date, _flux_du_groupe(messages.c.flux, noms, exclure))
        colonnes = (messages.c.seq, messages.c.id, messages.c.flux, messages.c.emetteur, messages.c.destinataire,
                    messages.c.statut, messages.c.nir_index, messages.c.empreinte, messages.c.cle_chiffrement,
                    messages.c.cle_donnees)
        if bilan.essai:
            with purgeur.moteur.connect() as connexion:
                for flux, nombre in connexion.execute(
                    sa.select(messages.c.flux, sa.func.count()).where(condition).group_by(messages.c.flux)
                ):
                    bilan.messages[flux] += nombre
            continue
        while True:
            with purgeur.ecriture, purgeur.moteur.begin() as connexion:
                if connexion.dialect.name == "sqlite":
                    # Freed cells are overwritten with zeros, not left in the file's free pages.
                    connexion.exec_driver_sql("PRAGMA secure_delete=ON")
                lignes = connexion.execute(
                    sa.select(*colonnes).where(condition).order_by(messages.c.seq).limit(lot)
                    .with_for_update(skip_locked=True)
                ).all()
                for ligne in lignes:
                    detruit = connexion.execute(
                        sa.update(messages)
                        .where(messages.c.seq == ligne.seq, messages.c.purge_le.is_(None))
                        .values(contenu=b"", cle_donnees=None, purge_le=instant)
                    )
                    if detruit.rowcount == 1:
                        _journaliser_message(purgeur, connexion, ligne, instant, jours, politique.version)
                        bilan.messages[ligne.flux] += 1
                if connexion.dialect.name == "sqlite":
                    connexion.exec_driver_sql("PRAGMA secure_delete=OFF")
            if len(lignes) < lot:
                break


def _retenus(purgeur: Purgeur, instant: datetime, bilan: BilanPurge) -> None:
    """Messages past their retention that the purge keeps on purpose, by reason."""
    with purgeur.moteur.connect() as connexion:
        for noms, exclure, jours in purgeur.conservation.groupes(CONTENUS):
            limite_date = instant - timedelta(days=jours)
            groupe = _flux_du_groupe(messages.c.flux, noms, exclure)
            vieux = sa.and_(messages.c.purge_le.is_(None), messages.c.recu_le <= limite_date, groupe)
            pour = {
                "non_acquittes": messages.c.statut == stockage_messages.RECU,
                "rejetes_par_destinataire": messages.c.statut == stockage_messages.REJETE,
                "dossier_ouvert": sa.and_(
                    messages.c.statut.in_((stockage_messages.ACQUITTE, stockage_messages.LIVRE)), _dossier_ouvert()
                ),
            }
            for raison, filtre in pour.items():
                nombre = connexion.execute(sa.select(sa.func.count()).where(vieux, filtre)).scalar_one()
                if nombre:
                    bilan.retenus[raison] += nombre
            mortes = connexion.execute(
                sa.select(sa.func.count()).select_from(livraisons)
                .join(messages, messages.c.id == livraisons.c.message_id)
                .where(vieux, livraisons.c.statut == stockage_livraisons.MORTE)
            ).scalar_one()
            if mortes:
                bilan.retenus["lettres_mortes"] += mortes


def _entree_nature(purgeur: Purgeur, connexion: Connection, instant: datetime, nature: str,
                   comptes: Counter[tuple[str, str]], details: dict[str, Any]) -> None:
    purgeur.journal.ecrire(connexion, Decision(
        decision=DECISION,
        horodatage=instant,
        details={
            "nature": nature,
            "nombre": sum(comptes.values()),
            "par_emetteur": [{"emetteur": e, "flux": f, "nombre": n} for (e, f), n in sorted(comptes.items())],
            "politique": purgeur.conservation.version,
            **details,
        },
    ))


def _purger_idempotence(purgeur: Purgeur, instant: datetime, bilan: BilanPurge, lot: int) -> None:
    for noms, exclure, jours in purgeur.conservation.groupes(IDEMPOTENCE):
        limite_date = instant - timedelta(days=jours)
        condition = sa.and_(idempotence.c.cree_le <= limite_date, _flux_du_groupe(idempotence.c.flux, noms, exclure))
        if bilan.essai:
            with purgeur.moteur.connect() as connexion:
                bilan.idempotence += connexion.execute(sa.select(sa.func.count()).where(condition)).scalar_one()
            continue
        while True:
            with purgeur.ecriture, purgeur.moteur.begin() as connexion:
                cles = connexion.execute(
                    sa.select(idempotence.c.emetteur, idempotence.c.cle, idempotence.c.flux)
                    .where(condition).limit(lot).with_for_update(skip_locked=True)
                ).all()
                comptes: Counter[tuple[str, str]] = Counter()
                for emetteur, cle, flux in cles:
                    supprime = connexion.execute(
                        sa.delete(idempotence).where(idempotence.c.emetteur == emetteur, idempotence.c.cle == cle)
                    )
                    if supprime.rowcount:
                        comptes[(emetteur, flux)] += 1
                if comptes:
                    _entree_nature(purgeur, connexion, instant, IDEMPOTENCE, comptes,
                                   {"conservation_jours": jours, "avant": horodatage_texte(limite_date)})
                    bilan.idempotence += sum(comptes.values())
            if len(cles) < lot:
                break


def _purger_lots(purgeur: Purgeur, instant: datetime, bilan: BilanPurge, lot: int) -> None:
    for noms, exclure, jours in purgeur.conservation.groupes(LOTS):
        limite_date = instant - timedelta(days=jours)
        condition = sa.and_(lots.c.modifie_le <= limite_date, _flux_du_groupe(lots.c.flux, noms, exclure))
        if bilan.essai:
            with purgeur.moteur.connect() as connexion:
                bilan.lots += connexion.execute(sa.select(sa.func.count()).where(condition)).scalar_one()
            continue
        while True:
            with purgeur.ecriture, purgeur.moteur.begin() as connexion:
                trouves = connexion.execute(
                    sa.select(lots.c.emetteur, lots.c.cle, lots.c.flux, lots.c.termine)
                    .where(condition).limit(lot).with_for_update(skip_locked=True)
                ).all()
                comptes: Counter[tuple[str, str]] = Counter()
                inacheves = 0
                for emetteur, cle, flux, termine in trouves:
                    connexion.execute(sa.delete(lots_resultats).where(
                        lots_resultats.c.emetteur == emetteur, lots_resultats.c.cle == cle))
                    connexion.execute(sa.delete(lots).where(lots.c.emetteur == emetteur, lots.c.cle == cle))
                    comptes[(emetteur, flux)] += 1
                    inacheves += 0 if termine else 1
                if comptes:
                    _entree_nature(purgeur, connexion, instant, LOTS, comptes, {
                        "conservation_jours": jours, "avant": horodatage_texte(limite_date), "inacheves": inacheves,
                    })
                    bilan.lots += sum(comptes.values())
            if len(trouves) < lot:
                break


def nettoyer_tampons(purgeur: Purgeur) -> int:
    """Remove spool files left by a crash; journaled when there were any."""
    retires = purgeur.tampons.nettoyer()
    if retires:
        with purgeur.ecriture, purgeur.moteur.begin() as connexion:
            purgeur.journal.ecrire(connexion, Decision(
                decision=DECISION, horodatage=purgeur.horloge(),
                details={"nature": "fichiers_lots", "nombre": retires, "dossier": str(purgeur.tampons.chemin)},
            ))
    return retires


def purger(purgeur: Purgeur, *, essai: bool = False, lot: int | None = None,
           natures: Sequence[str] = (CONTENUS, IDEMPOTENCE, LOTS)) -> BilanPurge:
    """One round of the policy; ``essai``: count, destroy nothing."""
    bilan = BilanPurge(active=purgeur.conservation.active, essai=essai)
    instant = purgeur.horloge()
    lot = lot or purgeur.lot
    if not essai:
        bilan.fichiers = nettoyer_tampons(purgeur)
    if not bilan.active:
        return bilan
    if CONTENUS in natures:
        _purger_messages(purgeur, instant, bilan, lot)
    if IDEMPOTENCE in natures:
        _purger_idempotence(purgeur, instant, bilan, lot)
    if LOTS in natures:
        _purger_lots(purgeur, instant, bilan, lot)
    _retenus(purgeur, instant, bilan)
    return bilan


async def purger_periodiquement(purgeur: Purgeur) -> None:
    """Background task of the application; several replicas may run it (rows are claimed)."""
    if not purgeur.conservation.active:
        journal_technique.warning("conservation_absente", fichier=purgeur.conservation.source)
    while True:
        try:
            bilan = await run_in_threadpool(purger, purgeur)
            if bilan.total:
                journal_technique.info("purge", messages=sum(bilan.messages.values()), idempotence=bilan.idempotence,
                                       lots=bilan.lots, fichiers=bilan.fichiers)
        except Exception:  # noqa: BLE001 — the database may be briefly away; next round
            journal_technique.exception("purge_echec")
        await asyncio.sleep(purgeur.intervalle)
