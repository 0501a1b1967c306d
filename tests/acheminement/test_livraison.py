"""Push delivery through the transactional outbox: delivered once, retried with backoff when
the caisse is down, parked as a dead letter after the limit, visible, re-drivable."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
import yaml

from passerelle.app import connecteurs_de, livreur_de
from passerelle.acheminement.livraison import PolitiqueReessai, livrer_une_fois
from passerelle.stockage import livraisons as table_livraisons
from passerelle.stockage.tables import journal, livraisons
from tests.acheminement.recepteur import Recepteur, ServeurRecepteur
from tests.catalogue.exemples import exemple_rdc


def _pousser_vers(passerelle, code: str, url: str) -> None:  # type: ignore[no-untyped-def]
    chemin = passerelle.config / "annuaire" / "organismes.yaml"
    contenu = yaml.safe_load(chemin.read_text())
    for organisme in contenu["organismes"]:
        if organisme["code"] == code:
            organisme["connecteur"] = {"type": "http", "url": url, "timeout": 5}
    chemin.write_text(yaml.safe_dump(contenu, allow_unicode=True))
    passerelle.services.annuaire._intervalle = 0


def _tour(passerelle) -> int:  # type: ignore[no-untyped-def]
    async def tour() -> int:
        connecteurs = connecteurs_de(passerelle.services)
        try:
            return await livrer_une_fois(livreur_de(passerelle.services), connecteurs)
        finally:
            await connecteurs.fermer()

    return asyncio.run(tour())


@pytest.fixture
def recepteur(passerelle):  # type: ignore[no-untyped-def]
    publique = passerelle.services.secrets.cle_signature.public_key()
    recepteur = Recepteur(publique=publique, horloge=passerelle.horloge)
    with ServeurRecepteur(recepteur) as serveur:
        _pousser_vers(passerelle, "carsat-ra", serveur.url)
        yield recepteur


def test_livre_une_fois_et_sort_de_la_boite(passerelle, recepteur) -> None:  # type: ignore[no-untyped-def]
    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    assert recu.statut == 202
    assert passerelle.organisme("carsat-ra").boite().donnees["messages"] == []  # pushed, not pulled
    assert _tour(passerelle) == 1
    assert _tour(passerelle) == 0
    assert list(recepteur.recus) == [recu.donnees["id"]] and recepteur.refus == []
    assert recepteur.recus[recu.donnees["id"]]["contenu"]["nir_assure"]
    suivi = passerelle.organisme("caf-042").message(recu.donnees["id"]).donnees
    assert suivi["statut"] == "livre" and suivi["livraison"]["tentatives"] == 1
    assert [h["decision"] for h in suivi["historique"]] == ["accepte", "livre"]


def test_panne_reessais_lettre_morte_puis_relance(passerelle, recepteur) -> None:  # type: ignore[no-untyped-def]
    passerelle.services.reglages.livraison_tentatives_max = 3
    recepteur.disponible = False
    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    message_id = recu.donnees["id"]
    assert _tour(passerelle) == 1
    caf = passerelle.organisme("caf-042")
    suivi = caf.message(message_id).donnees
    assert suivi["statut"] == "echec" and "503" in suivi["livraison"]["derniere_erreur"]
    assert _tour(passerelle) == 0  # not due yet: backoff
    for _ in range(2):
        passerelle.horloge.avancer(hours=2)
        assert _tour(passerelle) == 1
    assert caf.message(message_id).donnees["statut"] == "mort"
    carsat = passerelle.organisme("carsat-ra")
    mortes = carsat._http.get("/v1/livraisons", params={"statut": "morte"}, auth=carsat._auth).json()["livraisons"]
    assert [m["message"] for m in mortes] == [message_id]
    passerelle.horloge.avancer(days=1)
    assert _tour(passerelle) == 0  # dead letters are not retried by themselves
    recepteur.disponible = True
    relance = carsat._http.post(f"/v1/livraisons/{message_id}/relance", auth=carsat._auth)
    assert relance.status_code == 200 and relance.json()["statut"] == "a_livrer"
    assert carsat._http.post(f"/v1/livraisons/{message_id}/relance", auth=carsat._auth).json()["code"] == "livraison_non_morte"
    assert passerelle.organisme("caf-069")._http.post(f"/v1/livraisons/{message_id}/relance", auth=passerelle.organisme("caf-069")._auth).status_code == 404
    assert _tour(passerelle) == 1
    assert list(recepteur.recus) == [message_id]
    with passerelle.services.moteur.connect() as c:
        decisions = [r.decision for r in c.execute(sa.select(journal.c.decision).where(journal.c.message_id == message_id).order_by(journal.c.index))]
    # the two refused re-drives (not dead any more; not the caller's) are journaled too
    assert decisions == ["accepte", "echec_livraison", "echec_livraison", "mort", "relance", "refuse", "refuse", "livre"]


def test_bail_expire_relivre_sans_doublon_metier(passerelle, recepteur) -> None:  # type: ignore[no-untyped-def]
    """A worker that died after delivering but before recording: the lease runs out, the
    message is delivered again, and the receiver's dedupe keeps it once."""
    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    with passerelle.services.moteur.begin() as c:
        from datetime import timedelta

        [reservee] = table_livraisons.reserver(c, passerelle.horloge(), timedelta(seconds=120), 10)
    assert _tour(passerelle) == 0  # leased to the "dead" worker
    passerelle.horloge.avancer(seconds=121)
    assert _tour(passerelle) == 1
    assert list(recepteur.recus) == [recu.donnees["id"]]
    with passerelle.services.moteur.connect() as c:
        ligne = c.execute(sa.select(livraisons)).one()
    assert ligne.statut == "livre" and ligne.tentatives == 2


def test_politique_de_reessai() -> None:
    from datetime import datetime, timezone

    regle = PolitiqueReessai(tentatives_max=5, delai_base=2, delai_max=30)
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    delais = [(regle.prochaine(n, t0, alea=lambda: 1.0) - t0).total_seconds() for n in range(1, 5)]
    assert delais == [2, 4, 8, 16]
    assert (regle.prochaine(4, t0, alea=lambda: 0.0) - t0).total_seconds() == 8  # jitter: half to full
    assert (regle.prochaine(4, t0, alea=lambda: 1.0) - t0).total_seconds() == 16
    assert regle.prochaine(5, t0) is None
    assert PolitiqueReessai(20, 2, 30).prochaine(10, t0, alea=lambda: 1.0) == t0.replace(second=30)


def test_issue_notee_par_la_seule_prise_qui_tient_la_ligne(passerelle, recepteur) -> None:  # type: ignore[no-untyped-def]
    """A worker whose lease ran out (slow, or its base away) while another replica re-claimed the
    row and delivered it: its own outcome is not recorded, so the journal says 'livre' once."""
    from connecteurs.base import Remise
    from passerelle.acheminement.livraison import _reserver, noter_remises

    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    services = passerelle.services
    [lente] = _reserver(livreur_de(services), 10)
    passerelle.horloge.avancer(seconds=services.reglages.livraison_bail + 1)
    [reprise] = _reserver(livreur_de(services), 10)  # the lease ran out: another worker takes it
    assert (lente.tentatives, reprise.tentatives) == (1, 2)
    noter_remises(livreur_de(services), [reprise], [Remise(livre=True, accuse="AR-2")])
    noter_remises(livreur_de(services), [lente], [Remise(livre=True, accuse="AR-1")])  # too late: not its row any more
    noter_remises(livreur_de(services), [lente], [Remise(livre=False, detail="coupure")])
    with services.moteur.connect() as c:
        decisions = [r.decision for r in c.execute(
            sa.select(journal.c.decision).where(journal.c.message_id == recu.donnees["id"]).order_by(journal.c.index))]
        ligne = c.execute(sa.select(livraisons).where(livraisons.c.message_id == recu.donnees["id"])).one()
    assert decisions == ["accepte", "livre"]
    assert (ligne.statut, ligne.accuse) == ("livre", "AR-2")
