"""Request authentication and response signing: RFC 9421 (Ed25519 only) and RFC 9530.

Our own implementation, kept small and strict: it accepts only what the wire contract needs
and refuses the rest with a stable ``code``, so that every refusal can be explained to an
integrator. An independent implementation is used in the tests as an oracle.
"""

from passerelle.signature.base import MessageHttp, construire_base
from passerelle.signature.contenu import empreinte_contenu, verifier_empreinte
from passerelle.signature.lecture import verifier_signature
from passerelle.signature.signature import signer_reponse, signer_requete
from passerelle.signature.verification import (
    ReponseVerifiee,
    SignatureVerifiee,
    verifier_reponse,
    verifier_requete,
)

__all__ = [
    "MessageHttp",
    "ReponseVerifiee",
    "SignatureVerifiee",
    "construire_base",
    "empreinte_contenu",
    "signer_reponse",
    "signer_requete",
    "verifier_empreinte",
    "verifier_reponse",
    "verifier_requete",
    "verifier_signature",
]
