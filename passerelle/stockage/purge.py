"""The rows the retention purge reads, destroys and deletes: message payloads (crypto-shredded,
the row kept), idempotency records, batches and their per-line results. Selected per flux group
and age, claimed in short batches (rows another replica holds are skipped); what is purgeable and
what is journaled is conservation's (conservation/purge.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage import livraisons as stockage_livraisons
from passerelle.stockage import messages as stockage_messages
from passerelle.stockage.dossiers import EN_RETARD, OUVERT
from passerelle.stockage.tables import dossiers, idempotence, livraisons, lots, lots_resultats, messages


@dataclass(frozen=True)
class GroupeFlux:
    """The flux a retention rule covers: ``noms``, or every flux but ``noms`` (``exclure``);
    no name: every flux."""

    noms: tuple[str, ...]
    exclure: bool


def _du_groupe(colonne: sa.ColumnElement[Any], groupe: GroupeFlux) -> sa.ColumnElement[bool]:
    if not groupe.noms:
        return sa.true()
    return colonne.not_in(groupe.noms) if groupe.exclure else colonne.in_(groupe.noms)


def _dossier_ouvert() -> sa.Exists:
    return sa.exists().where(dossiers.c.demande_id == messages.c.id, dossiers.c.statut.in_((OUVERT, EN_RETARD)))


def _candidats(limite_date: datetime, groupe: GroupeFlux) -> sa.ColumnElement[bool]:
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
    return sa.and_(messages.c.purge_le.is_(None), sa.or_(acquitte, livre), _du_groupe(messages.c.flux, groupe),
                   sa.not_(_dossier_ouvert()))


# --------------------------------------------------------------------------- payloads


@dataclass(frozen=True)
class ContenuAPurger:
    seq: int
    id: str
    flux: str
    emetteur: str
    destinataire: str
    statut: str
    nir_index: str | None
    empreinte: str | None
    cle_chiffrement: str
    enveloppe: bool  # under its own data key


def compter_contenus(connexion: Connection, groupe: GroupeFlux, limite_date: datetime) -> list[tuple[str, int]]:
    """(flux, count) of the payloads a round would destroy."""
    condition = _candidats(limite_date, groupe)
    return [(flux, int(n)) for flux, n in connexion.execute(
        sa.select(messages.c.flux, sa.func.count()).where(condition).group_by(messages.c.flux)
    )]


def contenus_a_purger(connexion: Connection, groupe: GroupeFlux, limite_date: datetime, lot: int) -> list[ContenuAPurger]:
    lignes = connexion.execute(
        sa.select(messages.c.seq, messages.c.id, messages.c.flux, messages.c.emetteur, messages.c.destinataire,
                  messages.c.statut, messages.c.nir_index, messages.c.empreinte, messages.c.cle_chiffrement,
                  messages.c.cle_donnees)
        .where(_candidats(limite_date, groupe)).order_by(messages.c.seq).limit(lot)
        .with_for_update(skip_locked=True)
    ).all()
    return [ContenuAPurger(l.seq, l.id, l.flux, l.emetteur, l.destinataire, l.statut, l.nir_index, l.empreinte,
                           l.cle_chiffrement, l.cle_donnees is not None) for l in lignes]


def detruire_contenu(connexion: Connection, seq: int, instant: datetime) -> bool:
    """Destroy the payload and its data key, mark the row purged; False if it already was."""
    detruit = connexion.execute(
        sa.update(messages)
        .where(messages.c.seq == seq, messages.c.purge_le.is_(None))
        .values(contenu=b"", cle_donnees=None, purge_le=instant)
    )
    return detruit.rowcount == 1


def effacement_sur(connexion: Connection, actif: bool) -> None:
    """SQLite: freed cells overwritten with zeros, not left in the file's free pages."""
    if connexion.dialect.name == "sqlite":
        connexion.exec_driver_sql(f"PRAGMA secure_delete={'ON' if actif else 'OFF'}")


def retenus(connexion: Connection, groupe: GroupeFlux, limite_date: datetime) -> dict[str, int]:
    """Messages received before ``limite_date`` and not purged that a round keeps, by reason:
    never acknowledged, refused by the destination's system, open case, dead delivery."""
    vieux = sa.and_(messages.c.purge_le.is_(None), messages.c.recu_le <= limite_date, _du_groupe(messages.c.flux, groupe))
    pour = {
        "non_acquittes": messages.c.statut == stockage_messages.RECU,
        "rejetes_par_destinataire": messages.c.statut == stockage_messages.REJETE,
        "dossier_ouvert": sa.and_(
            messages.c.statut.in_((stockage_messages.ACQUITTE, stockage_messages.LIVRE)), _dossier_ouvert()
        ),
    }
    resultat: dict[str, int] = {}
    for raison, filtre in pour.items():
        resultat[raison] = int(connexion.execute(sa.select(sa.func.count()).where(vieux, filtre)).scalar_one())
    resultat["lettres_mortes"] = int(connexion.execute(
        sa.select(sa.func.count()).select_from(livraisons)
        .join(messages, messages.c.id == livraisons.c.message_id)
        .where(vieux, livraisons.c.statut == stockage_livraisons.MORTE)
    ).scalar_one())
    return resultat


# --------------------------------------------------------------------------- idempotency records


def _idempotence(groupe: GroupeFlux, limite_date: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(idempotence.c.cree_le <= limite_date, _du_groupe(idempotence.c.flux, groupe))


def compter_idempotence(connexion: Connection, groupe: GroupeFlux, limite_date: datetime) -> int:
    return int(connexion.execute(sa.select(sa.func.count()).where(_idempotence(groupe, limite_date))).scalar_one())


def idempotence_a_purger(connexion: Connection, groupe: GroupeFlux, limite_date: datetime, lot: int) -> list[tuple[str, str, str]]:
    """(sender, key, flux) of records created before ``limite_date``."""
    return [(e, c, f) for e, c, f in connexion.execute(
        sa.select(idempotence.c.emetteur, idempotence.c.cle, idempotence.c.flux)
        .where(_idempotence(groupe, limite_date)).limit(lot).with_for_update(skip_locked=True)
    )]


def supprimer_idempotence(connexion: Connection, emetteur: str, cle: str) -> bool:
    supprime = connexion.execute(sa.delete(idempotence).where(idempotence.c.emetteur == emetteur, idempotence.c.cle == cle))
    return bool(supprime.rowcount)


# --------------------------------------------------------------------------- batches


def _lots(groupe: GroupeFlux, limite_date: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(lots.c.modifie_le <= limite_date, _du_groupe(lots.c.flux, groupe))


def compter_lots(connexion: Connection, groupe: GroupeFlux, limite_date: datetime) -> int:
    return int(connexion.execute(sa.select(sa.func.count()).where(_lots(groupe, limite_date))).scalar_one())


def lots_a_purger(connexion: Connection, groupe: GroupeFlux, limite_date: datetime, lot: int) -> list[tuple[str, str, str, bool]]:
    """(sender, key, flux, finished) of batches last changed before ``limite_date``."""
    return [(e, c, f, bool(t)) for e, c, f, t in connexion.execute(
        sa.select(lots.c.emetteur, lots.c.cle, lots.c.flux, lots.c.termine)
        .where(_lots(groupe, limite_date)).limit(lot).with_for_update(skip_locked=True)
    )]


def supprimer_lot(connexion: Connection, emetteur: str, cle: str) -> None:
    """The batch's state and its per-line results."""
    connexion.execute(sa.delete(lots_resultats).where(lots_resultats.c.emetteur == emetteur, lots_resultats.c.cle == cle))
    connexion.execute(sa.delete(lots).where(lots.c.emetteur == emetteur, lots.c.cle == cle))
