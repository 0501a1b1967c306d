"""Crash safety, proven on a real process: SIGKILL in the middle of a batch, of a stream of
single messages and of push deliveries; then a restart on the same base.

What must hold (FLUX.md § 6, « a gateway that loses a message is worse than paper »):

* every message that got a 202, and every batch line reported accepted, is in the base;
* the batch sent again with the same Idempotency-Key resumes: each line accepted exactly once;
* the deduping receiver holds exactly the accepted messages — each once as a business message,
  though some were delivered twice around the kill (allowed: at-least-once + dedupe), and
  nothing else;
* the journal still verifies offline (sequencer, export, verifier of passerelle/journal/).

Then the same for a destination that is down — first answering 503, then not even listening —
and comes back.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.crash.outillage import (
    Base,
    FluxUnitaire,
    PasserelleProcessus,
    RecepteurDedoublonnant,
    ServeurSurPort,
    attendre,
    client,
    lot,
    port_libre,
    pousser_vers,
    rdc,
    verifier_journal,
)

LIGNES_LOT = 2000


def _caf(url: str, config: Path):  # type: ignore[no-untyped-def]
    return client(url, config, "caf-042")


_rdc, _lot = rdc, lambda lignes: lot(lignes)


def _verifier_journal(url_base: str, config: Path, dossier: Path) -> None:
    verifier_journal(url_base, config, dossier)


@pytest.fixture
def recepteur(config: Path):  # type: ignore[no-untyped-def]
    recepteur = RecepteurDedoublonnant(config)
    serveur = ServeurSurPort(recepteur, port_libre())
    serveur.demarrer()
    pousser_vers(config, "carsat-ra", serveur.url)
    yield recepteur, serveur
    serveur.arreter()


def test_sigkill_au_milieu_d_un_lot_et_d_un_flux_puis_redemarrage(url_base, config, tmp_path, recepteur) -> None:  # type: ignore[no-untyped-def]
    recepteur_, _ = recepteur
    passerelle = PasserelleProcessus(url_base, config, tmp_path)
    base = Base(url_base)
    corps_lot = _lot(LIGNES_LOT)
    resultat_lot: dict[str, object] = {}
    try:
        passerelle.demarrer()
        flux = FluxUnitaire(passerelle.url, config)
        flux.start()
        attendre(lambda: len(flux.acceptes) >= 20
                 and (base.valeur("SELECT count(*) FROM livraisons WHERE statut = 'livre'") or 0) >= 10,
                 30, "le flux unitaire et ses livraisons auraient dû commencer")

        def envoyer_lot() -> None:
            try:
                resultat_lot["premier"] = _caf(passerelle.url, config).envoyer_lot("rdc", corps_lot, cle_lot="lot-crash")
            except httpx.TransportError as exc:
                resultat_lot["coupure"] = exc

        fil_lot = threading.Thread(target=envoyer_lot, daemon=True)
        fil_lot.start()

        # Mid-way: part of the batch committed (chunks of 200 lines), singles and deliveries going on.
        attendre(lambda: (base.valeur("SELECT coalesce(max(lignes_traitees), 0) FROM lots") or 0) >= 400,
                 30, "le lot aurait dû avancer", pas=0.01)
        passerelle.tuer()
        lignes_au_crash = base.valeur("SELECT lignes_traitees FROM lots")
        fil_lot.join(10)
        assert "coupure" in resultat_lot and 0 < lignes_au_crash < LIGNES_LOT, (resultat_lot, lignes_au_crash)

        passerelle.demarrer()  # same base, same port
        repris = _caf(passerelle.url, config).envoyer_lot("rdc", corps_lot, cle_lot="lot-crash")
        attendre(lambda: len(flux.acceptes) >= 40 + len(flux.acceptes) // 2, 20, "le flux unitaire aurait dû reprendre")
        flux.arret.set()
        flux.join(30)
        assert not flux.is_alive() and flux.autres == [] and flux.coupures > 0

        assert repris.statut == 200, repris.donnees
        resume = repris.donnees["resume"]
        assert (resume["lignes"], resume["acceptees"], resume["refusees"]) == (LIGNES_LOT, LIGNES_LOT, 0)
        ids_lot = [r["id"] for r in repris.donnees["resultats"]]
        assert [r["ligne"] for r in repris.donnees["resultats"]] == list(range(1, LIGNES_LOT + 1))
        acceptes = set(ids_lot) | set(flux.acceptes.values())
        assert len(acceptes) == LIGNES_LOT + len(flux.acceptes)  # no id given twice

        attendre(lambda: base.valeur("SELECT count(*) FROM livraisons WHERE statut != 'livre'") == 0
                 and base.valeur("SELECT count(*) FROM livraisons") == len(acceptes),
                 90, "toutes les livraisons auraient dû aboutir")
    finally:
        passerelle.arreter()

    en_base = {r[0] for r in base.lignes("SELECT id FROM messages")}
    receptions = Counter(r[0] for r in base.lignes("SELECT message_id FROM journal WHERE decision = 'accepte'"))
    base.fermer()
    assert en_base == acceptes, (len(en_base - acceptes), len(acceptes - en_base))
    assert set(receptions) == acceptes and set(receptions.values()) == {1}  # each accepted exactly once
    # the receiver: exactly the accepted messages, once each for the business; re-deliveries allowed
    assert recepteur_.refus == []
    assert set(recepteur_.messages) == acceptes
    assert sum(recepteur_.livraisons.values()) >= len(acceptes)
    assert all(recepteur_.messages[i]["flux"] == "rdc" for i in acceptes)
    _verifier_journal(url_base, config, tmp_path)


def test_destination_en_panne_puis_de_retour(url_base, config, tmp_path, recepteur) -> None:  # type: ignore[no-untyped-def]
    recepteur_, serveur = recepteur
    passerelle = PasserelleProcessus(url_base, config, tmp_path)
    base = Base(url_base)
    try:
        passerelle.demarrer()
        recepteur_.en_panne = True  # 503: in maintenance
        client = _caf(passerelle.url, config)
        unitaires = [client.envoyer("rdc", _rdc(i, "panne"), cle_idempotence=f"panne-{i}") for i in range(150)]
        assert all(r.statut == 202 for r in unitaires)
        lot = client.envoyer_lot("rdc", _lot(500), cle_lot="lot-panne")
        assert lot.statut == 200 and lot.donnees["resume"]["acceptees"] == 500
        acceptes = {r.donnees["id"] for r in unitaires} | {r["id"] for r in lot.donnees["resultats"]}
        attendre(lambda: recepteur_.reponses_503 >= 50
                 and base.valeur("SELECT count(*) FROM livraisons WHERE statut = 'echec'") >= 100,
                 30, "la passerelle aurait dû essayer et échouer")
        serveur.arreter()  # then not even listening: connection refused
        recepteur_.en_panne = False
        attendre(lambda: base.valeur("SELECT count(*) FROM livraisons WHERE statut = 'echec' "
                                     "AND derniere_erreur NOT LIKE '%503%'") >= 100,
                 30, "des échecs de connexion auraient dû être notés")
        assert recepteur_.messages == {}
        serveur.demarrer()  # back, same port, its dedupe store intact
        attendre(lambda: base.valeur("SELECT count(*) FROM livraisons WHERE statut != 'livre'") == 0,
                 90, "tout aurait dû être livré au retour de la destination")
        assert base.valeur("SELECT count(*) FROM livraisons WHERE statut = 'morte'") == 0
        echecs = base.valeur("SELECT count(*) FROM journal WHERE decision = 'echec_livraison'")
    finally:
        passerelle.arreter()
    en_base = {r[0] for r in base.lignes("SELECT id FROM messages")}
    livres = Counter(r[0] for r in base.lignes("SELECT message_id FROM journal WHERE decision = 'livre'"))
    base.fermer()
    assert en_base == acceptes and len(acceptes) == 650
    assert echecs >= 100
    assert set(recepteur_.messages) == acceptes and recepteur_.refus == []
    assert set(livres) == acceptes and set(livres.values()) == {1}
    _verifier_journal(url_base, config, tmp_path)
