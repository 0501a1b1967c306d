"""Published test vectors: RFC 9421 Appendix B.2.6 (ed25519) and RFC 9530 examples."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from passerelle.erreurs import RefusAuthentification
from passerelle.signature import (
    MessageHttp,
    construire_base,
    empreinte_contenu,
    verifier_empreinte,
    verifier_requete,
    verifier_signature,
)

# RFC 9421 Appendix B.1.4, test-key-ed25519.
CLE_PRIVEE_PEM = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
CLE_PUBLIQUE_PEM = b"""-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""

# RFC 9421 Appendix B.2 test request (POST /foo?param=Value&Pet=dog).
CORPS_RFC = b'{"hello": "world"}'
SHA_512_RFC = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
)
SHA_256_RFC = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
ENTETES_RFC = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": SHA_512_RFC,
    "Content-Length": "18",
}

# RFC 9421 Appendix B.2.6.
COMPOSANTS_B26 = ["date", "@method", "@path", "@authority", "content-type", "content-length"]
PARAMETRES_B26 = (
    '("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
BASE_B26 = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" '
    '"content-length");created=1618884473;keyid="test-key-ed25519"'
).encode("ascii")
SIGNATURE_B26 = (
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
)


def _cle_privee() -> Ed25519PrivateKey:
    cle = load_pem_private_key(CLE_PRIVEE_PEM, password=None)
    assert isinstance(cle, Ed25519PrivateKey)
    return cle


def _cle_publique() -> Ed25519PublicKey:
    cle = load_pem_public_key(CLE_PUBLIQUE_PEM)
    assert isinstance(cle, Ed25519PublicKey)
    return cle


def _message_b26(**surcharges: str) -> MessageHttp:
    entetes = ENTETES_RFC | {
        "Signature-Input": f"sig-b26={PARAMETRES_B26}",
        "Signature": f"sig-b26=:{SIGNATURE_B26}:",
    }
    entetes |= surcharges
    return MessageHttp(
        methode="POST",
        chemin="/foo",
        requete="param=Value&Pet=dog",
        entetes=entetes,
        autorite="example.com",
    )


def test_les_cles_de_la_rfc_forment_une_paire() -> None:
    assert _cle_privee().public_key().public_bytes_raw() == _cle_publique().public_bytes_raw()


def test_base_de_signature_b26_exacte() -> None:
    assert construire_base(_message_b26(), COMPOSANTS_B26, PARAMETRES_B26) == BASE_B26


def test_base_b26_reserialise_des_parametres_espaces_autrement() -> None:
    """A verifier must rebuild the params line canonically, not copy the received text."""
    espaces = PARAMETRES_B26.replace("(", "(  ").replace(")", "  )")
    assert espaces != PARAMETRES_B26
    assert construire_base(_message_b26(), COMPOSANTS_B26, espaces) == BASE_B26


def test_signature_b26_exacte() -> None:
    signature = _cle_privee().sign(construire_base(_message_b26(), COMPOSANTS_B26, PARAMETRES_B26))
    assert base64.b64encode(signature).decode("ascii") == SIGNATURE_B26


def test_verification_b26() -> None:
    lue = verifier_signature(_message_b26(), _cle_publique(), etiquette="sig-b26")
    assert lue.noms == tuple(COMPOSANTS_B26)
    assert lue.parametres == {"created": 1618884473, "keyid": "test-key-ed25519"}


def test_verification_b26_refuse_une_date_modifiee() -> None:
    message = _message_b26(Date="Tue, 20 Apr 2021 02:07:56 GMT")
    with pytest.raises(RefusAuthentification) as refus:
        verifier_signature(message, _cle_publique(), etiquette="sig-b26")
    assert refus.value.code == "signature_invalide"


def test_verification_b26_refuse_un_autre_hote() -> None:
    message = MessageHttp(
        methode="POST",
        chemin="/foo",
        requete="param=Value&Pet=dog",
        entetes=_message_b26().entetes,
        autorite="example.org",
    )
    with pytest.raises(RefusAuthentification) as refus:
        verifier_signature(message, _cle_publique(), etiquette="sig-b26")
    assert refus.value.code == "signature_invalide"


def test_le_vecteur_b26_ne_suffit_pas_a_la_politique_de_la_passerelle() -> None:
    """Valid RFC 9421, but no alg, nonce nor Passerelle-Agent: the contract refuses it."""
    with pytest.raises(RefusAuthentification) as refus:
        verifier_requete(
            _message_b26(), CORPS_RFC, lambda _: _cle_publique(), 1618884473, etiquette="sig-b26"
        )
    assert refus.value.code == "algorithme_non_supporte"


def test_rfc9530_sha256() -> None:
    assert empreinte_contenu(CORPS_RFC) == SHA_256_RFC


def test_rfc9530_sha256_et_sha512_verifiees() -> None:
    verifier_empreinte(f"{SHA_256_RFC}, {SHA_512_RFC}", CORPS_RFC)


def test_rfc9530_sha512_fausse_a_cote_d_un_sha256_juste() -> None:
    autre = SHA_512_RFC.replace("WZDP", "WZDQ")
    with pytest.raises(RefusAuthentification) as refus:
        verifier_empreinte(f"{SHA_256_RFC}, {autre}", CORPS_RFC)
    assert refus.value.code == "empreinte_incorrecte"


def test_rfc9530_sha512_seul_ne_suffit_pas() -> None:
    """The contract mandates sha-256; the RFC's sha-512-only example is refused as such."""
    with pytest.raises(RefusAuthentification) as refus:
        verifier_empreinte(SHA_512_RFC, CORPS_RFC)
    assert refus.value.code == "empreinte_malformee"
