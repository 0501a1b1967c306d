"""One connector instance per destination organisme, created from the directory on first use
and re-created when the organisme's connector settings change."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime

from connecteurs.base import Connecteur, ContexteConnecteur
from connecteurs.erreurs import ErreurConnecteur
from connecteurs.registre import creer_connecteur
from passerelle.annuaire.modeles import Organisme
from passerelle.catalogue.registre import DefinitionFlux
from passerelle.client.signeur import SigneurPasserelle
from passerelle.secrets_deploiement import SecretsDeploiement


class ConnecteurIndisponible(Exception):
    """The destination's connector cannot be built (unknown type, bad parameters)."""


class Connecteurs:
    def __init__(self, secrets: SecretsDeploiement, horloge: Callable[[], datetime],
                 catalogue: Mapping[str, DefinitionFlux]) -> None:
        """``secrets``: the gateway's signing key handed to connectors that sign; ``catalogue``:
        the flux models they parse acknowledgement files with."""
        self._secrets = secrets
        self._horloge = horloge
        self._modeles = {nom: d.modele for nom, d in catalogue.items()}
        self._instances: dict[str, tuple[str, Connecteur]] = {}
        self._a_fermer: list[Connecteur] = []

    @staticmethod
    def _empreinte(organisme: Organisme) -> str:
        return json.dumps([organisme.connecteur, dict(organisme.connecteur_parametres)], sort_keys=True, default=str)

    def pour(self, organisme: Organisme) -> Connecteur:
        empreinte = self._empreinte(organisme)
        deja = self._instances.get(organisme.code)
        if deja is not None and deja[0] == empreinte:
            return deja[1]
        secrets = self._secrets
        try:
            connecteur = creer_connecteur(
                organisme.connecteur,
                ContexteConnecteur(
                    organisme=organisme.code,
                    parametres=dict(organisme.connecteur_parametres),
                    cle_passerelle=secrets.cle_signature,
                    keyid_passerelle=secrets.signature_active,
                    horloge=self._horloge,
                    modeles=dict(self._modeles),
                    signeur=SigneurPasserelle(secrets.cle_signature, secrets.signature_active, self._horloge),
                ),
            )
        except ErreurConnecteur as exc:
            raise ConnecteurIndisponible(str(exc)) from exc
        if deja is not None:
            self._a_fermer.append(deja[1])
        self._instances[organisme.code] = (empreinte, connecteur)
        return connecteur

    def actifs(self) -> list[Connecteur]:
        return [c for _, c in self._instances.values()]

    async def fermer(self) -> None:
        for connecteur in self._a_fermer + self.actifs():
            await connecteur.fermer()
        self._instances.clear()
        self._a_fermer.clear()
