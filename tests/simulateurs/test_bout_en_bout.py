"""Both simulated caisses against an in-process gateway on a test clock, day by day.

The Carsat's receiver is a real HTTP server (the gateway's ``http`` connector pushes to it and
it checks the gateway's RFC 9421 signature); both caisses answer and read through the gateway
with their own keys. Runs on SQLite and PostgreSQL (the ``passerelle`` fixture).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from connecteurs.simulateurs.caf import SCHEMA as SCHEMA_CAF
from connecteurs.simulateurs.caf import CafSimulee
from connecteurs.simulateurs.carsat import SCHEMA as SCHEMA_CARSAT
from connecteurs.simulateurs.carsat import CarsatSimulee, CleGateway
from connecteurs.simulateurs.commun import Arret, Magasin
from connecteurs.simulateurs.population import generer_population
from passerelle.app import connecteurs_de, livreur_de
from passerelle.acheminement.livraison import livrer_une_fois
from passerelle.stockage.tables import journal, messages
from tests.acheminement.recepteur import ServeurRecepteur
from tests.acheminement.test_livraison import _pousser_vers
from tests.catalogue.exemples import table_age_legal


@dataclass
class HorlogeSimulee:
    """The test clock in the shape the simulators expect (factor 1: real-time windows)."""

    horloge: object
    facteur: float = 1.0

    def timestamp(self) -> float:
        return self.horloge.timestamp()  # type: ignore[attr-defined]

    def __call__(self) -> datetime:
        return self.horloge()  # type: ignore[operator]


class ServeurAsgi(ServeurRecepteur):
    """tests/acheminement's uvicorn-in-a-thread, for any ASGI application."""


def _livrer(passerelle) -> int:  # type: ignore[no-untyped-def]
    async def tour() -> int:
        connecteurs = connecteurs_de(passerelle.services)
        try:
            return await livrer_une_fois(livreur_de(passerelle.services), connecteurs)
        finally:
            await connecteurs.fermer()

    return asyncio.run(tour())


def test_un_mois_de_signaux_et_leurs_reponses(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    horloge = passerelle.horloge
    horloge.instant = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    simulee = HorlogeSimulee(horloge)
    arret = Arret()
    debut, fin = date(2026, 6, 1), date(2026, 7, 1)  # both signals fall due in June

    carsat_magasin = Magasin(tmp_path / "carsat.db", SCHEMA_CARSAT)
    cles = CleGateway(passerelle.client)
    cles.charger()
    carsat = CarsatSimulee(carsat_magasin, simulee, table_age_legal(), cles,
                           passerelle.organisme("carsat-ra", "simulateur.carsat-ra"), None, arret)
    caf = CafSimulee(Magasin(tmp_path / "caf.db", SCHEMA_CAF), passerelle.organisme("caf-042", "simulateur.caf-042"),
                     simulee, debut, fin, arret, releve=0)
    caf.peupler(generer_population(table_age_legal(), debut, fin, 24, graine=11, erreurs=1))

    with ServeurAsgi(carsat.application()) as serveur:  # type: ignore[arg-type]
        _pousser_vers(passerelle, "carsat-ra", serveur.url)
        for _ in range(200):  # 200 days, one step a day
            caf.tour()
            _livrer(passerelle)
            carsat.un_tour()
            horloge.avancer(days=1)
        caf.tour()

        # A delivery repeated after a timeout (same message, fresh signature) is kept once.
        with passerelle.services.moteur.connect() as c:
            un_id = c.execute(sa.select(messages.c.id).where(messages.c.destinataire == "carsat-ra").limit(1)).scalar_one()
        from passerelle.acheminement.livraison import _charger
        from passerelle.stockage.livraisons import lire

        with passerelle.services.moteur.connect() as c:
            ligne = lire(c, un_id)
        assert ligne is not None
        [message] = _charger(livreur_de(passerelle.services), [ligne])
        connecteur = connecteurs_de(passerelle.services).pour(passerelle.services.annuaire.actuel().organisme("carsat-ra"))
        [remise] = asyncio.run(connecteur.livrer([message]))
        assert remise.livre
        # A request not signed by the gateway is refused.
        faux = httpx.post(f"{serveur.url}/messages/{un_id}", json={"id": un_id}, headers={"Passerelle-Message-Id": un_id})
        assert faux.status_code == 401

    compteurs = carsat.compteurs()
    with passerelle.services.moteur.connect() as c:
        lignes = c.execute(sa.select(messages.c.id, messages.c.flux, messages.c.destinataire, messages.c.statut)).all()
        refus = Counter(code for (code,) in c.execute(sa.select(journal.c.code).where(journal.c.decision == "refuse")))
    par_flux = Counter(l.flux for l in lignes)
    # every signal of the month went, and every one got its answers within 200 days
    assert par_flux["rdc"] + par_flux["passage-retraite"] == 23
    assert par_flux["cloture-rdc"] == par_flux["rdc"]
    assert par_flux["avis-depot"] == par_flux["passage-retraite"]
    assert 0 < par_flux["notification-retraite"] <= par_flux["avis-depot"]
    assert refus == Counter({"nir_invalide": 1})
    assert all(l.statut == "acquitte" for l in lignes), Counter(l.statut for l in lignes)
    # the Carsat holds each message sent to it once, though one was delivered twice
    pour_carsat = {l.id for l in lignes if l.destinataire == "carsat-ra"}
    assert {r[0] for r in carsat_magasin.lire("SELECT id FROM recus")} == pour_carsat
    assert compteurs["livraisons"] == len(pour_carsat) + 1
    assert sum(compteurs["refus"].values()) == 1  # the unsigned request
    assert compteurs["erreurs"] == {}
    # the CAF read every answer once
    boite = caf.magasin.lire("SELECT id, acquitte FROM boite")
    assert {b[0] for b in boite} == {l.id for l in lignes if l.destinataire == "caf-042"}
    assert all(b[1] for b in boite)
