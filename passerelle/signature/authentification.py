"""Step 1 of every organisme request: who is calling, proven by signature, never by claim.

Joins the pure RFC 9421/9530 verification to the directory (key → organisme, validity) and to
the replay cache. This is the only place a request is authenticated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection

from passerelle.annuaire.modeles import Annuaire, Cle, Organisme
from passerelle.erreurs import RefusAuthentification, citer
from passerelle.signature.base import MessageHttp
from passerelle.signature.contenu import CorpsHache
from passerelle.signature.rejeu import consommer_nonce
from passerelle.signature.verification import SignatureVerifiee, verifier_requete

TAILLE_MAX_AGENT = 256
_KEYID = re.compile(r'keyid="([^"\\]{1,128})"')


@dataclass(frozen=True)
class Appelant:
    organisme: Organisme
    cle: Cle
    agent: str
    signature: SignatureVerifiee


def keyid_annonce(message: MessageHttp) -> str | None:
    """The key id a request *claims*, for the journal of a refusal only — never trusted."""
    trouve = _KEYID.search(message.entetes.get("signature-input", ""))
    return trouve.group(1) if trouve else None


def _resolveur(annuaire: Annuaire, instant: datetime, retenue: dict[str, Cle]):  # type: ignore[no-untyped-def]
    def resoudre(keyid: str) -> Ed25519PublicKey:
        cle = annuaire.cles.get(keyid)
        if cle is None:
            raise RefusAuthentification("cle_inconnue", f"la clé {citer(keyid)} n'est pas dans l'annuaire")
        etat = cle.etat(instant)
        if etat == "revoquee":
            raise RefusAuthentification(
                "cle_revoquee", f"la clé {citer(keyid)} a été révoquée le {cle.revoquee_le:%Y-%m-%d %H:%M:%S} UTC"
            )
        if etat == "expiree":
            raise RefusAuthentification("cle_expiree", f"la clé {citer(keyid)} a expiré le {cle.valide_au:%Y-%m-%d} UTC")
        if etat == "pas_encore_valide":
            raise RefusAuthentification(
                "cle_pas_encore_valide", f"la clé {citer(keyid)} n'est valide qu'à partir du {cle.valide_du:%Y-%m-%d} UTC"
            )
        if annuaire.organisme(cle.organisme) is None:
            raise RefusAuthentification("cle_inconnue", f"l'organisme de la clé {citer(keyid)} n'est plus dans l'annuaire")
        retenue[keyid] = cle
        return cle.publique

    return resoudre


def verifier_appelant(
    annuaire: Annuaire,
    message: MessageHttp,
    corps: bytes | CorpsHache,
    instant: datetime,
    *,
    fenetre: int,
    derive: int,
) -> Appelant:
    """Everything but replay: the signature, its key in the directory, the agent named. No
    database — so it can run before the transaction; ``admettre`` must follow, in it
    (``reception/etapes.py``: ``verifier`` then ``authentifier``, for every organisme endpoint)."""
    retenue: dict[str, Cle] = {}
    signature = verifier_requete(
        message,
        corps,
        _resolveur(annuaire, instant, retenue),
        int(instant.timestamp()),
        fenetre=fenetre,
        derive=derive,
    )
    cle = retenue[signature.keyid]
    # Covered by the signature, so present and non-empty once verified (else agent_absent).
    agent = message.entetes["passerelle-agent"].strip()
    if len(agent) > TAILLE_MAX_AGENT:
        raise RefusAuthentification("agent_invalide", f"Passerelle-Agent dépasse {TAILLE_MAX_AGENT} caractères")
    organisme = annuaire.organisme(cle.organisme)
    assert organisme is not None
    return Appelant(organisme=organisme, cle=cle, agent=agent, signature=signature)


def admettre(connexion: Connection, appelant: Appelant, *, fenetre: int, derive: int) -> None:
    """The replay check, in the request's transaction: a nonce serves once per key."""
    signature = appelant.signature
    consommer_nonce(connexion, signature.keyid, signature.nonce, signature.created + fenetre + derive)


def preauthentifier(annuaire: Annuaire, message: MessageHttp, instant: datetime, *, fenetre: int, derive: int) -> None:
    """Before receiving a large body: the signature holds, the key is valid, a body digest is
    signed. Consumes nothing — ``authentifier`` runs in full once the body is there."""
    verifier_requete(
        message,
        CorpsAnnonce(),
        _resolveur(annuaire, instant, {}),
        int(instant.timestamp()),
        fenetre=fenetre,
        derive=derive,
        empreinte_differee=True,
    )


class CorpsAnnonce(CorpsHache):
    """A body announced but not yet received: counts as present (a digest must be signed)."""

    def __bool__(self) -> bool:
        return True
