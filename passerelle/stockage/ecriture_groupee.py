"""Group commit: short write transactions queued and committed together.

Every accepted message must be durable (committed, fsync'd) before its receipt leaves. Alone,
each acceptance pays a thread hop, a pool checkout, a ``BEGIN`` and a durable ``COMMIT``. Here
the operations submitted on an event loop queue up; once a transaction is open, all those
waiting (up to ``taille_max``) run one after the other in it, and each caller is answered once
that single commit is done. The outcome is the one of running them one by one in arrival
order — each sees the writes of those before it, except the journal entries, message rows and
outbox rows of a group of two or more, which are kept and written together at the end of the
group (``differes.py``: no operation of the accept path reads them back) — for a fraction of the cost.

Where the work runs: what may block — taking the process's SQLite write lock, ``BEGIN
IMMEDIATE`` (which can wait for another process) and the durable ``COMMIT`` — runs in one helper
thread per event loop, during which the loop goes on reading and checking the next requests.
On SQLite, once ``BEGIN IMMEDIATE`` holds the only write lock no statement can wait, and the
operations run on the loop's thread like the rest of the request (a second Python thread would
only fight it for the GIL, which cost more than it saved). On PostgreSQL a statement may wait
for a row that another transaction holds (a batch slice, another replica): there the operations
run in the helper thread too, so the loop never waits for a lock, and rows are locked in the
same order as every other writer (the journal last).

If an operation of a group raises, the whole group is rolled back and each of its operations
is run again alone, in its own transaction: a failing operation never takes the others' writes
with it, and never commits half of its own. An operation may therefore run more than once: it
must act on the database only through the connection it is given (no other side effect).
"""

from __future__ import annotations

import asyncio
import collections
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection, Engine, RootTransaction

from passerelle.stockage.base import VerrouEcriture
from passerelle.stockage.differes import differer

T = TypeVar("T")


@dataclass
class _Operation(Generic[T]):
    travail: Callable[[Connection], T]
    futur: asyncio.Future[T]


@dataclass
class _File:
    """One event loop's share: the operations waiting, the task that commits them, the helper
    thread and the open transaction (two loops of one process — tests, a tool — never share a
    transaction; on SQLite they queue on the process's write lock)."""

    attente: collections.deque[_Operation[Any]] = field(default_factory=collections.deque)
    tache: asyncio.Task[None] | None = None
    aide: ThreadPoolExecutor | None = None
    connexion: Connection | None = None  # taken from the pool for one transaction
    transaction: RootTransaction | None = None


class EcritureGroupee:
    """``soumettre`` from coroutines; ``taille_max`` bounds a group (and so the wait of its
    last member); ``observer`` is told each committed group's size (a metric)."""

    def __init__(
        self,
        moteur: Engine,
        verrou: VerrouEcriture,
        *,
        taille_max: int = 64,
        observer: Callable[[int], None] | None = None,
    ) -> None:
        if taille_max < 1:
            raise ValueError("un groupe compte au moins une opération")
        self._moteur = moteur
        self._verrou = verrou
        self._taille_max = taille_max
        self._observer = observer
        self._sur_la_boucle = moteur.dialect.name == "sqlite"  # see the module's docstring
        # Per event loop; a loop that is dropped takes its share along (its idle helper thread
        # ends when its executor is collected).
        self._files: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _File] = weakref.WeakKeyDictionary()
        self._garde = threading.Lock()

    async def soumettre(self, travail: Callable[[Connection], T]) -> T:
        """Run ``travail`` in a transaction; return its result once that transaction is committed.

        A cancelled caller does not cancel the operation: it runs and commits (like a request
        whose client went away after sending it), only its answer is dropped."""
        boucle = asyncio.get_running_loop()
        with self._garde:
            file = self._files.get(boucle)
            if file is None:
                file = self._files[boucle] = _File()
        futur: asyncio.Future[T] = boucle.create_future()
        file.attente.append(_Operation(travail, futur))
        if file.tache is None:
            tache = file.tache = boucle.create_task(self._vider(file))
            # Normally cleared by _vider itself, at once; this covers a task cancelled before
            # its first step (a loop torn down), whose ``finally`` never runs.
            tache.add_done_callback(lambda fini: setattr(file, "tache", None) if file.tache is fini else None)
        return await futur

    async def terminer(self) -> None:
        """Wait until what was submitted on this loop is committed (or failed)."""
        file = self._files.get(asyncio.get_running_loop())
        while file is not None and file.tache is not None:
            await asyncio.wait({file.tache})

    # ------------------------------------------------------------------ on the event loop

    async def _vider(self, file: _File) -> None:
        try:
            while file.attente:
                await self._executer(file, None)
        except BaseException as erreur:  # the loop is going away: nobody is left waiting
            _echouer(list(file.attente), erreur)
            file.attente.clear()
            raise
        finally:
            file.tache = None  # no await since the queue was found empty: nothing slipped in

    async def _executer(self, file: _File, seule: _Operation[Any] | None) -> None:
        """One transaction: for the operations waiting once it is open, or for ``seule``.

        One helper opens, commits or rolls back each transaction: the thread that took the
        write lock is the one that releases it. Whatever happens, every operation taken gets
        an answer."""
        if file.aide is None:
            file.aide = ThreadPoolExecutor(max_workers=1, thread_name_prefix="passerelle-ecriture")
        aide = file.aide
        groupe: list[_Operation[Any]] = [seule] if seule is not None else []
        try:
            connexion = await self._dans_l_aide(aide, self._commencer, file)
            if seule is None:
                groupe = _prendre(file, self._taille_max)
            try:
                if self._sur_la_boucle:
                    resultats = _executer_tout(groupe, connexion)
                else:
                    resultats = await self._dans_l_aide(aide, _executer_tout, groupe, connexion)
            except BaseException as erreur:
                await self._dans_l_aide(aide, self._annuler, file)
                if isinstance(erreur, Exception) and len(groupe) > 1:
                    for operation in groupe:  # each alone: one failure never takes the others along
                        await self._executer(file, operation)
                    return
                raise
            # Never run again after a failed COMMIT: on PostgreSQL a connection lost during it
            # leaves the outcome unknown, and a second run would find its nonce consumed.
            await self._dans_l_aide(aide, self._valider, file)
        except BaseException as erreur:
            if seule is None and not groupe:  # the transaction did not open: those waiting fail
                groupe = _prendre(file, self._taille_max)
            _echouer(groupe, erreur)
            if isinstance(erreur, Exception):
                return
            raise
        for operation, resultat in zip(groupe, resultats, strict=True):
            if not operation.futur.done():  # a cancelled caller: the operation stands, the answer is dropped
                operation.futur.set_result(resultat)
        if self._observer is not None:
            try:
                self._observer(len(groupe))
            except Exception:  # noqa: BLE001, S110 — a metric must not turn a committed group into errors
                pass

    async def _dans_l_aide(self, aide: ThreadPoolExecutor, fonction: Callable[..., T], *arguments: Any) -> T:
        futur = asyncio.get_running_loop().run_in_executor(aide, fonction, *arguments)
        try:
            return await asyncio.shield(futur)
        except asyncio.CancelledError:
            # The loop is going away mid-transaction. The helper finishes what it started (a
            # commit stands, and releases the lock); a transaction it may still open is rolled
            # back right after — one worker, in order — so the write lock is never left held.
            if fonction == self._commencer:
                aide.submit(self._annuler_si_ouverte, *arguments)
            raise

    # ------------------------------------------------------------------ in the helper thread

    def _commencer(self, file: _File) -> Connection:
        self._verrou.__enter__()
        try:
            file.connexion = self._moteur.connect()
            file.transaction = file.connexion.begin()
            return file.connexion
        except BaseException:
            self._annuler(file)  # what did open is undone, the connection returned, the lock released
            raise

    def _valider(self, file: _File) -> None:
        transaction, file.transaction = file.transaction, None
        assert transaction is not None
        try:
            transaction.commit()
        finally:
            _rendre(file)
            self._verrou.__exit__()

    def _annuler(self, file: _File) -> None:
        transaction, file.transaction = file.transaction, None
        try:
            if transaction is not None and transaction.is_active:
                transaction.rollback()
        except Exception:  # noqa: BLE001, S110 — a broken connection: the pool discards it
            pass
        finally:
            _rendre(file)
            self._verrou.__exit__()

    def _annuler_si_ouverte(self, file: _File) -> None:
        if file.transaction is not None:
            self._annuler(file)


def _rendre(file: _File) -> None:
    """Back to the pool (which checks it on the next checkout, and drops it if broken)."""
    connexion, file.connexion = file.connexion, None
    if connexion is not None:
        try:
            connexion.close()
        except Exception:  # noqa: BLE001, S110 — already unusable: the pool has discarded it
            pass


def _executer_tout(groupe: list[_Operation[Any]], connexion: Connection) -> list[Any]:
    try:
        if len(groupe) == 1:  # one row per table: deferring would only add the counter's read
            return [groupe[0].travail(connexion)]
        with differer(connexion):
            return [operation.travail(connexion) for operation in groupe]
    except StopIteration as erreur:  # no future (asyncio's or an executor's) can carry it
        raise RuntimeError(f"l'opération a levé StopIteration: {erreur!r}") from erreur


def _prendre(file: _File, taille_max: int) -> list[_Operation[Any]]:
    return [file.attente.popleft() for _ in range(min(len(file.attente), taille_max))]


def _echouer(groupe: list[_Operation[Any]], erreur: BaseException) -> None:
    for operation in groupe:
        if operation.futur.done():
            continue
        if not isinstance(erreur, Exception):
            operation.futur.cancel()
        else:
            operation.futur.set_exception(erreur)
