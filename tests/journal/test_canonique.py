"""The journal's fast RFC 8785 path against the reference implementation (``rfc8785``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from passerelle.journal.canonique import canonique
from passerelle.journal.ecriture import horodatage_texte

_cles = st.text(alphabet=st.characters(max_codepoint=127), max_size=12)
_textes = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)  # no lone surrogates
_feuilles = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _textes
_valeurs = st.recursive(
    _feuilles,
    lambda enfants: st.lists(enfants, max_size=5) | st.dictionaries(_cles, enfants, max_size=6),
    max_leaves=25,
)


@settings(max_examples=2000, deadline=None)
@given(_valeurs)
def test_identique_a_la_reference_sur_les_valeurs_d_une_entree(valeur: object) -> None:
    assert canonique(valeur) == rfc8785.dumps(valeur)


@pytest.mark.parametrize(
    "valeur",
    [
        {"é": 1, "z": 2, "\U0001f600": 3, "\ue000": 4},  # non-ASCII keys: UTF-16 order, the reference decides
        {"montant": 1.5},  # floats: the reference's ECMAScript number form
        [2**53, -(2**53)],
        {"a": [0.1, 1e21, -0.0]},
    ],
)
def test_hors_du_chemin_rapide_la_reference_decide(valeur: object) -> None:
    try:
        attendu = rfc8785.dumps(valeur)
    except Exception as erreur:  # noqa: BLE001 — the same refusal either way
        with pytest.raises(type(erreur)):
            canonique(valeur)
        return
    assert canonique(valeur) == attendu


def test_les_echappements_de_la_rfc() -> None:
    # RFC 8785 3.2.2.2: short escapes, other controls as lowercase \u00xx, the rest as is
    texte = "\b\t\n\f\r\x00\x1f\x7f\"\\/€\u2028\U0001f600"
    assert canonique({"t": texte}) == rfc8785.dumps({"t": texte})
    assert canonique({"t": texte}) == '{"t":"\\b\\t\\n\\f\\r\\u0000\\u001f\x7f\\"\\\\/€\u2028\U0001f600"}'.encode()


def test_une_demi_paire_de_substitution_est_refusee_comme_par_la_reference() -> None:
    with pytest.raises(Exception) as reference:
        rfc8785.dumps({"t": "\ud800"})
    with pytest.raises(type(reference.value)):
        canonique({"t": "\ud800"})


@settings(max_examples=2000, deadline=None)
@given(
    st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(-23 * 60, 23 * 60),
)
def test_horodatage_texte_est_le_format_rfc3339_utc_microsecondes(instant: datetime, decalage: int) -> None:
    avec_fuseau = instant.replace(tzinfo=timezone(timedelta(minutes=decalage)))
    attendu = avec_fuseau.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert horodatage_texte(avec_fuseau) == attendu
