"""Messages and idempotency records: the rows, nothing of the rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.chiffrement import Chiffre
from passerelle.stockage.dialecte import inserer_sauf_conflit
from passerelle.stockage.tables import idempotence, journal, messages

RECU = "recu"
ACQUITTE = "acquitte"


@dataclass(frozen=True)
class LigneMessage:
    seq: int
    id: str
    flux: str
    emetteur: str
    destinataire: str
    keyid: str
    agent: str
    reference: str | None
    en_reponse_a: str | None
    nir_index: str | None
    empreinte: str
    recu_le: datetime
    statut: str
    acquitte_le: datetime | None
    acquitte_par: str | None
    contenu: Chiffre
    journal_index: int
    regles_version: str | None


def _ligne(row: sa.Row) -> LigneMessage:
    m = row._mapping
    return LigneMessage(
        seq=m["seq"],
        id=m["id"],
        flux=m["flux"],
        emetteur=m["emetteur"],
        destinataire=m["destinataire"],
        keyid=m["keyid"],
        agent=m["agent"],
        reference=m["reference"],
        en_reponse_a=m["en_reponse_a"],
        nir_index=m["nir_index"],
        empreinte=m["empreinte"],
        recu_le=m["recu_le"],
        statut=m["statut"],
        acquitte_le=m["acquitte_le"],
        acquitte_par=m["acquitte_par"],
        contenu=Chiffre(m["cle_chiffrement"], m["contenu"]),
        journal_index=m["journal_index"],
        regles_version=m["regles_version"],
    )


def inserer(connexion: Connection, ligne: LigneMessage) -> None:
    connexion.execute(
        sa.insert(messages).values(
            id=ligne.id,
            flux=ligne.flux,
            emetteur=ligne.emetteur,
            destinataire=ligne.destinataire,
            keyid=ligne.keyid,
            agent=ligne.agent,
            reference=ligne.reference,
            en_reponse_a=ligne.en_reponse_a,
            nir_index=ligne.nir_index,
            empreinte=ligne.empreinte,
            recu_le=ligne.recu_le,
            statut=ligne.statut,
            contenu=ligne.contenu.octets,
            cle_chiffrement=ligne.contenu.cle,
            journal_index=ligne.journal_index,
            regles_version=ligne.regles_version,
        )
    )


def lire(connexion: Connection, message_id: str) -> LigneMessage | None:
    row = connexion.execute(sa.select(messages).where(messages.c.id == message_id)).first()
    return _ligne(row) if row is not None else None


def page_boite(connexion: Connection, destinataire: str, apres: int, limite: int) -> list[LigneMessage]:
    """Unacknowledged messages for ``destinataire``, oldest first, after sequence ``apres``."""
    rows = connexion.execute(
        sa.select(messages)
        .where(messages.c.destinataire == destinataire, messages.c.statut == RECU, messages.c.seq > apres)
        .order_by(messages.c.seq)
        .limit(limite)
    )
    return [_ligne(r) for r in rows]


def acquitter(connexion: Connection, message_id: str, destinataire: str, instant: datetime, agent: str) -> bool:
    """Mark acknowledged if it still was not; True for the one call that did it."""
    resultat = connexion.execute(
        sa.update(messages)
        .where(messages.c.id == message_id, messages.c.destinataire == destinataire, messages.c.statut == RECU)
        .values(statut=ACQUITTE, acquitte_le=instant, acquitte_par=agent)
    )
    return resultat.rowcount == 1


def historique(connexion: Connection, message_id: str) -> list[sa.RowMapping]:
    rows = connexion.execute(
        sa.select(journal.c.index, journal.c.horodatage, journal.c.decision, journal.c.code, journal.c.organisme)
        .where(journal.c.message_id == message_id)
        .order_by(journal.c.index)
    )
    return [r._mapping for r in rows]


@dataclass(frozen=True)
class ReponseEnregistree:
    empreinte: str
    statut_http: int
    corps: bytes
    entetes: dict[str, str]


def lire_idempotence(connexion: Connection, emetteur: str, cle: str) -> ReponseEnregistree | None:
    row = connexion.execute(
        sa.select(idempotence).where(idempotence.c.emetteur == emetteur, idempotence.c.cle == cle)
    ).first()
    if row is None:
        return None
    m = row._mapping
    return ReponseEnregistree(m["empreinte"], m["statut_http"], m["corps"], json.loads(m["entetes"]))


def enregistrer_idempotence(
    connexion: Connection, emetteur: str, cle: str, reponse: ReponseEnregistree, instant: datetime
) -> bool:
    """False when another request with the same key got there first."""
    return inserer_sauf_conflit(
        connexion,
        idempotence,
        {
            "emetteur": emetteur,
            "cle": cle,
            "empreinte": reponse.empreinte,
            "statut_http": reponse.statut_http,
            "corps": reponse.corps,
            "entetes": json.dumps(reponse.entetes, sort_keys=True),
            "cree_le": instant,
        },
    )
