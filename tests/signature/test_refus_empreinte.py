"""Refusals about the body digest (RFC 9530), directly and through request verification."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from passerelle.erreurs import RefusAuthentification
from passerelle.signature import empreinte_contenu, verifier_empreinte

from .outils import CORPS, ENTETES, code_refus, requete_signee, sur_mesure

Resoudre = Callable[[str], Ed25519PublicKey]


def test_empreinte_incorrecte(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    _, message = requete_signee(cle)
    assert code_refus(message, resoudre, corps=CORPS + b" ") == "empreinte_incorrecte"


def test_empreinte_signee_mais_malformee(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    sha512 = "sha-512=:" + base64.b64encode(bytes(64)).decode() + ":"
    message = sur_mesure(cle, entetes=ENTETES | {"content-digest": sha512})
    assert code_refus(message, resoudre) == "empreinte_malformee"


@pytest.mark.parametrize("valeur", [None, "", "  "])
def test_empreinte_absente(valeur: str | None) -> None:
    with pytest.raises(RefusAuthentification) as refus:
        verifier_empreinte(valeur, CORPS)
    assert refus.value.code == "empreinte_absente"


@pytest.mark.parametrize(
    "valeur",
    [
        "sha-256=:abc",  # unterminated byte sequence
        "sha-256",  # a boolean
        'sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="',  # a string
        "sha-256=:" + base64.b64encode(bytes(31)).decode() + ":",  # wrong length
        "sha-512=:" + base64.b64encode(bytes(64)).decode() + ":",  # no sha-256
        "md5=:" + base64.b64encode(bytes(16)).decode() + ":",
        f"{empreinte_contenu(CORPS)}, {empreinte_contenu(CORPS)}",  # duplicate member
        "sha-256=(:AAAA:)",  # an inner list
        "sha-512=:AAAA:, " + empreinte_contenu(CORPS),  # sha-512 present but malformed
        "sha-256=:é:",
    ],
)
def test_empreinte_malformee(valeur: str) -> None:
    with pytest.raises(RefusAuthentification) as refus:
        verifier_empreinte(valeur, CORPS)
    assert refus.value.code == "empreinte_malformee"


def test_empreinte_algorithme_inconnu_ignore() -> None:
    verifier_empreinte(f"unixsum=:AAAA:, {empreinte_contenu(CORPS)}", CORPS)




def test_corps_vide_avec_empreinte_verifiee(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    """An announced empty body is still checked: its digest must be the empty string's."""
    assert empreinte_contenu(b"") == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"
    _, message = requete_signee(cle, corps=b"")
    assert message.entetes["content-digest"] == empreinte_contenu(b"")
    assert code_refus(message, resoudre, corps=b"x") == "empreinte_incorrecte"


def test_corps_hache_equivaut_aux_octets() -> None:
    """A spooled body, hashed piece by piece, is judged exactly as the same bytes in memory."""
    from passerelle.signature.contenu import CorpsHache, empreinte_de

    corps = b'{"ligne": 1}\n' * 1000
    hache = CorpsHache()
    for debut in range(0, len(corps), 777):
        hache.ajouter(corps[debut : debut + 777])
    assert empreinte_de(hache) == empreinte_contenu(corps)
    verifier_empreinte(empreinte_contenu(corps), hache)
    autre = CorpsHache()
    autre.ajouter(corps + b"x")
    with pytest.raises(RefusAuthentification) as refus:
        verifier_empreinte(empreinte_contenu(corps), autre)
    assert refus.value.code == "empreinte_incorrecte"
