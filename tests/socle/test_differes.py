"""Deferred inserts (stockage/differes.py): the same rows as inserts made at once, in a few
statements, nothing written when the block fails; on both databases."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from passerelle.stockage import livraisons, messages
from passerelle.stockage.base import VerrouEcriture, migrer, ouvrir
from passerelle.stockage.chiffrement import Chiffre
from passerelle.stockage.differes import differer
from passerelle.stockage.ecriture_groupee import EcritureGroupee
from passerelle.stockage.journal_ajout import LigneJournal, ajouter
from passerelle.stockage.tables import journal, journal_taille
from passerelle.stockage.tables import livraisons as table_livraisons
from passerelle.stockage.tables import messages as table_messages

INSTANT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)  # never meets a real clock: rows only


@pytest.fixture
def moteur(url_base: str) -> Iterator[Engine]:
    moteur = ouvrir(url_base)
    migrer(moteur)
    yield moteur
    moteur.dispose()


def _entree(n: int) -> LigneJournal:
    return LigneJournal(horodatage=INSTANT, entree=f'{{"n":{n}}}'.encode(), decision="accepte", code=None, flux="rdc",
                        message_id=f"m-{n}", organisme="caf-042", destinataire="carsat-ra", keyid="k", agent="a",
                        robot=None, nir_index=None)


def _message(n: int, journal_index: int) -> messages.LigneMessage:
    return messages.LigneMessage(
        seq=0, id=f"m-{n}", flux="rdc", emetteur="caf-042", destinataire="carsat-ra", keyid="k", agent="a",
        reference=f"ref-{n}", en_reponse_a=None, nir_index=None, empreinte="sha-256=:x:", recu_le=INSTANT,
        statut=messages.RECU, acquitte_le=None, acquitte_par=None, contenu=Chiffre("c", b"\x00" * 8, None),
        journal_index=journal_index, regles_version=None)


def _accepter(connexion: Connection, n: int) -> int:
    """What an acceptance writes through these three writers: entry, message, outbox row."""
    index = ajouter(connexion, _entree(n))
    messages.inserer(connexion, _message(n, index))
    livraisons.programmer(connexion, f"m-{n}", "carsat-ra", "fichier", INSTANT)
    return index


def _etat(moteur: Engine) -> tuple[int, list[tuple], list[tuple], list[str]]:  # type: ignore[type-arg]
    with moteur.connect() as c:
        taille = c.execute(sa.select(journal_taille.c.taille)).scalar_one()
        entrees = [tuple(r) for r in c.execute(
            sa.select(journal.c.index, journal.c.message_id, journal.c.entree).order_by(journal.c.index))]
        lignes = [tuple(r) for r in c.execute(
            sa.select(table_messages.c.id, table_messages.c.journal_index, table_messages.c.reference)
            .order_by(table_messages.c.seq))]
        sortantes = list(c.execute(sa.select(table_livraisons.c.message_id).order_by(table_livraisons.c.message_id)).scalars())
    return taille, entrees, lignes, sortantes


def _instructions(moteur: Engine) -> list[str]:
    vues: list[str] = []
    sa.event.listen(moteur, "before_cursor_execute", lambda *a: vues.append(a[2].split()[0].upper()))
    return vues


def test_un_bloc_ecrit_les_memes_lignes_que_des_insertions_immediates(moteur: Engine) -> None:
    etats = []
    for differe in (False, True):
        with moteur.begin() as c:  # start again from an empty journal, then one entry before
            for table in (journal, table_messages, table_livraisons):
                c.execute(sa.delete(table))
            c.execute(sa.update(journal_taille).values(taille=0))
            ajouter(c, _entree(0))  # the block starts from the counter, not from 0
        with moteur.begin() as c:
            if differe:
                with differer(c):
                    donnes = [_accepter(c, n) for n in range(1, 41)]
            else:
                donnes = [_accepter(c, n) for n in range(1, 41)]
        assert donnes == list(range(1, 41))
        etats.append(_etat(moteur))
    assert etats[0] == etats[1]
    taille, entrees, lignes, sortantes = etats[1]
    assert taille == 41 and [e[0] for e in entrees] == list(range(41))
    assert [(m[0], m[1]) for m in lignes] == [(f"m-{n}", n) for n in range(1, 41)]  # in the order kept
    assert len(sortantes) == 40


def test_un_bloc_ecrit_chaque_table_en_une_instruction(moteur: Engine) -> None:
    vues = _instructions(moteur)
    with moteur.begin() as c:
        del vues[:]
        with differer(c):
            for n in range(25):
                _accepter(c, n)
            assert [v for v in vues if v != "SAVEPOINT"] == ["SELECT"]  # the counter, read and locked once
        assert vues.count("INSERT") == 3 and vues.count("UPDATE") == 1
    assert _etat(moteur)[0] == 25


def test_un_bloc_quitte_sur_une_exception_n_ecrit_rien_meme_si_l_appelant_valide(moteur: Engine) -> None:
    with moteur.begin() as c:
        ajouter(c, _entree(0))
    with moteur.begin() as c:  # the caller (wrongly) commits anyway: still no counter ahead of its rows
        with pytest.raises(ValueError, match="en cours de route"):
            with differer(c):
                _accepter(c, 1)
                raise ValueError("en cours de route")
    taille, entrees, lignes, sortantes = _etat(moteur)
    assert taille == 1 and [e[0] for e in entrees] == [0] and lignes == [] and sortantes == []
    with moteur.begin() as c, differer(c):  # and the connection, back in the pool, defers no more
        pass
    with moteur.begin() as c:
        assert _accepter(c, 2) == 1
    assert _etat(moteur)[0] == 2


def test_un_bloc_dans_un_bloc_ajoute_au_premier(moteur: Engine) -> None:
    with moteur.begin() as c:
        with differer(c):
            _accepter(c, 1)
            with differer(c):
                assert _accepter(c, 2) == 1
            assert c.execute(sa.select(sa.func.count()).select_from(journal)).scalar_one() == 0  # the outer one writes
        assert _accepter(c, 3) == 2  # after the block: at once, after the indexes it gave
    taille, entrees, lignes, _ = _etat(moteur)
    assert taille == 3 and [e[1] for e in entrees] == ["m-1", "m-2", "m-3"]
    assert [m[1] for m in lignes] == [0, 1, 2]


def test_un_ajout_hors_de_journal_ajout_dans_un_bloc_est_refuse(moteur: Engine) -> None:
    with pytest.raises(RuntimeError, match="compteur du journal"):
        with moteur.begin() as c, differer(c):
            ajouter(c, _entree(1))
            c.execute(sa.update(journal_taille).values(taille=journal_taille.c.taille + 1))
    assert _etat(moteur)[:2] == (0, [])


def test_deux_blocs_concurrents_prennent_des_index_qui_se_suivent(moteur: Engine) -> None:
    """The first block's read of the counter locks it: the second waits, then follows."""
    premier_ajoute, fin = threading.Event(), threading.Event()
    donnes: dict[str, list[int]] = {}

    def second() -> None:
        premier_ajoute.wait(10)
        with moteur.begin() as c, differer(c):
            donnes["second"] = [ajouter(c, _entree(n)) for n in range(100, 103)]
        fin.set()

    fil = threading.Thread(target=second)
    fil.start()
    with moteur.begin() as c, differer(c):
        donnes["premier"] = [ajouter(c, _entree(n)) for n in range(3)]
        premier_ajoute.set()
        assert not fin.wait(0.5)  # the second is held until this one commits
    fil.join(20)
    assert donnes == {"premier": [0, 1, 2], "second": [3, 4, 5]}
    taille, entrees, _, _ = _etat(moteur)
    assert taille == 6 and [e[0] for e in entrees] == list(range(6))


def test_le_commit_de_groupe_ecrit_les_lignes_de_ses_operations_et_reprend_sans_l_operation_fautive(moteur: Engine) -> None:
    verrou = VerrouEcriture(True)
    groupe = EcritureGroupee(moteur, verrou)

    def operation(n: int):  # type: ignore[no-untyped-def]
        def travail(c: Connection) -> int:
            index = _accepter(c, n)
            if n == 2:
                raise LookupError("l'opération 2 échoue après avoir écrit")
            return index

        return travail

    async def tout() -> list[object]:
        verrou.__enter__()  # held: the four wait, then run in one transaction
        taches = [asyncio.ensure_future(groupe.soumettre(operation(n))) for n in range(4)]
        await asyncio.sleep(0.1)
        verrou.__exit__()
        return await asyncio.gather(*taches, return_exceptions=True)

    issues = asyncio.run(tout())
    assert issues[:2] == [0, 1] and isinstance(issues[2], LookupError) and issues[3] == 2
    taille, entrees, lignes, sortantes = _etat(moteur)
    assert taille == 3 and [(e[0], e[1]) for e in entrees] == [(0, "m-0"), (1, "m-1"), (2, "m-3")]
    assert [(m[0], m[1]) for m in lignes] == [("m-0", 0), ("m-1", 1), ("m-3", 2)]
    assert sortantes == ["m-0", "m-1", "m-3"]
