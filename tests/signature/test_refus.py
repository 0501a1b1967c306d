"""Every refusal code of request authentication, reached one at a time."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passerelle.erreurs import RefusAuthentification
from passerelle.signature import empreinte_contenu, verifier_requete

from .outils import (
    CHEMIN,
    CORPS,
    ENTETES,
    KEYID,
    MAINTENANT,
    PARAMS,
    REQUIS,
    ZERO,
    code_refus,
    entetes_brutes,
    recue,
    requete_signee,
    signer_sur_mesure,
    sur_mesure,
)

Resoudre = Callable[[str], Ed25519PublicKey]


def test_requete_valide_acceptee(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    _, message = requete_signee(cle)
    verifiee = verifier_requete(message, CORPS, resoudre, MAINTENANT)
    assert (verifiee.keyid, verifiee.created, verifiee.nonce) == (KEYID, MAINTENANT, "bm9uY2UtZGUtdGVzdA")
    assert verifiee.composants == tuple(REQUIS)
    assert verifiee.expires is None and verifiee.etiquette == "sig1"


def test_requete_sans_corps_acceptee(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    _, message = requete_signee(
        cle, corps=b"", methode="GET", chemin="/v1/boite", requete="curseur=abc%20d",
        entetes={"Passerelle-Agent": "marie.martin@caf-042"},
    )
    assert "content-digest" not in message.entetes
    verifiee = verifier_requete(message, b"", resoudre, MAINTENANT)
    assert verifiee.composants == ("@method", "@path", "@query", "passerelle-agent")


# --- signature_absente / signature_malformee ---------------------------------------------

@pytest.mark.parametrize("retirer", [("signature-input",), ("signature",), ("signature-input", "signature")])
def test_entetes_absents(cle: Ed25519PrivateKey, resoudre: Resoudre, retirer: tuple[str, ...]) -> None:
    entetes, _ = requete_signee(cle)
    reste = {nom: valeur for nom, valeur in entetes.items() if nom.lower() not in retirer}
    assert code_refus(recue(reste), resoudre) == "signature_absente"


def test_entete_vide(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    entetes, _ = requete_signee(cle)
    assert code_refus(recue(entetes | {"Signature": "  "}), resoudre) == "signature_absente"


@pytest.mark.parametrize(
    "signature_input, signature",
    [
        ('sig1=("@method"', f"sig1={ZERO}"),  # unterminated inner list
        ('sig1=("@method");created=1', "sig1=:pas du base64:"),
        ('sig1="@method";created=1', f"sig1={ZERO}"),  # an item, not an inner list
        ('sig1=("@method");created=1', 'sig1="abc"'),  # a string, not a byte sequence
        ('sig1=("@method");created=1', "sig1=:" + base64.b64encode(bytes(63)).decode() + ":"),
        ('sig1=("@method");created=1, sig1=("@path")', f"sig1={ZERO}"),  # duplicate label
        ('sig1=("@method");created=1;created=2', f"sig1={ZERO}"),  # duplicate parameter
        ('sig1=(method);created=1', f"sig1={ZERO}"),  # a token, not a string
        ('Sig1=("@method")', f"sig1={ZERO}"),  # uppercase key
        ('sig1=("@méthode")', f"sig1={ZERO}"),  # not ASCII
    ],
)
def test_signature_malformee(resoudre: Resoudre, signature_input: str, signature: str) -> None:
    assert code_refus(entetes_brutes(signature_input, signature), resoudre) == "signature_malformee"


def test_composant_couvert_deux_fois(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    params = ';created=%d;keyid="%s";alg="ed25519";nonce="n"' % (MAINTENANT, KEYID)
    liste = " ".join(f'"{nom}"' for nom in [*REQUIS, "@method"])
    assert code_refus(entetes_brutes(f"sig1=({liste}){params}"), resoudre) == "signature_malformee"


@pytest.mark.parametrize("dans", ["signature-input", "signature", "les deux"])
def test_mauvaise_etiquette(cle: Ed25519PrivateKey, resoudre: Resoudre, dans: str) -> None:
    entetes, _ = requete_signee(cle)
    entetes = {nom.lower(): valeur for nom, valeur in entetes.items()}
    for nom in ("signature-input", "signature"):
        if dans in (nom, "les deux"):
            entetes[nom] = entetes[nom].replace("sig1=", "sig2=", 1)
    with pytest.raises(RefusAuthentification) as refus:
        verifier_requete(recue(entetes), CORPS, resoudre, MAINTENANT)
    assert refus.value.code == "signature_absente"
    assert "sig1" in refus.value.detail


def test_autre_etiquette_choisie_par_le_verificateur(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    _, message = requete_signee(cle)
    assert code_refus(message, resoudre, etiquette="passerelle") == "signature_absente"


# --- algorithme_non_supporte / parametre_manquant ---------------------------------------

@pytest.mark.parametrize("alg", [None, "rsa-pss-sha512", "ED25519", "hmac-sha256"])
def test_algorithme(cle: Ed25519PrivateKey, resoudre: Resoudre, alg: str | None) -> None:
    parametres = {k: v for k, v in PARAMS.items() if k != "alg"} | ({} if alg is None else {"alg": alg})
    assert code_refus(sur_mesure(cle, parametres=parametres), resoudre) == "algorithme_non_supporte"


def test_algorithme_en_jeton_refuse(resoudre: Resoudre) -> None:
    """alg=ed25519 (a Token) compares equal to "ed25519" in http_sf: it must still be refused."""
    entree = f'sig1=("@method");created={MAINTENANT};keyid="{KEYID}";alg=ed25519;nonce="n"'
    assert code_refus(entetes_brutes(entree), resoudre) == "algorithme_non_supporte"


@pytest.mark.parametrize(
    "nom, valeur",
    [
        ("keyid", None), ("created", None), ("nonce", None),
        ("keyid", ""), ("keyid", 42), ("nonce", ""), ("nonce", b"abc"), ("nonce", "x" * 257),
        ("created", "1750000000"), ("created", True), ("created", -1), ("expires", "demain"),
    ],
)
def test_parametre_manquant(cle: Ed25519PrivateKey, resoudre: Resoudre, nom: str, valeur: Any) -> None:
    parametres = {k: v for k, v in PARAMS.items() if k != nom} | ({} if valeur is None else {nom: valeur})
    with pytest.raises(RefusAuthentification) as refus:
        verifier_requete(sur_mesure(cle, parametres=parametres), CORPS, resoudre, MAINTENANT)
    assert refus.value.code == "parametre_manquant"
    assert f"« {nom} »" in refus.value.detail


# --- composant_manquant / composant_absent / composant_non_supporte / agent_absent -------

@pytest.mark.parametrize("oublie", REQUIS)
def test_composant_manquant(cle: Ed25519PrivateKey, resoudre: Resoudre, oublie: str) -> None:
    composants = [nom for nom in REQUIS if nom != oublie]
    with pytest.raises(RefusAuthentification) as refus:
        verifier_requete(sur_mesure(cle, composants=composants), CORPS, resoudre, MAINTENANT)
    assert refus.value.code == "composant_manquant"
    assert f'"{oublie}"' in refus.value.detail.split("(couverts")[0]


def test_corps_vide_mais_content_type_annonce(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    message = sur_mesure(cle, composants=REQUIS[:4], corps=b"")
    assert code_refus(message, resoudre, corps=b"") == "composant_manquant"


def test_content_type_sans_corps_ni_empreinte(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    """Content-Type alone announces a body: the digest must then be covered, even if empty."""
    signature = signer_sur_mesure(cle, recue(ENTETES), REQUIS[:4], PARAMS)
    assert code_refus(recue(ENTETES | signature), resoudre, corps=b"") == "composant_manquant"


def test_composant_absent(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    entetes, _ = requete_signee(cle)
    sans_agent = {nom: valeur for nom, valeur in entetes.items() if nom != "Passerelle-Agent"}
    assert code_refus(recue(sans_agent), resoudre) == "composant_absent"


def test_empreinte_couverte_mais_absente(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    entetes, _ = requete_signee(cle)
    sans = {nom: valeur for nom, valeur in entetes.items() if nom != "Content-Digest"}
    assert code_refus(recue(sans), resoudre) == "composant_absent"


@pytest.mark.parametrize(
    "supplement",
    [
        '"content-digest";sf', '"passerelle-agent";key="x"', '"content-type";bs', '"@path";req',
        '"passerelle-agent";tr', '"@query-param";name="a"', '"@status"', '"@inconnu"',
        '"@signature-params"', '"Content-Type"', '"date"',
    ],
)
def test_composant_non_supporte(resoudre: Resoudre, supplement: str) -> None:
    liste = " ".join(f'"{nom}"' for nom in REQUIS) + " " + supplement
    entree = f'sig1=({liste});created={MAINTENANT};keyid="{KEYID}";alg="ed25519";nonce="n"'
    message = entetes_brutes(entree)
    code = code_refus(message, resoudre)
    assert code == ("composant_absent" if supplement == '"date"' else "composant_non_supporte")


def test_valeur_non_ascii_refusee(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    entetes, _ = requete_signee(cle)
    assert code_refus(recue(entetes | {"Passerelle-Agent": "hélène"}), resoudre) == "composant_non_supporte"


def test_agent_vide(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    message = sur_mesure(cle, entetes=ENTETES | {"Passerelle-Agent": " "})
    assert code_refus(message, resoudre) == "agent_absent"


# --- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "decalage, expires, code",
    [(-301, None, "signature_perimee"), (6, None, "signature_future"), (0, 0, "signature_perimee"),
     (-10, -1, "signature_perimee")],
)
def test_dates_refusees(
    cle: Ed25519PrivateKey, resoudre: Resoudre, decalage: int, expires: int | None, code: str
) -> None:
    parametres = PARAMS | {"created": MAINTENANT + decalage}
    if expires is not None:
        parametres["expires"] = MAINTENANT + expires
    assert code_refus(sur_mesure(cle, parametres=parametres), resoudre) == code


@pytest.mark.parametrize("decalage, expires", [(-300, None), (5, None), (0, 1)])
def test_dates_aux_limites_acceptees(
    cle: Ed25519PrivateKey, resoudre: Resoudre, decalage: int, expires: int | None
) -> None:
    parametres = PARAMS | {"created": MAINTENANT + decalage}
    if expires is not None:
        parametres["expires"] = MAINTENANT + expires
    verifiee = verifier_requete(sur_mesure(cle, parametres=parametres), CORPS, resoudre, MAINTENANT)
    assert verifiee.expires == (None if expires is None else MAINTENANT + expires)


def test_fenetre_configurable(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    message = sur_mesure(cle, parametres=PARAMS | {"created": MAINTENANT - 100})
    assert code_refus(message, resoudre, fenetre=60) == "signature_perimee"


# --- key resolution ------------------------------------------------------------------------

def test_refus_de_l_annuaire_transmis(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    message = sur_mesure(cle, parametres=PARAMS | {"keyid": "caf-999"})
    assert code_refus(message, resoudre) == "cle_inconnue"


def test_annuaire_pas_consulte_pour_une_signature_perimee(cle: Ed25519PrivateKey) -> None:
    def interdit(keyid: str) -> Ed25519PublicKey:
        raise AssertionError("clé résolue trop tôt")

    message = sur_mesure(cle, parametres=PARAMS | {"created": MAINTENANT - 1000})
    assert code_refus(message, interdit) == "signature_perimee"


# --- signature_invalide --------------------------------------------------------------------

def test_corps_modifie_avec_empreinte_recalculee(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    entetes, _ = requete_signee(cle)
    autre = CORPS.replace(b"17", b"18")
    message = recue(entetes | {"Content-Digest": empreinte_contenu(autre)})
    assert code_refus(message, resoudre, corps=autre) == "signature_invalide"


@pytest.mark.parametrize(
    "modification",
    [
        {"entetes": {"Passerelle-Agent": "paul.durand@caf-042"}},
        {"entetes": {"Content-Type": "text/plain"}},
        {"chemin": "/v1/flux/autre"},
        {"requete": "x=1"},
        {"methode": "PUT"},
    ],
)
def test_requete_modifiee(
    cle: Ed25519PrivateKey, resoudre: Resoudre, modification: dict[str, Any]
) -> None:
    entetes, _ = requete_signee(cle)
    message = recue(
        entetes | modification.get("entetes", {}),
        methode=modification.get("methode", "POST"),
        chemin=modification.get("chemin", CHEMIN),
        requete=modification.get("requete", ""),
    )
    assert code_refus(message, resoudre) == "signature_invalide"


def test_autre_cle(autre_cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    _, message = requete_signee(autre_cle)
    assert code_refus(message, resoudre) == "signature_invalide"


def test_parametre_modifie(cle: Ed25519PrivateKey, resoudre: Resoudre) -> None:
    entetes, _ = requete_signee(cle)
    entree = entetes["Signature-Input"].replace('nonce="', 'nonce="x')
    assert code_refus(recue(entetes | {"Signature-Input": entree}), resoudre) == "signature_invalide"


# --- properties ----------------------------------------------------------------------------

@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0, max_value=len(CORPS) - 1), xor=st.integers(1, 255))
def test_tout_octet_modifie_du_corps_est_refuse(
    cle: Ed25519PrivateKey, resoudre: Resoudre, position: int, xor: int
) -> None:
    _, message = requete_signee(cle)
    modifie = bytearray(CORPS)
    modifie[position] ^= xor
    assert code_refus(message, resoudre, corps=bytes(modifie)) == "empreinte_incorrecte"


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0, max_value=63), xor=st.integers(1, 255))
def test_tout_octet_modifie_de_la_signature_est_refuse(
    cle: Ed25519PrivateKey, resoudre: Resoudre, position: int, xor: int
) -> None:
    entetes, _ = requete_signee(cle)
    valeur = bytearray(base64.b64decode(entetes["Signature"][len("sig1=:"):-1]))
    valeur[position] ^= xor
    falsifiee = "sig1=:" + base64.b64encode(bytes(valeur)).decode() + ":"
    assert code_refus(recue(entetes | {"Signature": falsifiee}), resoudre) == "signature_invalide"


_TEXTE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corps=st.binary(max_size=300), agent=_TEXTE, requete=st.sampled_from(["", "a=1", "q=%C3%A9&x"]))
def test_aller_retour(cle: Ed25519PrivateKey, resoudre: Resoudre, corps: bytes, agent: str, requete: str) -> None:
    entetes = {"Passerelle-Agent": agent, "Content-Type": "application/octet-stream"}
    _, message = requete_signee(cle, corps=corps, entetes=entetes, requete=requete)
    verifiee = verifier_requete(message, corps, resoudre, MAINTENANT)
    assert verifiee.keyid == KEYID
