"""The input boundary (passerelle/catalogue/texte.py): what the gateway cannot carry is refused
by ``lire_json`` with ``texte_invalide``, each string named by its path, never quoted."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from passerelle.catalogue.texte import echapper, fautes_adresse, faute_octets, verifier_json
from passerelle.catalogue.validation import lire_json
from passerelle.erreurs import RefusValidation, citer


def _refus(corps: bytes) -> RefusValidation:
    with pytest.raises(RefusValidation) as exc:
        lire_json(corps)
    return exc.value


@pytest.mark.parametrize(
    ("corps", "champ", "extrait"),
    [
        (b'{"en_reponse_a": "\\ud800"}', "en_reponse_a", "demi-paire de substitution isolée U+D800"),
        (b'{"nir_assure": "1\\udfff"}', "nir_assure", "U+DFFF (séquence \\udfff"),
        (b'{"a": {"b": [1, "x\\u0000"]}}', "a.b.1", "U+0000 (NUL)"),
        (b'{"nom_assure": "A\\tB"}', "nom_assure", "U+0009 (tabulation)"),
        (b'{"nom_assure": "A\x7fB"}', "nom_assure", "U+007F (DEL)"),
        (b'{"p": [{"q": "\\n"}]}', "p.0.q", "saut de ligne"),
        (b'{"\\ud800x": 1}', "\\ud800x", "nom de champ : demi-paire"),
        (b'{"a": {"k\\u0001": 1}}', "a.k\\u0001", "nom de champ : caractère de contrôle U+0001"),
    ],
)
def test_texte_invalide_nomme_le_champ(corps: bytes, champ: str, extrait: str) -> None:
    refus = _refus(corps)
    assert refus.code == "texte_invalide" and refus.statut == 422
    [erreur] = refus.erreurs
    assert erreur.champ == champ and extrait in erreur.message
    json.dumps(refus.probleme()).encode("utf-8")  # the problem itself always encodes


def test_toutes_les_fautes_dans_l_ordre_du_document_bornees() -> None:
    refus = _refus(json.dumps({"a": "\x00", "b": ["ok", "\x01"], "c": {"d": "\x02"}}).encode())
    assert [e.champ for e in refus.erreurs] == ["a", "b.1", "c.d"]
    beaucoup = _refus(json.dumps([f"\x00{i}" for i in range(500)]).encode())
    assert len(beaucoup.erreurs) == 20 and "500 chaîne(s)" in beaucoup.detail


def test_le_message_ne_cite_jamais_la_valeur() -> None:
    refus = _refus(b'{"nir_assure": "1620542218001\\u000077"}')
    assert "1620542218001" not in json.dumps(refus.probleme(), ensure_ascii=False)


def test_clef_en_double_citee_sans_casser_l_encodage() -> None:
    refus = _refus(b'{"\\ud800": 1, "\\ud800": 2}')
    assert refus.code == "json_invalide" and "\\ud800" in refus.detail
    json.dumps(refus.probleme(), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("corps", [b'{"nom": "\\u00e9\\u2028\\ud83d\\ude00 \\" \\\\ \\/"}', '{"n": "é"}'.encode()])
def test_echappements_valides_acceptes(corps: bytes) -> None:
    lire_json(corps)  # accented letters, U+2028, a surrogate *pair*, quotes: all carried


def test_imbrication_profonde_sans_recursion() -> None:
    objet = current = []  # type: ignore[var-annotated]
    for _ in range(50_000):
        suivant: list = []
        current.append(suivant)
        current = suivant
    current.append("\x00")
    with pytest.raises(RefusValidation) as exc:
        verifier_json(objet, "\\")
    assert exc.value.erreurs[0].champ.startswith("0.0.0.")


@given(st.recursive(st.text(), lambda e: st.lists(e, max_size=4) | st.dictionaries(st.text(max_size=8), e, max_size=4), max_leaves=20))
def test_propriete_tout_ce_qui_passe_s_encode(valeur) -> None:  # type: ignore[no-untyped-def]
    """Whatever JSON reaches past the boundary encodes as UTF-8 and holds no control character."""
    corps = json.dumps(valeur).encode("ascii")  # escapes everything, surrogates included
    try:
        objet = lire_json(corps)
    except RefusValidation as refus:
        assert refus.code in {"texte_invalide", "json_invalide"} and refus.erreurs
        json.dumps(refus.probleme(), ensure_ascii=False).encode("utf-8")
        return
    texte = json.dumps(objet, ensure_ascii=False)
    texte.encode("utf-8")
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in texte)


def test_octets_hors_json() -> None:
    faute = faute_octets(b"ab\xffc", "NomAssure")
    assert faute is not None and faute.champ == "NomAssure" and "0xFF (octet 3)" in faute.message
    assert faute_octets("Élodie".encode(), "x") is None
    assert "U+0000" in faute_octets(b"a\x00", "x").message  # type: ignore[union-attr]


def test_adresse() -> None:
    assert fautes_adresse(b"/v1/messages/3f2b8c1e", b"limite=5&curseur=abc") == []
    assert fautes_adresse("/v1/flux/é".encode(), b"q=%C3%A9") == []
    [chemin] = fautes_adresse(b"/v1/messages/%ff", b"")
    assert chemin.champ == "path" and chemin.message.startswith("segment 3 du chemin : octet 0xFF")
    [nul] = fautes_adresse(b"/v1/boite/%00/acquittement", b"")
    assert "segment 3" in nul.message and "U+0000" in nul.message
    [requete] = fautes_adresse(b"/v1/boite", b"limite=1&curseur=%ed%a0%80")
    assert requete.champ == "query.curseur"
    [nom] = fautes_adresse(b"/v1/boite", b"%00=1")
    assert nom.champ == "query" and nom.message.startswith("nom de paramètre")


def test_citer_et_echapper() -> None:
    assert citer("rdc") == "'rdc'"
    assert citer("\ud800\x00") == "'\\ud800\\x00'"
    long = citer("x" * 10_000)
    assert len(long) < 100 and long.endswith("(10000 caractères)")
    assert echapper("a\ud800b\x00") == "a\\ud800b\\u0000"
    assert echapper("y" * 100).endswith("…") and len(echapper("y" * 100)) == 65
