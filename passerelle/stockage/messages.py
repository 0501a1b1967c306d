"""Messages and idempotency records: the rows, nothing of the rules."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage import differes
from passerelle.stockage.chiffrement import Chiffre
from passerelle.stockage.dialecte import inserer_sauf_conflit
from passerelle.stockage.tables import idempotence, journal, messages

RECU = "recu"
LIVRE = "livre"  # pushed to the destination's system, which said it has it
ACQUITTE = "acquitte"
REJETE = "rejete"  # the destination's system said it could not take it in (acknowledgement file)
REMISE_BOITE = "boite"


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
    remise: str = REMISE_BOITE
    convention: str | None = None  # under which it was accepted (None: the gateway's own notices)
    nir_cle: str | None = None  # the blind-index key of ``nir_index``
    purge_le: datetime | None = None  # payload destroyed then (retention): ``contenu`` is empty

    @property
    def purge(self) -> bool:
        return self.purge_le is not None


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
        contenu=Chiffre(m["cle_chiffrement"], m["contenu"], m["cle_donnees"]),
        journal_index=m["journal_index"],
        regles_version=m["regles_version"],
        remise=m["remise"],
        convention=m["convention"],
        nir_cle=m["nir_cle"],
        purge_le=m["purge_le"],
    )


_INSERER = sa.insert(messages)  # one statement object, compiled once


def inserer(connexion: Connection, ligne: LigneMessage) -> None:
    """At once, or at the end of the open block of deferred inserts (``differes.py``)."""
    differes.inserer(connexion, _INSERER, dict(
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
        cle_donnees=ligne.contenu.cle_donnees,
        nir_cle=ligne.nir_cle,
        journal_index=ligne.journal_index,
        regles_version=ligne.regles_version,
        remise=ligne.remise,
        convention=ligne.convention,
    ))


def lire(connexion: Connection, message_id: str) -> LigneMessage | None:
    row = connexion.execute(sa.select(messages).where(messages.c.id == message_id)).first()
    return _ligne(row) if row is not None else None


def page_boite(
    connexion: Connection, destinataire: str, apres: int, limite: int, exclure: Collection[tuple[str, str]] = ()
) -> list[LigneMessage]:
    """Unacknowledged pull-mode messages for ``destinataire``, oldest first, after ``apres``.

    Messages pushed by a connector never show here: one route to the business side each.
    ``exclure``: (convention, flux) pairs the reader's profile may not read (minimisation.py).
    """
    requete = sa.select(messages).where(
        messages.c.destinataire == destinataire,
        messages.c.remise == REMISE_BOITE,
        messages.c.statut == RECU,
        messages.c.seq > apres,
    )
    if exclure:
        masque = sa.or_(*(sa.and_(messages.c.convention == c, messages.c.flux == f) for c, f in sorted(exclure)))
        requete = requete.where(sa.or_(messages.c.convention.is_(None), sa.not_(masque)))
    rows = connexion.execute(requete.order_by(messages.c.seq).limit(limite))
    return [_ligne(r) for r in rows]


def acquitter(connexion: Connection, message_id: str, destinataire: str, instant: datetime, agent: str) -> bool:
    """Mark acknowledged if it still was not; True for the one call that did it."""
    resultat = connexion.execute(
        sa.update(messages)
        .where(
            messages.c.id == message_id,
            messages.c.destinataire == destinataire,
            messages.c.statut.in_((RECU, LIVRE)),
        )
        .values(statut=ACQUITTE, acquitte_le=instant, acquitte_par=agent)
        .returning(messages.c.id)
    )
    return resultat.first() is not None


def noter_rejete(connexion: Connection, message_id: str) -> bool:
    resultat = connexion.execute(
        sa.update(messages)
        .where(messages.c.id == message_id, messages.c.statut.in_((RECU, LIVRE)))
        .values(statut=REJETE)
        .returning(messages.c.id)
    )
    return resultat.first() is not None


def noter_livre(connexion: Connection, message_id: str) -> None:
    connexion.execute(
        sa.update(messages).where(messages.c.id == message_id, messages.c.statut == RECU).values(statut=LIVRE)
    )


def historique(connexion: Connection, message_id: str, parties: tuple[str, str]) -> list[sa.RowMapping]:
    """The message's journal entries made by its two parties or by the gateway itself — not the
    attempts of third organismes (refused), which are the auditors' business, not the parties'."""
    rows = connexion.execute(
        sa.select(journal.c.index, journal.c.horodatage, journal.c.decision, journal.c.code, journal.c.organisme)
        .where(
            journal.c.message_id == message_id,
            sa.or_(journal.c.organisme.in_(parties), journal.c.organisme.is_(None)),
        )
        .order_by(journal.c.index)
    )
    return [r._mapping for r in rows]


@dataclass(frozen=True)
class ReponseEnregistree:
    flux: str
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
    return ReponseEnregistree(m["flux"], m["empreinte"], m["statut_http"], m["corps"], json.loads(m["entetes"]))


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
            "flux": reponse.flux,
            "empreinte": reponse.empreinte,
            "statut_http": reponse.statut_http,
            "corps": reponse.corps,
            "entetes": json.dumps(reponse.entetes, sort_keys=True),
            "cree_le": instant,
        },
    )
