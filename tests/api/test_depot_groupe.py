"""The accept path through the group commit: what is examined before the transaction and what
is recorded in it stay consistent."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import sqlalchemy as sa

from passerelle.erreurs import Refus
from passerelle.reception import chemin
from passerelle.reception.refus import Connu, ContexteRequete, Refuse, executer_groupe
from passerelle.stockage.tables import journal, messages
from tests.api.test_refus import _signes
from tests.catalogue.exemples import exemple_rdc


def test_examine_la_veille_de_son_inscription_il_est_reexamine_le_jour_inscrit(passerelle, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Midnight passes between the examination (before the transaction) and the recording:
    the message is examined again for the day it is recorded on, never recorded on one day
    with the rules of another."""
    horloge = passerelle.horloge
    horloge.instant = horloge.instant.replace(hour=23, minute=59, second=59, microsecond=900_000)
    veille = horloge.instant.date()
    corps = json.dumps(exemple_rdc(aujourd_hui=veille)).encode()
    entetes = _signes(passerelle, corps)
    examens: list[object] = []
    examiner = chemin.examiner_avant_transaction

    def examiner_puis_minuit(*arguments, **options):  # type: ignore[no-untyped-def]
        try:
            return examiner(*arguments, **options)
        finally:
            examens.append(arguments[4])
            horloge.avancer(seconds=0.2)

    monkeypatch.setattr(chemin, "examiner_avant_transaction", examiner_puis_minuit)
    reponse = passerelle.client.post("/v1/flux/rdc", content=corps, headers=entetes)

    assert reponse.status_code == 202, reponse.text
    assert [instant.date() for instant in examens] == [veille]
    recu = reponse.json()
    lendemain = (veille + timedelta(days=1)).isoformat()
    assert recu["recu_le"].startswith(lendemain)
    with passerelle.services.moteur.connect() as c:
        entree = c.execute(sa.select(journal.c.entree).where(journal.c.index == recu["journal_index"])).scalar_one()
        recu_le = c.execute(sa.select(messages.c.recu_le).where(messages.c.id == recu["id"])).scalar_one()
    assert json.loads(entree)["horodatage"].startswith(lendemain)
    assert recu_le.date().isoformat() == lendemain


def test_une_operation_rejouee_part_de_la_trace_d_origine(passerelle) -> None:  # type: ignore[no-untyped-def]
    """Its group failed for another's fault, the operation runs again alone: if it is then
    refused, the refusal's entry names nothing the rolled-back first run had found."""
    services = passerelle.services
    journalisation = services.chemin.journalisation
    passages = {"a": 0}
    connu = Connu()  # what the operation knows before it runs

    def premiere(connexion) -> str:  # type: ignore[no-untyped-def]
        passages["a"] += 1
        if passages["a"] > 1:
            raise Refuse(Refus(code="essai_refus", detail="refusé au second passage"), connu)
        # What the first run learns is a new value of that run, never the shared one.
        connu.avec(message="11111111-1111-4111-8111-111111111111", destinataire="carsat-ra",
                   details={"lot": "vu au premier passage"})
        return "accepte"

    def seconde(connexion) -> str:  # type: ignore[no-untyped-def]
        raise RuntimeError("panne de l'autre opération")

    async def scenario() -> list[object]:
        contextes = [ContexteRequete(operation="essai", requete_id=f"r{i}") for i in range(2)]
        return await asyncio.gather(
            executer_groupe(journalisation, contextes[0], premiere),
            executer_groupe(journalisation, contextes[1], seconde),
            return_exceptions=True,
        )

    resultats = asyncio.run(scenario())
    assert isinstance(resultats[0], Refus) and isinstance(resultats[1], RuntimeError)
    assert passages["a"] == 2  # in the group, then alone
    with services.moteur.connect() as c:
        derniere = c.execute(sa.select(journal).order_by(journal.c.index.desc()).limit(1)).first()
    assert derniere.code == "essai_refus"
    assert derniere.message_id is None and derniere.destinataire is None
    assert b"premier passage" not in derniere.entree


def test_un_autre_ecrivain_qui_tient_le_journal_ne_fige_pas_la_boucle(passerelle) -> None:  # type: ignore[no-untyped-def]
    """While another transaction holds the journal (a batch slice, another replica), a group
    waits for it in its helper thread — the event loop goes on serving. SQLite: the process's
    write lock; PostgreSQL: the journal's row lock, waited for by the operation itself, which
    runs in the helper thread there."""
    import threading

    from passerelle.journal.ecriture import Decision

    services = passerelle.services
    pris, relacher = threading.Event(), threading.Event()

    def decision() -> Decision:
        return Decision(decision="essai", horodatage=passerelle.horloge())

    def autre_ecrivain() -> None:
        with services.ecriture, services.moteur.begin() as connexion:
            services.journal.ecrire(connexion, decision())
            pris.set()
            relacher.wait(10)

    fil = threading.Thread(target=autre_ecrivain)
    fil.start()
    assert pris.wait(5)

    async def scenario() -> tuple[int, int]:
        tops = 0

        async def battre() -> None:
            nonlocal tops
            while True:
                await asyncio.sleep(0.01)
                tops += 1

        battement = asyncio.create_task(battre())
        ajout = asyncio.create_task(
            executer_groupe(services.chemin.journalisation, ContexteRequete(operation="essai", requete_id="r"),
                            lambda connexion: services.journal.ecrire(connexion, decision()))
        )
        await asyncio.sleep(0.4)
        pendant = tops
        assert not ajout.done()  # it waits for the other writer...
        relacher.set()
        index = await ajout
        battement.cancel()
        return pendant, index

    try:
        pendant, index = asyncio.run(scenario())
    finally:
        relacher.set()
        fil.join(10)
    assert pendant >= 10  # ...without freezing the loop (a tick every 10 ms)
    assert index >= 1
