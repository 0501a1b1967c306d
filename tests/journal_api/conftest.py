"""Journal tests drive the sequencer by hand, so that what is integrated and signed is exactly
what each test asks for: the background sequencer stays off even if the shared fixture ever
turns background jobs on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.client.signeur import SignatureRfc9421
from passerelle.journal.sequenceur import Integration, integrer
from tests.catalogue.exemples import exemple_rdc


@pytest.fixture(autouse=True)
def sans_sequenceur_de_fond(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PASSERELLE_SEQUENCEUR_INTERVALLE", "0")
    yield


def sequencer(passerelle: Any, *, lot_max: int = 10_000, toutes_entrees: int = 1000,
              toutes_secondes: float = 10.0, forcer: bool = False) -> Integration:
    services = passerelle.services
    origine = services.reglages.origine_journal
    with services.moteur.begin() as connexion:
        return integrer(connexion, services.secrets.cle_signature, origine, origine, services.horloge(),
                        lot_max=lot_max, toutes_entrees=toutes_entrees, toutes_secondes=toutes_secondes,
                        forcer=forcer)


def envoyer_rdc(passerelle: Any, nombre: int = 1) -> list[dict[str, Any]]:
    """``nombre`` accepted rdc from caf-042 to carsat-ra; their receipts."""
    caf = passerelle.organisme("caf-042")
    recus = []
    for _ in range(nombre):
        reponse = caf.envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
        assert reponse.statut == 202, reponse.donnees
        recus.append(reponse.donnees)
    return recus


def obtenir(passerelle: Any, organisme: str, chemin: str, **parametres: Any) -> httpx.Response:
    """A signed GET as ``organisme`` (its development key)."""
    keyid = f"{organisme}-dev-2026"
    cle = lire_privee_pem((passerelle.config / "developpement" / "cles" / f"{keyid}.pem").read_bytes())
    auth = SignatureRfc9421(cle, keyid, f"agent@{organisme}", horloge=passerelle.horloge.timestamp)
    return passerelle.client.get(chemin, params=parametres or None, auth=auth)
