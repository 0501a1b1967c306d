"""Rows of the cases: the case as stored (``Dossier``) and its statuses; the rules that open,
answer and age a case are in catalogue/dossiers.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.stockage.tables import dossiers

OUVERT = "ouvert"
EN_RETARD = "en_retard"
REPONDU = "repondu"
EXPIRE = "expire"


@dataclass(frozen=True)
class Dossier:
    demande_id: str
    flux_demande: str
    flux_reponse: str
    demandeur: str
    repondant: str
    convention: str
    ouvert_le: datetime
    echeance: datetime
    a_echeance: str  # en_retard | expire
    rappels: tuple[datetime, ...]  # instants of the reminders, in order
    rappels_envoyes: int
    statut: str
    nir_index: str | None = None
    reponse_id: str | None = None
    repondu_le: datetime | None = None
    repondu_en_retard: bool = False
    nir_cle: str | None = None  # the blind-index key of nir_index

    @property
    def prochain_evenement(self) -> datetime | None:
        """When the deadline worker must next look at this case (None: never again)."""
        if self.statut == OUVERT:
            if self.rappels_envoyes < len(self.rappels):
                return min(self.rappels[self.rappels_envoyes], self.echeance)
            return self.echeance
        return None


def _valeurs(dossier: Dossier) -> dict[str, object]:
    return {
        "flux_demande": dossier.flux_demande,
        "flux_reponse": dossier.flux_reponse,
        "demandeur": dossier.demandeur,
        "repondant": dossier.repondant,
        "convention": dossier.convention,
        "ouvert_le": dossier.ouvert_le,
        "echeance": dossier.echeance,
        "a_echeance": dossier.a_echeance,
        "rappels": json.dumps([r.isoformat() for r in dossier.rappels]),
        "rappels_envoyes": dossier.rappels_envoyes,
        "statut": dossier.statut,
        "prochain_evenement": dossier.prochain_evenement,
        "nir_index": dossier.nir_index,
        "nir_cle": dossier.nir_cle,
        "reponse_id": dossier.reponse_id,
        "repondu_le": dossier.repondu_le,
        "repondu_en_retard": dossier.repondu_en_retard,
    }


def _utc(instant: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; every instant stored here is UTC."""
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def _dossier(row: sa.Row) -> Dossier:
    m = row._mapping
    return Dossier(
        demande_id=m["demande_id"],
        flux_demande=m["flux_demande"],
        flux_reponse=m["flux_reponse"],
        demandeur=m["demandeur"],
        repondant=m["repondant"],
        convention=m["convention"],
        ouvert_le=_utc(m["ouvert_le"]),
        echeance=_utc(m["echeance"]),
        a_echeance=m["a_echeance"],
        rappels=tuple(datetime.fromisoformat(r) for r in json.loads(m["rappels"])),
        rappels_envoyes=m["rappels_envoyes"],
        statut=m["statut"],
        nir_index=m["nir_index"],
        reponse_id=m["reponse_id"],
        repondu_le=_utc(m["repondu_le"]) if m["repondu_le"] is not None else None,
        repondu_en_retard=m["repondu_en_retard"],
        nir_cle=m["nir_cle"],
    )


def inserer(connexion: Connection, dossier: Dossier) -> None:
    connexion.execute(sa.insert(dossiers).values(demande_id=dossier.demande_id, **_valeurs(dossier)))


def enregistrer(connexion: Connection, dossier: Dossier) -> None:
    connexion.execute(sa.update(dossiers).where(dossiers.c.demande_id == dossier.demande_id).values(**_valeurs(dossier)))


def lire(connexion: Connection, demande_id: str, *, verrouiller: bool = False) -> Dossier | None:
    requete = sa.select(dossiers).where(dossiers.c.demande_id == demande_id)
    if verrouiller:
        requete = requete.with_for_update()
    row = connexion.execute(requete).first()
    return _dossier(row) if row is not None else None


def a_traiter(connexion: Connection, instant: datetime, limite: int) -> list[Dossier]:
    """Open cases with a reminder or deadline due; rows another replica holds are skipped."""
    rows = connexion.execute(
        sa.select(dossiers)
        .where(dossiers.c.statut == OUVERT, dossiers.c.prochain_evenement <= instant)
        .order_by(dossiers.c.prochain_evenement)
        .limit(limite)
        .with_for_update(skip_locked=True)
    )
    return [_dossier(r) for r in rows]


def lister(connexion: Connection, *, du: datetime, au: datetime) -> list[Dossier]:
    rows = connexion.execute(
        sa.select(dossiers).where(dossiers.c.ouvert_le >= du, dossiers.c.ouvert_le < au).order_by(dossiers.c.ouvert_le)
    )
    return [_dossier(r) for r in rows]


def en_retard_par_repondant(connexion: Connection, instant: datetime) -> list[tuple[str, str, int]]:
    """(answering organisme, request flux, count) of the cases still waiting for their answer
    whose deadline is past at ``instant``, whatever their opening date."""
    lignes = connexion.execute(
        sa.select(dossiers.c.repondant, dossiers.c.flux_demande, sa.func.count())
        .where(
            dossiers.c.repondu_le.is_(None),
            dossiers.c.echeance <= instant,
            dossiers.c.statut.in_((OUVERT, EN_RETARD)),
        )
        .group_by(dossiers.c.repondant, dossiers.c.flux_demande)
    ).all()
    return [(r, f, int(n)) for r, f, n in lignes]
