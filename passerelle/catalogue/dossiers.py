"""The case (dossier) of a request that expects an answer within a delay: a pure state machine.

A case opens when a request flux is accepted; its deadline and reminders come from the
convention that authorised the exchange. It ends answered, or — at the deadline — either late
(the answer is still taken, marked late) or expired (the answer is refused: past the agreed
delay the request has no effect any more, e.g. no retention from the pension back-pay).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from passerelle.erreurs import Conflit
from passerelle.stockage.dossiers import EN_RETARD, EXPIRE, OUVERT, REPONDU, Dossier

# The case as stored and its statuses are storage's (stockage/dossiers.py); the rules are here.

__all__ = ["EN_RETARD", "EXPIRE", "OUVERT", "REPONDU", "Dossier", "Evenement", "evenements_dus", "ouvrir", "repondre"]


def ouvrir(
    *,
    demande_id: str,
    flux_demande: str,
    flux_reponse: str,
    demandeur: str,
    repondant: str,
    convention: str,
    instant: datetime,
    delai: timedelta,
    rappels_avant: tuple[timedelta, ...],
    a_echeance: str,
    nir_index: str | None,
    nir_cle: str | None = None,
) -> Dossier:
    echeance = instant + delai
    rappels = tuple(sorted(echeance - avant for avant in rappels_avant if echeance - avant > instant))
    return Dossier(
        demande_id=demande_id,
        flux_demande=flux_demande,
        flux_reponse=flux_reponse,
        demandeur=demandeur,
        repondant=repondant,
        convention=convention,
        ouvert_le=instant,
        echeance=echeance,
        a_echeance=a_echeance,
        rappels=rappels,
        rappels_envoyes=0,
        statut=OUVERT,
        nir_index=nir_index,
        nir_cle=nir_cle if nir_index is not None else None,
    )


def repondre(dossier: Dossier, reponse_id: str, instant: datetime) -> Dossier:
    """The answer arrives: refused when the case is closed, marked late when past the deadline."""
    if dossier.statut == REPONDU:
        raise Conflit(
            "reponse_en_double",
            f"la demande {dossier.demande_id} a déjà reçu sa réponse ({dossier.reponse_id}) : une seule réponse par demande",
        )
    if dossier.statut == EXPIRE or (dossier.a_echeance == "expire" and instant >= dossier.echeance):
        raise Conflit(
            "delai_depasse",
            f"le délai de réponse à la demande {dossier.demande_id} a expiré le "
            f"{dossier.echeance:%Y-%m-%d %H:%M} UTC (convention {dossier.convention}) : la réponse n'a plus d'effet",
        )
    return replace(
        dossier,
        statut=REPONDU,
        reponse_id=reponse_id,
        repondu_le=instant,
        repondu_en_retard=instant >= dossier.echeance,
    )


@dataclass(frozen=True)
class Evenement:
    """What the deadline worker must tell both parties: ``rappel``, ``en_retard`` or ``expire``."""

    nature: str
    dossier: Dossier


def evenements_dus(dossier: Dossier, instant: datetime) -> tuple[Dossier, list[Evenement]]:
    """Advance a case to ``instant``: reminders now due, then the deadline if reached.

    Reminders whose time passed while the worker was away are sent once (the latest only:
    several stale reminders at once would only be noise); none after the deadline.
    """
    evenements: list[Evenement] = []
    if dossier.statut != OUVERT:
        return dossier, evenements
    dus = [r for r in dossier.rappels[dossier.rappels_envoyes:] if r <= instant and r < dossier.echeance]
    if dus and instant < dossier.echeance:
        dossier = replace(dossier, rappels_envoyes=dossier.rappels_envoyes + len(dus))
        evenements.append(Evenement("rappel", dossier))
    elif dus:
        dossier = replace(dossier, rappels_envoyes=len(dossier.rappels))
    if instant >= dossier.echeance:
        nature = EXPIRE if dossier.a_echeance == "expire" else EN_RETARD
        dossier = replace(dossier, statut=nature, rappels_envoyes=len(dossier.rappels))
        evenements.append(Evenement(nature, dossier))
    return dossier, evenements
