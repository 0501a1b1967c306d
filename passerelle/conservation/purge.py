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

import structlog
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from passerelle.conservation.politique import CONTENUS, IDEMPOTENCE, LOTS, PolitiqueConservation
from passerelle.journal.ecriture import Decision, Journal, horodatage_texte
from passerelle.stockage import messages as stockage_messages
from passerelle.stockage import purge as stockage_purge
from passerelle.stockage.base import VerrouEcriture
from passerelle.stockage.purge import ContenuAPurger, GroupeFlux
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


def _journaliser_message(purgeur: Purgeur, connexion: Connection, ligne: ContenuAPurger, instant: datetime,
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
            "enveloppe": ligne.enveloppe,
        },
    ))


def _purger_messages(purgeur: Purgeur, instant: datetime, bilan: BilanPurge, lot: int) -> None:
    politique = purgeur.conservation
    for noms, exclure, jours in politique.groupes(CONTENUS):
        limite_date = instant - timedelta(days=jours)
        groupe = GroupeFlux(noms, exclure)
        if bilan.essai:
            with purgeur.moteur.connect() as connexion:
                for flux, nombre in stockage_purge.compter_contenus(connexion, groupe, limite_date):
                    bilan.messages[flux] += nombre
            continue
        while True:
            with purgeur.ecriture, purgeur.moteur.begin() as connexion:
                stockage_purge.effacement_sur(connexion, True)
                lignes = stockage_purge.contenus_a_purger(connexion, groupe, limite_date, lot)
                for ligne in lignes:
                    if stockage_purge.detruire_contenu(connexion, ligne.seq, instant):
                        _journaliser_message(purgeur, connexion, ligne, instant, jours, politique.version)
                        bilan.messages[ligne.flux] += 1
                stockage_purge.effacement_sur(connexion, False)
            if len(lignes) < lot:
                break


def _retenus(purgeur: Purgeur, instant: datetime, bilan: BilanPurge) -> None:
    """Messages past their retention that the purge keeps on purpose, by reason."""
    with purgeur.moteur.connect() as connexion:
        for noms, exclure, jours in purgeur.conservation.groupes(CONTENUS):
            limite_date = instant - timedelta(days=jours)
            for raison, nombre in stockage_purge.retenus(connexion, GroupeFlux(noms, exclure), limite_date).items():
                if nombre:
                    bilan.retenus[raison] += nombre


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
        groupe = GroupeFlux(noms, exclure)
        if bilan.essai:
            with purgeur.moteur.connect() as connexion:
                bilan.idempotence += stockage_purge.compter_idempotence(connexion, groupe, limite_date)
            continue
        while True:
            with purgeur.ecriture, purgeur.moteur.begin() as connexion:
                cles = stockage_purge.idempotence_a_purger(connexion, groupe, limite_date, lot)
                comptes: Counter[tuple[str, str]] = Counter()
                for emetteur, cle, flux in cles:
                    if stockage_purge.supprimer_idempotence(connexion, emetteur, cle):
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
        groupe = GroupeFlux(noms, exclure)
        if bilan.essai:
            with purgeur.moteur.connect() as connexion:
                bilan.lots += stockage_purge.compter_lots(connexion, groupe, limite_date)
            continue
        while True:
            with purgeur.ecriture, purgeur.moteur.begin() as connexion:
                trouves = stockage_purge.lots_a_purger(connexion, groupe, limite_date, lot)
                comptes: Counter[tuple[str, str]] = Counter()
                inacheves = 0
                for emetteur, cle, flux, termine in trouves:
                    stockage_purge.supprimer_lot(connexion, emetteur, cle)
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
