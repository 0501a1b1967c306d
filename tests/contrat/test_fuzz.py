"""Fuzzing in the suite: schemathesis-generated requests, signed as the contract says, against the
gateway's own OpenAPI document (tests/contrat/fuzz.py says what is sent and checked).

Bounded: ``PASSERELLE_FUZZ_CAS`` cases per database (300 by default, about 20 s on SQLite), the
same cases on every run (derandomized) so that a red run is reproducible; ``bench/fuzz.py`` runs
the deep, randomized version. Never tolerant: a 5xx, a refusal without a problem code, or an
answer the document does not describe fails the test with the request to replay.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.contrat.fuzz import Fuzzeur

CAS = int(os.environ.get("PASSERELLE_FUZZ_CAS", "300"))


def test_fuzzing_signe_contre_le_document(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fuzzeur = Fuzzeur(passerelle, lever=True)
    fuzzeur.preparer()

    @settings(max_examples=CAS, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def un_cas(data):  # type: ignore[no-untyped-def]
        fuzzeur.cas(data)

    un_cas()
    bilan = fuzzeur.bilan
    # generation went past authentication: accepted messages, business refusals, inbox reads
    assert bilan.par_statut[202] > 0 and bilan.par_statut[200] > 0, bilan.par_statut
    assert any(statut == 422 for statut, _ in bilan.par_code), bilan.par_code
    assert bilan.par_acces["signee"] > CAS // 3
    rapport = fuzzeur.verifier_journal(tmp_path / "export")
    assert rapport.ok, rapport
