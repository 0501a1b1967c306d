"""The signature base and the signer's own guards, component by component."""

from __future__ import annotations

import http_sf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hypothesis import given, settings
from hypothesis import strategies as st

from passerelle.erreurs import RefusAuthentification
from passerelle.signature import (
    MessageHttp,
    construire_base,
    signer_reponse,
    signer_requete,
    verifier_reponse,
)
from passerelle.signature.base import serialiser_parametres
from passerelle.signature.contenu import membre_octets

from .outils import CORPS, ENTETES, KEYID, MAINTENANT

JSON = {"Content-Type": "application/json"}


def _base(message: MessageHttp, *composants: str) -> list[str]:
    liste = " ".join(f'"{nom}"' for nom in composants)
    return construire_base(message, composants, f"({liste});created=1").decode().split("\n")


def _requete(**options: object) -> MessageHttp:
    valeurs: dict[str, object] = {"methode": "GET", "chemin": "/v1/boite", "requete": "", "entetes": {}}
    return MessageHttp(**(valeurs | options))  # type: ignore[arg-type]


def test_valeurs_des_composants_derives() -> None:
    message = _requete(
        chemin="", requete="a=%20b&c", autorite="Passerelle.Example:443", schema="HTTPS"
    )
    assert _base(message, "@method", "@path", "@query", "@authority", "@scheme", "@target-uri",
                 "@request-target")[:-1] == [
        '"@method": GET',
        '"@path": /',
        '"@query": ?a=%20b&c',
        '"@authority": passerelle.example',
        '"@scheme": https',
        '"@target-uri": https://Passerelle.Example:443/?a=%20b&c',
        '"@request-target": /?a=%20b&c',
    ]


def test_requete_vide_donne_un_point_d_interrogation() -> None:
    assert _base(_requete(), "@query")[0] == '"@query": ?'


def test_port_non_standard_conserve() -> None:
    message = _requete(autorite="passerelle.example:8443", schema="https")
    assert _base(message, "@authority")[0] == '"@authority": passerelle.example:8443'


def test_autorite_inconnue() -> None:
    with pytest.raises(RefusAuthentification) as refus:
        _base(_requete(), "@authority")
    assert refus.value.code == "composant_absent"


def test_valeur_de_champ_debarrassee_des_espaces() -> None:
    message = _requete(entetes={"Passerelle-Agent": " \tmarie.martin \t"})
    assert _base(message, "passerelle-agent")[0] == '"passerelle-agent": marie.martin'


def test_statut_d_une_reponse() -> None:
    message = MessageHttp("", "", "", JSON, statut=202)
    assert _base(message, "@status", "content-type")[:2] == ['"@status": 202', '"content-type": application/json']


def test_composant_de_requete_dans_une_reponse() -> None:
    with pytest.raises(RefusAuthentification) as refus:
        _base(MessageHttp("", "", "", JSON, statut=202), "@method")
    assert refus.value.code == "composant_non_supporte"


def test_composants_et_parametres_doivent_concorder() -> None:
    with pytest.raises(ValueError):
        construire_base(_requete(), ["@method"], '("@path");created=1')


def test_identifiants_serialises_acceptes() -> None:
    assert construire_base(_requete(), ['"@method"'], '("@method")') == construire_base(
        _requete(), ["@method"], '("@method")'
    )


def test_entetes_mis_en_minuscules_et_doublons_refuses() -> None:
    assert dict(_requete(entetes={"Content-Type": "a"}).entetes) == {"content-type": "a"}
    with pytest.raises(ValueError):
        _requete(entetes={"Content-Type": "a", "content-type": "b"})


# --- signer ---------------------------------------------------------------------------------

def _signer(cle: Ed25519PrivateKey, **options: object) -> dict[str, str]:
    valeurs: dict[str, object] = {
        "methode": "POST", "chemin": "/v1/flux/avpf", "requete": "", "entetes": dict(ENTETES),
        "corps": CORPS, "cle": cle, "keyid": KEYID, "maintenant": MAINTENANT, "nonce": "n",
    }
    return signer_requete(**(valeurs | options))  # type: ignore[arg-type]


def test_signature_deterministe_a_nonce_donne(cle: Ed25519PrivateKey) -> None:
    assert _signer(cle) == _signer(cle)
    assert _signer(cle, nonce=None) != _signer(cle, nonce=None)


def test_parametres_dans_l_ordre_du_contrat(cle: Ed25519PrivateKey) -> None:
    assert _signer(cle)["Signature-Input"] == (
        'sig1=("@method" "@path" "@query" "passerelle-agent" "content-type" "content-digest")'
        f';created={MAINTENANT};keyid="{KEYID}";alg="ed25519";nonce="n"'
    )


@pytest.mark.parametrize(
    "options",
    [
        {"entetes": {"Content-Type": "application/json"}},  # no agent
        {"entetes": {"Passerelle-Agent": "", "Content-Type": "application/json"}},
        {"entetes": {"Passerelle-Agent": "marie"}},  # body without content-type
        {"requete": "?a=1"},
        {"entetes": ENTETES | {"Content-Digest": "sha-256=:AAAA:"}},  # a digest of other bytes
        {"keyid": ""},
        {"nonce": ""},
    ],
)
def test_signataire_refuse_une_requete_incoherente(cle: Ed25519PrivateKey, options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        _signer(cle, **options)


def test_signataire_de_reponse_exige_content_type(cle: Ed25519PrivateKey) -> None:
    with pytest.raises(ValueError):
        signer_reponse(statut=202, entetes={}, corps=b"{}", cle=cle, keyid=KEYID, maintenant=MAINTENANT)


# --- verifier_reponse -----------------------------------------------------------------------

def _reponse(cle: Ed25519PrivateKey, statut: int = 202, corps: bytes = b'{"id": "m-1"}') -> MessageHttp:
    ajouts = signer_reponse(statut=202, entetes=JSON, corps=b'{"id": "m-1"}', cle=cle, keyid=KEYID,
                            maintenant=MAINTENANT)
    return MessageHttp("", "", "", JSON | ajouts, statut=statut)


def test_accuse_verifie(cle: Ed25519PrivateKey) -> None:
    verifiee = verifier_reponse(_reponse(cle), b'{"id": "m-1"}', cle.public_key())
    assert verifiee.composants == ("@status", "content-type", "content-digest")
    assert (verifiee.keyid, verifiee.created, verifiee.nonce) == (KEYID, MAINTENANT, None)


@pytest.mark.parametrize(
    "statut, corps, code",
    [(200, b'{"id": "m-1"}', "signature_invalide"), (202, b'{"id": "m-2"}', "empreinte_incorrecte")],
)
def test_accuse_altere(cle: Ed25519PrivateKey, statut: int, corps: bytes, code: str) -> None:
    with pytest.raises(RefusAuthentification) as refus:
        verifier_reponse(_reponse(cle, statut), corps, cle.public_key())
    assert refus.value.code == code


def test_accuse_d_une_autre_cle(cle: Ed25519PrivateKey, autre_cle: Ed25519PrivateKey) -> None:
    with pytest.raises(RefusAuthentification) as refus:
        verifier_reponse(_reponse(cle), b'{"id": "m-1"}', autre_cle.public_key())
    assert refus.value.code == "signature_invalide"


def test_accuse_sans_statut_couvert(cle: Ed25519PrivateKey) -> None:
    """A signed request replayed as a 'receipt' does not cover @status: refused."""
    entetes = JSON | {"Passerelle-Agent": "marie"}
    ajouts = signer_requete(methode="POST", chemin="/", requete="", entetes=entetes, corps=b"{}", cle=cle,
                            keyid=KEYID, maintenant=MAINTENANT, nonce="n")
    message = MessageHttp("", "", "", entetes | ajouts, statut=202)
    with pytest.raises(RefusAuthentification) as refus:
        verifier_reponse(message, b"{}", cle.public_key())
    assert refus.value.code == "composant_manquant"


def test_accuse_sans_fenetre_de_fraicheur(cle: Ed25519PrivateKey) -> None:
    ajouts = signer_reponse(statut=202, entetes=JSON, corps=b"{}", cle=cle, keyid=KEYID,
                            maintenant=MAINTENANT)
    message = MessageHttp("", "", "", JSON | ajouts, statut=202)
    assert verifier_reponse(message, b"{}", cle.public_key(), maintenant=MAINTENANT + 10**6)


def test_parametre_repete_refuse() -> None:
    with pytest.raises(RefusAuthentification) as refus:
        construire_base(_requete(), ["@method"], '("@method");created=1;created=2')
    assert refus.value.code == "signature_malformee"


_NOMS = st.sampled_from(["@method", "@path", "@query", "content-type", "content-digest", "passerelle-agent"]) | st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
_VALEURS = (st.integers(-(10**15) + 1, 10**15 - 1) | st.booleans()
            | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
            | st.binary(max_size=8) | st.builds(http_sf.Token, st.from_regex(r"[a-z*][a-z0-9:/!#$%&'*+.^_`|~-]{0,8}", fullmatch=True)))
_CLES = st.from_regex(r"[a-z*][a-z0-9_.*-]{0,8}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(noms=st.lists(st.tuples(_NOMS, st.dictionaries(_CLES, _VALEURS, max_size=2) | st.just({})), max_size=8),
       parametres=st.dictionaries(_CLES, _VALEURS, max_size=5))
def test_parametres_serialises_comme_la_liste_interne_entiere(noms: list[tuple[str, dict[str, object]]],
                                                              parametres: dict[str, object]) -> None:
    """The list of names, serialised once and reused, then the parameters: the very text of
    the inner list serialised whole (RFC 8941 4.1.1.1), whatever the names and values —
    including a Token or True that compares equal to a cached str or 1."""
    attendu = http_sf.ser({"p": ([(nom, dict(p)) for nom, p in noms], dict(parametres))})[len("p="):]
    assert serialiser_parametres(noms, parametres) == attendu
    assert serialiser_parametres(noms, parametres) == attendu  # the second time, from the cache
    jetons = [(http_sf.Token(nom) if nom.isalpha() else nom, p) for nom, p in noms]
    assert serialiser_parametres(jetons, parametres) == http_sf.ser(
        {"p": ([(nom, dict(p)) for nom, p in jetons], dict(parametres))})[len("p="):]


@pytest.mark.parametrize("valeur", ["ok\x7f", "é", "a\nb", "\x00", "a\rb"])
def test_valeur_de_composant_hors_ascii_visible(valeur: str) -> None:
    with pytest.raises(RefusAuthentification) as refus:
        _base(_requete(entetes={"x-a": valeur}), "x-a")
    assert refus.value.code == "composant_non_supporte"


@pytest.mark.parametrize("valeur", ["", " ", "a\tb", "~!azAZ09 "])
def test_valeur_de_composant_ascii_visible_tabulation(valeur: str) -> None:
    assert _base(_requete(entetes={"x-a": f"v{valeur}v"}), "x-a")[0] == f'"x-a": v{valeur}v'


@settings(max_examples=300, deadline=None)
@given(cle=_CLES, octets=st.binary(max_size=80))
def test_membre_octets_comme_http_sf(cle: str, octets: bytes) -> None:
    """Content-Digest and Signature written by hand are the bytes http_sf writes."""
    assert membre_octets(cle, octets) == http_sf.ser({cle: octets})
