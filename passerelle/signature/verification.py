"""The wire contract's rules on top of RFC 9421: who signed, when, and over what.

Cheap checks come first and the key is resolved only once the signature is well formed and
fresh, so garbage never costs a directory lookup. The body digest is checked last, after the
signature proved the ``Content-Digest`` header is the sender's: a digest mismatch then means
the body changed, not that someone forged the header. Replay (the nonce) is the caller's job,
because only the database knows which nonces were already seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from passerelle.erreurs import RefusAuthentification
from passerelle.signature.base import MessageHttp
from passerelle.signature.contenu import CorpsHache, verifier_empreinte
from passerelle.signature.lecture import (
    SignatureLue,
    controler_algorithme,
    lire_signature,
    verifier_valeur,
)

COMPOSANTS_REQUETE = ("@method", "@path", "@query", "passerelle-agent")
COMPOSANTS_CORPS = ("content-type", "content-digest")
COMPOSANTS_REPONSE = ("@status", "content-type", "content-digest")
_LONGUEUR_MAX = 256  # keyid and nonce end up in the journal and the replay table


@dataclass(frozen=True)
class SignatureVerifiee:
    """What a verified request signature proves; ``nonce`` still has to be checked for replay."""

    keyid: str
    created: int
    nonce: str
    expires: int | None
    composants: tuple[str, ...]
    etiquette: str


@dataclass(frozen=True)
class ReponseVerifiee:
    """What a verified gateway response (receipt) proves; responses need no nonce."""

    keyid: str
    created: int
    nonce: str | None
    expires: int | None
    composants: tuple[str, ...]
    etiquette: str


def _chaine(lue: SignatureLue, nom: str, *, obligatoire: bool) -> str | None:
    valeur = lue.parametres.get(nom)
    if valeur is None and not obligatoire:
        return None
    if type(valeur) is not str or not valeur or len(valeur) > _LONGUEUR_MAX:
        raise RefusAuthentification(
            "parametre_manquant",
            f"Le paramètre de signature « {nom} » est obligatoire et doit être une chaîne "
            f'non vide entre guillemets (au plus {_LONGUEUR_MAX} caractères), p. ex. {nom}="...".',
        )
    return valeur


def _entier(lue: SignatureLue, nom: str, *, obligatoire: bool) -> int | None:
    valeur: Any = lue.parametres.get(nom)
    if valeur is None and not obligatoire:
        return None
    # type() and not isinstance(): http_sf gives True for created=?1, and bool is an int.
    if type(valeur) is not int or valeur < 0:
        raise RefusAuthentification(
            "parametre_manquant",
            f"Le paramètre de signature « {nom} » est obligatoire et doit être un entier "
            f"(secondes depuis l'époque Unix), p. ex. {nom}=1735689600.",
        )
    return int(valeur)


def _exiger_composants(lue: SignatureLue, requis: tuple[str, ...]) -> None:
    couverts = {nom for nom, parametres in lue.couverts if not parametres}
    manquants = [nom for nom in requis if nom not in couverts]
    if manquants:
        raise RefusAuthentification(
            "composant_manquant",
            "La signature doit couvrir les composants "
            + " ".join(f'"{nom}"' for nom in manquants)
            + " (couverts : "
            + (" ".join(f'"{nom}"' for nom in lue.noms) or "aucun")
            + ").",
        )


def _a_un_corps(message: MessageHttp, corps: bytes | CorpsHache) -> bool:
    """A body, or headers describing one: an empty body can be signed as empty, not ignored."""
    return bool(corps) or "content-type" in message.entetes or "content-digest" in message.entetes


def _controler_dates(created: int, expires: int | None, maintenant: int, fenetre: int,
                     derive: int) -> None:
    if created < maintenant - fenetre:
        raise RefusAuthentification(
            "signature_perimee",
            f"La signature a été créée il y a {maintenant - created} s ; la passerelle accepte "
            f"au plus {fenetre} s. Signez chaque requête au moment de l'envoyer.",
        )
    if created > maintenant + derive:
        raise RefusAuthentification(
            "signature_future",
            f"La signature est datée de {created - maintenant} s dans le futur (tolérance "
            f"{derive} s) : vérifiez l'horloge (NTP) du système émetteur.",
        )
    if expires is not None and expires <= maintenant:
        raise RefusAuthentification(
            "signature_perimee",
            f"La signature a expiré il y a {maintenant - expires} s (paramètre expires).",
        )


def verifier_requete(
    message: MessageHttp,
    corps: bytes | CorpsHache,
    resoudre_cle: Callable[[str], Ed25519PublicKey],
    maintenant: int,
    *,
    fenetre: int = 300,
    derive: int = 5,
    etiquette: str = "sig1",
    empreinte_differee: bool = False,
) -> SignatureVerifiee:
    """Authenticate an organisme request, or raise the first refusal in the contract's order.

    ``resoudre_cle`` raises its own refusals (unknown, revoked, expired key); they pass through.
    ``empreinte_differee``: check everything but the body's digest (still required and signed),
    to know who is sending a large body before accepting to receive it; the full check, digest
    included, must follow once the body is in.
    """
    lue = lire_signature(message.entetes, etiquette)
    controler_algorithme(lue, obligatoire=True)
    keyid = _chaine(lue, "keyid", obligatoire=True)
    created = _entier(lue, "created", obligatoire=True)
    nonce = _chaine(lue, "nonce", obligatoire=True)
    expires = _entier(lue, "expires", obligatoire=False)
    assert keyid is not None and created is not None and nonce is not None
    avec_corps = _a_un_corps(message, corps)
    _exiger_composants(lue, COMPOSANTS_REQUETE + (COMPOSANTS_CORPS if avec_corps else ()))
    agent = message.entetes.get("passerelle-agent")
    if agent is not None and not agent.strip(" \t"):
        raise RefusAuthentification(
            "agent_absent",
            "L'en-tête Passerelle-Agent est vide : il doit nommer la personne (ou le compte de "
            "service) pour le compte de laquelle la requête est faite.",
        )
    _controler_dates(created, expires, maintenant, fenetre, derive)
    cle = resoudre_cle(keyid)
    verifier_valeur(message, lue, cle)
    if (avec_corps or "content-digest" in lue.noms) and not empreinte_differee:
        verifier_empreinte(message.entetes.get("content-digest"), corps)
    return SignatureVerifiee(
        keyid=keyid,
        created=created,
        nonce=nonce,
        expires=expires,
        composants=lue.noms,
        etiquette=etiquette,
    )


def verifier_reponse(
    message: MessageHttp,
    corps: bytes,
    cle: Ed25519PublicKey,
    *,
    etiquette: str = "sig1",
    maintenant: int | None = None,
) -> ReponseVerifiee:
    """Check a gateway response (e.g. the 202 receipt) against the gateway's public key.

    No freshness window: a receipt is kept as proof and checked again long after. Give
    ``maintenant`` only to honour an ``expires`` parameter.
    """
    lue = lire_signature(message.entetes, etiquette)
    controler_algorithme(lue, obligatoire=True)
    keyid = _chaine(lue, "keyid", obligatoire=True)
    created = _entier(lue, "created", obligatoire=True)
    nonce = _chaine(lue, "nonce", obligatoire=False)
    expires = _entier(lue, "expires", obligatoire=False)
    assert keyid is not None and created is not None
    _exiger_composants(lue, COMPOSANTS_REPONSE)
    if maintenant is not None and expires is not None and expires <= maintenant:
        raise RefusAuthentification(
            "signature_perimee", f"La signature de la réponse a expiré (expires={expires})."
        )
    verifier_valeur(message, lue, cle)
    verifier_empreinte(message.entetes.get("content-digest"), corps)
    return ReponseVerifiee(
        keyid=keyid,
        created=created,
        nonce=nonce,
        expires=expires,
        composants=lue.noms,
        etiquette=etiquette,
    )
