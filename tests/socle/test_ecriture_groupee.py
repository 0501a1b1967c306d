"""Group commit (stockage/ecriture_groupee.py): what callers may rely on, on both databases."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from passerelle.stockage.base import VerrouEcriture, ouvrir
from passerelle.stockage.ecriture_groupee import EcritureGroupee

_meta = sa.MetaData()
_lignes = sa.Table("essai_groupe", _meta, sa.Column("cle", sa.String(20), primary_key=True))


@pytest.fixture
def moteur(url_base: str) -> Iterator[Engine]:
    moteur = ouvrir(url_base)
    _meta.create_all(moteur)
    yield moteur
    moteur.dispose()


def _inserer(cle: str):  # type: ignore[no-untyped-def]
    def travail(connexion: Connection) -> str:
        connexion.execute(sa.insert(_lignes).values(cle=cle))
        return cle

    return travail


def _cles(moteur: Engine) -> list[str]:
    with moteur.connect() as connexion:
        return sorted(connexion.execute(sa.select(_lignes.c.cle)).scalars())


def _groupe_retenu(moteur: Engine, travaux, verrou: VerrouEcriture, tailles: list[int]):  # type: ignore[no-untyped-def]
    """While the write lock is held elsewhere, the group waits to open its transaction; all
    the operations queued meanwhile run in it. Each caller's outcome, in order."""
    groupe = EcritureGroupee(moteur, verrou, observer=tailles.append)
    return asyncio.run(_retenir(groupe, verrou, travaux))


async def _retenir(groupe: EcritureGroupee, verrou: VerrouEcriture, travaux) -> list[object]:  # type: ignore[no-untyped-def]
    verrou.__enter__()
    try:
        taches = [asyncio.ensure_future(groupe.soumettre(travaux[0]))]
        await asyncio.sleep(0.1)  # its transaction waits for the lock
        taches += [asyncio.ensure_future(groupe.soumettre(travail)) for travail in travaux[1:]]
        await asyncio.sleep(0.1)
    finally:
        verrou.__exit__()
    return await asyncio.gather(*taches, return_exceptions=True)


def test_les_operations_en_attente_sont_validees_ensemble_dans_l_ordre(moteur: Engine) -> None:
    tailles: list[int] = []
    vus: list[list[str]] = []

    def lire_puis_inserer(cle: str):  # type: ignore[no-untyped-def]
        def travail(connexion: Connection) -> str:
            vus.append(sorted(connexion.execute(sa.select(_lignes.c.cle)).scalars()))
            connexion.execute(sa.insert(_lignes).values(cle=cle))
            return cle

        return travail

    resultats = _groupe_retenu(moteur, [lire_puis_inserer(f"m{i}") for i in range(6)], VerrouEcriture(True), tailles)

    assert resultats == [f"m{i}" for i in range(6)]
    assert tailles == [6]  # the six that queued while the lock was held: one commit
    # each operation saw exactly the writes of those before it: arrival order
    assert vus == [[f"m{j}" for j in range(i)] for i in range(6)]
    assert _cles(moteur) == [f"m{i}" for i in range(6)]


def test_une_operation_qui_echoue_n_emporte_pas_les_autres(moteur: Engine) -> None:
    def ecrire_puis_echouer(connexion: Connection) -> str:
        connexion.execute(sa.insert(_lignes).values(cle="jamais"))
        raise RuntimeError("panne de l'opération")

    tailles: list[int] = []
    resultats = _groupe_retenu(
        moteur, [_inserer("a"), _inserer("b"), ecrire_puis_echouer, _inserer("c")], VerrouEcriture(True), tailles
    )

    assert resultats[:2] == ["a", "b"] and resultats[3] == "c"
    assert isinstance(resultats[2], RuntimeError) and str(resultats[2]) == "panne de l'opération"
    assert _cles(moteur) == ["a", "b", "c"]  # nothing of the failed one, all of the others
    # the group [a, b, échec, c] was rolled back, then each ran alone
    assert tailles == [1, 1, 1]


def test_une_erreur_de_base_donne_une_connexion_neuve(moteur: Engine) -> None:
    groupe = EcritureGroupee(moteur, VerrouEcriture(True))

    def requete_invalide(connexion: Connection) -> None:
        connexion.execute(sa.text("SELECT * FROM table_qui_n_existe_pas"))

    async def scenario() -> str:
        with pytest.raises(sa.exc.DBAPIError):
            await groupe.soumettre(requete_invalide)
        return await groupe.soumettre(_inserer("apres"))

    assert asyncio.run(scenario()) == "apres"
    assert _cles(moteur) == ["apres"]


def test_un_appelant_annule_n_annule_pas_l_operation(moteur: Engine) -> None:
    verrou = VerrouEcriture(True)
    groupe = EcritureGroupee(moteur, verrou)

    async def scenario() -> None:
        verrou.__enter__()
        try:
            tache = asyncio.ensure_future(groupe.soumettre(_inserer("orphelin")))
            await asyncio.sleep(0.1)
            tache.cancel()
            with pytest.raises(asyncio.CancelledError):
                await tache
        finally:
            verrou.__exit__()
        assert await groupe.soumettre(_inserer("suivant")) == "suivant"

    asyncio.run(scenario())
    assert _cles(moteur) == ["orphelin", "suivant"]


def test_terminer_attend_que_la_file_soit_validee(moteur: Engine) -> None:
    verrou = VerrouEcriture(True)
    groupe = EcritureGroupee(moteur, verrou)

    async def soumettre_en_nombre() -> list[object]:
        verrou.__enter__()
        taches = [asyncio.ensure_future(groupe.soumettre(_inserer(f"f{i}"))) for i in range(5)]
        fin = asyncio.ensure_future(groupe.terminer())
        await asyncio.sleep(0.2)
        assert not fin.done()  # the queue is not committed yet
        verrou.__exit__()
        await fin
        assert all(tache.done() for tache in taches)  # terminer returned once all were answered
        return [tache.result() for tache in taches]

    assert asyncio.run(soumettre_en_nombre()) == [f"f{i}" for i in range(5)]

    async def sur_une_autre_boucle() -> str:
        return await groupe.soumettre(_inserer("relance"))

    assert asyncio.run(sur_une_autre_boucle()) == "relance"
    assert len(_cles(moteur)) == 6


def test_le_verrou_d_ecriture_n_est_jamais_garde_apres_un_groupe(moteur: Engine) -> None:
    """Committed, failed, isolated: after each, another thread can take the write lock."""
    verrou = VerrouEcriture(True)
    groupe = EcritureGroupee(moteur, verrou)

    def echouer(connexion: Connection) -> None:
        raise RuntimeError("panne")

    def verrou_libre() -> bool:
        pris = threading.Event()

        def prendre() -> None:
            with verrou:
                pris.set()

        fil = threading.Thread(target=prendre)
        fil.start()
        fil.join(5)
        return pris.is_set()

    async def scenario() -> None:
        await groupe.soumettre(_inserer("ok"))
        assert await asyncio.to_thread(verrou_libre)
        with pytest.raises(RuntimeError):
            await groupe.soumettre(echouer)
        assert await asyncio.to_thread(verrou_libre)
        resultats = await asyncio.gather(groupe.soumettre(_inserer("x")), groupe.soumettre(echouer), return_exceptions=True)
        assert resultats[0] == "x" and isinstance(resultats[1], RuntimeError)
        assert await asyncio.to_thread(verrou_libre)

    asyncio.run(scenario())


def test_taille_max_borne_un_groupe(moteur: Engine) -> None:
    tailles: list[int] = []
    verrou = VerrouEcriture(True)
    groupe = EcritureGroupee(moteur, verrou, taille_max=3, observer=tailles.append)
    travaux = [_inserer(f"t{i}") for i in range(8)]
    assert asyncio.run(_retenir(groupe, verrou, travaux)) == [f"t{i}" for i in range(8)]
    assert tailles == [3, 3, 2]
    with pytest.raises(ValueError):
        EcritureGroupee(moteur, verrou, taille_max=0)


def test_un_incident_apres_la_validation_ne_laisse_personne_attendre(moteur: Engine) -> None:
    """A failing metric (or anything after the commit) neither hangs the callers nor turns
    their committed operations into errors; the writer goes on."""

    def observer(_taille: int) -> None:
        raise ValueError("I/O operation on closed file")

    groupe = EcritureGroupee(moteur, VerrouEcriture(True), observer=observer)

    async def scenario() -> list[str]:
        return [await groupe.soumettre(_inserer("x")), await groupe.soumettre(_inserer("y"))]

    assert asyncio.run(asyncio.wait_for(scenario(), 10)) == ["x", "y"]
    assert _cles(moteur) == ["x", "y"]


def test_une_boucle_qui_s_arrete_pendant_l_attente_du_verrou_ne_le_garde_pas(moteur: Engine) -> None:
    """The loop goes away while the group waits for the lock: once the helper gets it, the
    transaction it opens is rolled back and the lock released; nothing is written."""
    verrou = VerrouEcriture(True)
    groupe = EcritureGroupee(moteur, verrou)

    async def abandon() -> None:
        verrou.__enter__()
        asyncio.ensure_future(groupe.soumettre(_inserer("abandon")))
        await asyncio.sleep(0.1)  # asyncio.run then cancels the caller and the group's task

    asyncio.run(abandon())
    verrou.__exit__()
    libre = threading.Event()

    def prendre() -> None:
        with verrou:
            libre.set()

    fil = threading.Thread(target=prendre, daemon=True)
    fil.start()
    fil.join(10)
    assert libre.is_set()

    async def ensuite() -> str:
        return await groupe.soumettre(_inserer("ensuite"))

    assert asyncio.run(ensuite()) == "ensuite"
    assert _cles(moteur) == ["ensuite"]


def test_deux_boucles_a_la_fois_ne_partagent_pas_de_transaction(moteur: Engine) -> None:
    """Two event loops of one process (tests, a tool beside the server) submitting together:
    each has its own transactions; on SQLite they queue on the write lock."""
    groupe = EcritureGroupee(moteur, VerrouEcriture(moteur.dialect.name == "sqlite"))
    erreurs: list[BaseException] = []

    def boucle(prefixe: str) -> None:
        async def envoyer() -> list[str]:
            return await asyncio.gather(*(groupe.soumettre(_inserer(f"{prefixe}{i}")) for i in range(40)))

        try:
            assert asyncio.run(envoyer()) == [f"{prefixe}{i}" for i in range(40)]
        except BaseException as erreur:  # noqa: BLE001 — reported below
            erreurs.append(erreur)

    fils = [threading.Thread(target=boucle, args=(p,)) for p in ("a", "b", "c")]
    for fil in fils:
        fil.start()
    for fil in fils:
        fil.join(60)
    assert not erreurs
    assert len(_cles(moteur)) == 120


class _Interruption(BaseException):
    """Not an Exception: what a KeyboardInterrupt or a cancellation looks like to the group."""


def _verrou_libre(verrou: VerrouEcriture) -> bool:
    libre = threading.Event()

    def prendre() -> None:
        with verrou:
            libre.set()

    fil = threading.Thread(target=prendre, daemon=True)
    fil.start()
    fil.join(5)
    return libre.is_set()


def test_une_interruption_dans_une_operation_annule_tout_et_rend_le_verrou(moteur: Engine) -> None:
    verrou = VerrouEcriture(True)
    groupe = EcritureGroupee(moteur, verrou)

    def interrompre(connexion: Connection) -> None:
        connexion.execute(sa.insert(_lignes).values(cle="interrompue"))
        raise _Interruption()

    async def scenario() -> list[object]:
        return await asyncio.gather(groupe.soumettre(_inserer("avant")), groupe.soumettre(interrompre),
                                    return_exceptions=True)

    resultats = asyncio.run(scenario())
    assert all(isinstance(r, asyncio.CancelledError) for r in resultats)  # nobody is left waiting
    assert _verrou_libre(verrou)
    assert _cles(moteur) == []  # the group was rolled back as a whole

    async def ensuite() -> str:
        return await groupe.soumettre(_inserer("ensuite"))

    assert asyncio.run(ensuite()) == "ensuite"


def test_apres_un_commit_en_echec_rien_n_est_rejoue(moteur: Engine) -> None:
    """A failed COMMIT may have committed (a connection lost during it, on PostgreSQL): the
    operations are not run again — they would find their own nonce consumed."""
    verrou = VerrouEcriture(True)
    executions: list[str] = []

    class CommitIncertain(EcritureGroupee):
        def _valider(self, file):  # type: ignore[no-untyped-def]
            super()._valider(file)
            raise ConnectionError("connexion perdue pendant le COMMIT")

    groupe = CommitIncertain(moteur, verrou)

    def compter(cle: str):  # type: ignore[no-untyped-def]
        def travail(connexion: Connection) -> str:
            executions.append(cle)
            connexion.execute(sa.insert(_lignes).values(cle=cle))
            return cle

        return travail

    resultats = asyncio.run(_retenir(groupe, verrou, [compter("u"), compter("v"), compter("w")]))
    assert all(isinstance(r, ConnectionError) for r in resultats)
    assert sorted(executions) == ["u", "v", "w"]  # once each
    assert _verrou_libre(verrou)


def test_ou_tournent_les_operations(moteur: Engine) -> None:
    """SQLite: on the loop's thread (no statement can wait once BEGIN IMMEDIATE holds the
    lock). PostgreSQL: in the helper thread (a statement may wait for another's row lock)."""
    groupe = EcritureGroupee(moteur, VerrouEcriture(moteur.dialect.name == "sqlite"))

    def nom_du_fil(connexion: Connection) -> str:
        return threading.current_thread().name

    async def scenario() -> str:
        return await groupe.soumettre(nom_du_fil)

    fil = asyncio.run(scenario())
    if moteur.dialect.name == "sqlite":
        assert fil == threading.current_thread().name
    else:
        assert fil.startswith("passerelle-ecriture")


def test_une_operation_qui_leve_stopiteration_n_arrete_pas_le_groupe(moteur: Engine) -> None:
    """asyncio refuses StopIteration on a future: it is handed over as a RuntimeError, and the
    other operations of the group are still run and answered."""
    groupe = EcritureGroupee(moteur, VerrouEcriture(True))

    def arreter_l_iteration(connexion: Connection) -> None:
        raise StopIteration("fin")

    async def scenario() -> list[object]:
        return await asyncio.wait_for(
            asyncio.gather(groupe.soumettre(_inserer("a")), groupe.soumettre(arreter_l_iteration),
                           groupe.soumettre(_inserer("b")), return_exceptions=True),
            10,
        )

    resultats = asyncio.run(scenario())
    assert resultats[0] == "a" and resultats[2] == "b"
    assert isinstance(resultats[1], RuntimeError) and "StopIteration" in str(resultats[1])
    assert _cles(moteur) == ["a", "b"]
