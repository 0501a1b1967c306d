"""Two replicas' worth of concurrency on one database: nothing twice, nothing lost, no gap."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from passerelle.stockage.tables import journal, messages
from tests.catalogue.exemples import exemple_rdc


def test_meme_cle_d_idempotence_en_parallele(passerelle) -> None:  # type: ignore[no-untyped-def]
    donnees = exemple_rdc(aujourd_hui=passerelle.horloge().date())
    clients = [passerelle.organisme("caf-042", agent=f"agent{i}") for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        reponses = list(pool.map(lambda c: c.envoyer("rdc", donnees, cle_idempotence="meme-cle"), clients))
    assert {r.statut for r in reponses} == {202}
    assert len({r.corps for r in reponses}) == 1
    with passerelle.services.moteur.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one() == 1


def test_index_du_journal_denses_sous_concurrence(passerelle) -> None:  # type: ignore[no-untyped-def]
    jour = passerelle.horloge().date()
    envois = [
        (passerelle.organisme(f"caf-{numero}"), exemple_rdc(aujourd_hui=jour, code_caf=numero, destinataire=None))
        for numero in ("042", "069", "075")
        for _ in range(4)
    ]
    with ThreadPoolExecutor(6) as pool:
        reponses = list(pool.map(lambda envoi: envoi[0].envoyer("rdc", envoi[1]), envois))
    assert [r.statut for r in reponses].count(202) == len(envois), [r.donnees for r in reponses if r.statut != 202]
    assert {r.donnees["destinataire"] for r in reponses} == {"carsat-ra", "cnav-idf"}  # routed by territory
    with passerelle.services.moteur.connect() as c:
        index = [r.index for r in c.execute(sa.select(journal.c.index).order_by(journal.c.index))]
        recus = {r.journal_index for r in c.execute(sa.select(messages.c.journal_index))}
    assert index == list(range(len(index)))
    assert recus == {r.donnees["journal_index"] for r in reponses}


def test_acquittement_une_seule_fois(passerelle) -> None:  # type: ignore[no-untyped-def]
    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    agents = [passerelle.organisme("carsat-ra", agent=f"technicien{i}") for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        reponses = list(pool.map(lambda c: c.acquitter(recu.donnees["id"]), agents))
    assert {r.statut for r in reponses} == {200}
    assert [r.donnees["deja_acquitte"] for r in reponses].count(False) == 1
    assert len({r.donnees["acquitte_par"] for r in reponses}) == 1
    with passerelle.services.moteur.connect() as c:
        acquits = c.execute(sa.select(sa.func.count()).select_from(journal).where(journal.c.decision == "acquitte")).scalar_one()
    assert acquits == 1
