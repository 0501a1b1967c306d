"""The one place that builds the journal's decisions of the request path.

Each function says in its name what happened (a message accepted, a request refused, a batch
processed, a consultation asked, answered or failed) and takes what is known of it; the entry's
shape (:class:`~passerelle.journal.ecriture.Decision`) is decided here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from passerelle.journal.ecriture import Decision
from passerelle.signature.authentification import Appelant

# The journal's columns for what a refused caller claimed (stockage/tables.py): a flux or a
# message id taken from the path is recorded cut to them, never failing the refusal's entry.
LONGUEUR_FLUX = 64
LONGUEUR_MESSAGE = 36


def _borne(valeur: str | None, longueur: int) -> str | None:
    return valeur[:longueur] if valeur else valeur


@dataclass(frozen=True)
class Echange:
    """Who sent what to whom: the common part of the entries about one message or question."""

    appelant: Appelant
    flux: str
    message: str
    destinataire: str
    nir: str | None
    convention: str | None
    nir_index: str | None = None  # instead of ``nir``, when already computed with the active key


def _de_l_echange(nom: str, echange: Echange, instant: datetime, *, code: str | None = None,
                  empreinte: str | None, details: Mapping[str, object]) -> Decision:
    appelant = echange.appelant
    return Decision(
        decision=nom,
        code=code,
        horodatage=instant,
        flux=echange.flux,
        message=echange.message,
        organisme=appelant.organisme.code,
        destinataire=echange.destinataire,
        keyid=appelant.cle.keyid,
        agent=appelant.agent,
        robot=appelant.cle.robot,
        nir=echange.nir,
        nir_index=echange.nir_index,
        empreinte=empreinte,
        convention=echange.convention,
        details=dict(details),
    )


def acceptee(echange: Echange, instant: datetime, empreinte: str, details: Mapping[str, object]) -> Decision:
    return _de_l_echange("accepte", echange, instant, empreinte=empreinte, details=details)


def refusee(
    *,
    code: str,
    instant: datetime,
    details: Mapping[str, object],
    appelant: Appelant | None,
    auditeur: str | None = None,
    flux: str | None = None,
    message: str | None = None,
    destinataire: str | None = None,
    nir: str | None = None,
    empreinte: str | None = None,
) -> Decision:
    """A refusal, with what the furthest step reached knew; a NIR only of a proven caller."""
    return Decision(
        decision="refuse",
        code=code,
        horodatage=instant,
        flux=_borne(flux, LONGUEUR_FLUX),
        message=_borne(message, LONGUEUR_MESSAGE),
        organisme=appelant.organisme.code if appelant else None,
        destinataire=destinataire,
        keyid=appelant.cle.keyid if appelant else None,
        agent=appelant.agent if appelant else auditeur,
        robot=appelant.cle.robot if appelant else None,
        nir=nir if appelant else None,
        empreinte=empreinte,
        details=dict(details),
    )


def lot_traite(appelant: Appelant, flux: str, instant: datetime, empreinte: str | None,
               details: Mapping[str, object]) -> Decision:
    return Decision(
        decision="lot_traite", horodatage=instant, flux=flux, organisme=appelant.organisme.code,
        keyid=appelant.cle.keyid, agent=appelant.agent, robot=appelant.cle.robot, empreinte=empreinte,
        details=dict(details),
    )


def consultation_demandee(echange: Echange, instant: datetime, empreinte: str | None,
                          details: Mapping[str, object]) -> Decision:
    return _de_l_echange("consultation_demandee", echange, instant, empreinte=empreinte, details=details)


def consultation_close(echange: Echange, instant: datetime, *, echec: str | None, empreinte_reponse: str | None,
                       details: Mapping[str, object]) -> Decision:
    """``consultation_repondue`` (with the answer's digest) or ``consultation_echouee`` (its code)."""
    nom = "consultation_echouee" if echec is not None else "consultation_repondue"
    return _de_l_echange(nom, echange, instant, code=echec, empreinte=empreinte_reponse, details=details)
