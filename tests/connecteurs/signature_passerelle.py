"""What a receiving caisse does: check that a request really comes from the gateway."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from passerelle.erreurs import RefusAuthentification
from passerelle.signature.base import MessageHttp
from passerelle.signature.verification import SignatureVerifiee, verifier_requete
from tests.connecteurs.outils import KEYID_PASSERELLE


def verifier_passerelle(
    *,
    methode: str,
    chemin: str,
    requete: str,
    entetes: Mapping[str, str],
    corps: bytes,
    publique: Ed25519PublicKey,
    maintenant: int,
) -> SignatureVerifiee:
    def resoudre(keyid: str) -> Ed25519PublicKey:
        if keyid != KEYID_PASSERELLE:
            raise RefusAuthentification("cle_inconnue", keyid)
        return publique

    message = MessageHttp(methode=methode, chemin=chemin, requete=requete, entetes=dict(entetes))
    return verifier_requete(message, corps, resoudre, maintenant)
