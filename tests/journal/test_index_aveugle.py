"""The NIR's blind index: HMAC-SHA-256 of the normalised NIR under the domain label."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given, settings
from hypothesis import strategies as st

from passerelle.journal.index_aveugle import DOMAINE, index_nir

CLE = bytes(range(32))


def test_vecteur() -> None:
    # Computed once with Python's hmac module (RFC 2104): an index written in the journal
    # must stay the same index forever, whatever computes it.
    attendu = "2d7671a9b15d831200f502fdf87b9962a5b251d09af226c76f6ab3f232558890"
    assert index_nir(CLE, "1 85 05 78 006 084 36") == attendu
    assert index_nir(CLE, "185057800608436") == attendu


@settings(max_examples=200, deadline=None)
@given(cle=st.binary(min_size=32, max_size=64), nir=st.text(max_size=30))
def test_meme_index_que_le_module_hmac(cle: bytes, nir: str) -> None:
    normalise = "".join(nir.split()).upper().encode("utf-8")
    assert index_nir(cle, nir) == hmac.new(cle, DOMAINE + normalise, hashlib.sha256).hexdigest()
