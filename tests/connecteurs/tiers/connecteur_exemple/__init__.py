"""A third-party connector: keeps messages in memory and acknowledges them with a prefix.

It only uses the public surface (``connecteurs.base``, ``connecteurs.erreurs``) and lets
pydantic validate its parameters, which the gateway's registry turns into a precise error.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from connecteurs.base import (
    Consultation,
    ContexteConnecteur,
    EtatConnecteur,
    MessageALivrer,
    Remise,
    ReponseConsultation,
)


class ParametresExemple(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prefixe_accuse: str = Field(pattern=r"^[A-Z]{2,8}$")


class ConnecteurExemple:
    nom = "exemple"

    def __init__(self, organisme: str, parametres: ParametresExemple) -> None:
        self.organisme = organisme
        self.parametres = parametres
        self.recus: dict[str, MessageALivrer] = {}

    @property
    def livraison_par_lot(self) -> int:
        return 10

    @property
    def pousse(self) -> bool:
        return True

    async def livrer(self, messages: Sequence[MessageALivrer]) -> list[Remise]:
        remises = []
        for message in messages:
            self.recus.setdefault(message.id, message)
            remises.append(Remise(livre=True, accuse=f"{self.parametres.prefixe_accuse}-{message.id}"))
        return remises

    async def consulter(self, consultation: Consultation) -> ReponseConsultation:
        return ReponseConsultation(donnees={"type": consultation.type, "organisme": self.organisme})

    async def sante(self) -> EtatConnecteur:
        return EtatConnecteur(disponible=True, detail="en mémoire")

    async def fermer(self) -> None:
        self.recus.clear()


def creer(contexte: ContexteConnecteur) -> ConnecteurExemple:
    return ConnecteurExemple(contexte.organisme, ParametresExemple.model_validate(dict(contexte.parametres)))
