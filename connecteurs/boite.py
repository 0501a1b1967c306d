"""``boite``: pull only — the organisme reads its inbox (``GET /v1/boite``) and acknowledges.

It is the default because it needs nothing from the caisse but an HTTP client, and the
message is already in the inbox once accepted. There is nothing to push, so ``pousse`` is false
and the worker skips this connector entirely. Should ``livrer`` be called anyway, it answers a
non-definitive failure: a bug in the worker then delays nothing the organisme cannot already
pull, and never sends an inbox message to the dead letters.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from connecteurs._parametres import lire_parametres
from connecteurs.base import (
    Consultation,
    ContexteConnecteur,
    EtatConnecteur,
    MessageALivrer,
    Remise,
    ReponseConsultation,
)
from connecteurs.erreurs import ConsultationImpossible

__all__ = ["ConnecteurBoite", "ParametresBoite", "creer", "DETAIL_BOITE"]

DETAIL_BOITE = "remise par boîte: l'organisme relève lui-même"


class ParametresBoite(BaseModel):
    """No parameter: any key in the directory entry is a mistake worth reporting."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ConnecteurBoite:
    nom = "boite"

    def __init__(self, organisme: str) -> None:
        self.organisme = organisme

    @property
    def livraison_par_lot(self) -> int:
        return 1

    @property
    def pousse(self) -> bool:
        return False

    async def livrer(self, messages: Sequence[MessageALivrer]) -> list[Remise]:
        return [Remise(livre=False, detail=DETAIL_BOITE, definitif=False) for _ in messages]

    async def consulter(self, consultation: Consultation) -> ReponseConsultation:
        raise ConsultationImpossible(
            "consultation_non_prise_en_charge",
            False,
            f"l'organisme {self.organisme} n'échange que par sa boîte : pas de consultation synchrone",
        )

    async def sante(self) -> EtatConnecteur:
        return EtatConnecteur(disponible=True, detail="relève par l'organisme (boîte)")

    async def fermer(self) -> None:
        return None


def creer(contexte: ContexteConnecteur) -> ConnecteurBoite:
    lire_parametres(ParametresBoite, contexte.organisme, ConnecteurBoite.nom, contexte.parametres)
    return ConnecteurBoite(contexte.organisme)
