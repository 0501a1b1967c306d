"""The batches' rows: how far each went (by the sender's batch key), and its per-line results."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.dialecte import inserer_sauf_conflit
from passerelle.stockage.tables import lots, lots_resultats


@dataclass(frozen=True)
class EtatLot:
    flux: str
    empreinte: str
    lignes_traitees: int
    acceptees: int
    refusees: int
    termine: bool


def lire_etat(connexion: Connection, emetteur: str, cle: str) -> EtatLot | None:
    row = connexion.execute(sa.select(lots).where(lots.c.emetteur == emetteur, lots.c.cle == cle)).first()
    if row is None:
        return None
    m = row._mapping
    return EtatLot(m["flux"], m["empreinte"], m["lignes_traitees"], m["acceptees"], m["refusees"], m["termine"])


def ouvrir(connexion: Connection, emetteur: str, cle: str, flux: str, empreinte: str, instant: datetime) -> EtatLot:
    """The batch's row, created unless a batch with this key exists: the state found."""
    valeurs = {"emetteur": emetteur, "cle": cle, "flux": flux, "empreinte": empreinte, "lignes_traitees": 0,
               "acceptees": 0, "refusees": 0, "termine": False, "cree_le": instant, "modifie_le": instant}
    inserer_sauf_conflit(connexion, lots, valeurs)
    etat = lire_etat(connexion, emetteur, cle)
    assert etat is not None
    return etat


def avancer(connexion: Connection, emetteur: str, cle: str, depuis: int, etat: EtatLot, instant: datetime) -> bool:
    """Record ``etat`` if the batch is still at ``depuis`` lines (False: another request moved it)."""
    avance = connexion.execute(
        sa.update(lots)
        .where(lots.c.emetteur == emetteur, lots.c.cle == cle, lots.c.lignes_traitees == depuis)
        .values(lignes_traitees=etat.lignes_traitees, acceptees=etat.acceptees, refusees=etat.refusees,
                termine=etat.termine, modifie_le=instant)
        .returning(lots.c.cle)
    ).first()
    return avance is not None


def ajouter_resultats(connexion: Connection, emetteur: str, cle: str, contenu: bytes) -> None:
    """One more chunk of per-line results (NDJSON bytes), compressed, after the others."""
    numero = connexion.execute(
        sa.select(sa.func.count()).select_from(lots_resultats)
        .where(lots_resultats.c.emetteur == emetteur, lots_resultats.c.cle == cle)
    ).scalar_one()
    connexion.execute(sa.insert(lots_resultats).values(emetteur=emetteur, cle=cle, tranche=numero,
                                                       resultats=zlib.compress(contenu)))


def lire_resultats(connexion: Connection, emetteur: str, cle: str) -> Iterator[bytes]:
    """The per-line results, chunk by chunk, in line order."""
    tranches = connexion.execute(
        sa.select(lots_resultats.c.resultats)
        .where(lots_resultats.c.emetteur == emetteur, lots_resultats.c.cle == cle)
        .order_by(lots_resultats.c.tranche)
    )
    for (compresse,) in tranches:
        yield zlib.decompress(compresse)
