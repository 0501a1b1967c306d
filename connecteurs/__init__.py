"""Connecteurs: how the gateway hands a message to each caisse system.

The public surface is here and in ``connecteurs.base`` / ``connecteurs.registre``; modules
whose name starts with ``_`` are private. Built-in types: ``boite`` (pull, the default),
``http`` (signed HTTPS push) and ``fichier`` (SFTP batch files); third-party types are
discovered through the ``passerelle.connecteurs`` entry-point group.
"""

from connecteurs.base import (
    Connecteur,
    Consultation,
    ContexteConnecteur,
    EtatConnecteur,
    FabriqueConnecteur,
    MessageALivrer,
    Remise,
    ReponseConsultation,
)
from connecteurs.erreurs import (
    ConnecteurInchargeable,
    ConnecteurInconnu,
    ConsultationImpossible,
    ErreurConnecteur,
    ParametresConnecteurInvalides,
)
from connecteurs.registre import GROUPE, connecteurs_disponibles, creer_connecteur

__all__ = [
    "GROUPE",
    "Connecteur",
    "ConnecteurInchargeable",
    "ConnecteurInconnu",
    "Consultation",
    "ConsultationImpossible",
    "ContexteConnecteur",
    "ErreurConnecteur",
    "EtatConnecteur",
    "FabriqueConnecteur",
    "MessageALivrer",
    "ParametresConnecteurInvalides",
    "Remise",
    "ReponseConsultation",
    "connecteurs_disponibles",
    "creer_connecteur",
]
