"""Group commit: short write transactions queued and committed together.

Every accepted message must be durable (committed, fsync'd) before its receipt leaves. Alone,
each acceptance pays a thread hop, a pool checkout, a ``BEGIN`` and a durable ``COMMIT``. Here
one writer thread takes the operations in arrival order; those that arrive while a commit is
under way run one after the other in the next transaction, and each caller is answered once
that single commit is done. The outcome is the one of running them one by one in arrival
order — each sees the writes of those before it — for a fraction of the cost.

If an operation of a group raises, the whole group is rolled back and each of its operations
is run again alone, in its own transaction: a failing operation never takes the others' writes
with it, and never commits half of its own. An operation may therefore run more than once: it
must act on the database only through the connection it is given (no other side effect).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from passerelle.stockage.base import VerrouEcriture

T = TypeVar("T")


@dataclass
class _Operation(Generic[T]):
    travail: Callable[[Connection], T]
    boucle: asyncio.AbstractEventLoop
    futur: asyncio.Future[T]


_ARRET = object()


class EcritureGroupee:
    """One writer thread per process; ``soumettre`` from any event loop.

    ``taille_max`` bounds a group (and so the wait of its last member); ``observer`` is told
    each group's size (a metric).
    """

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
        self._garde = threading.Lock()
        self._file: queue.SimpleQueue[Any] | None = None
        self._fil: threading.Thread | None = None

    async def soumettre(self, travail: Callable[[Connection], T]) -> T:
        """Run ``travail`` in a transaction; return its result once that transaction is committed.

        A cancelled caller does not cancel the operation: it runs and commits (like a request
        whose client went away after sending it), only its answer is dropped."""
        boucle = asyncio.get_running_loop()
        futur: asyncio.Future[T] = boucle.create_future()
        with self._garde:
            if self._file is None:
                self._file = queue.SimpleQueue()
                self._fil = threading.Thread(
                    target=self._boucle, args=(self._file,), name="passerelle-ecriture-groupee", daemon=True
                )
                self._fil.start()
            self._file.put(_Operation(travail, boucle, futur))
        return await futur

    def arreter(self, delai: float | None = None) -> None:
        """Let the queued operations finish, then stop the thread (the next ``soumettre``
        starts another). Blocking: from a coroutine, call it in a thread."""
        with self._garde:
            file, fil = self._file, self._fil
            self._file = self._fil = None
            if file is None:
                return
            file.put(_ARRET)
        assert fil is not None
        fil.join(delai)

    # ------------------------------------------------------------------ writer thread

    def _boucle(self, file: queue.SimpleQueue[Any]) -> None:
        # One connection kept by the thread: on SQLite its page cache stays warm from one group
        # to the next (a pooled connection taken in turn re-reads what another one wrote).
        propre = _ConnexionPropre(self._moteur)
        try:
            while True:
                premiere = file.get()
                if premiere is _ARRET:
                    return
                groupe: list[_Operation[Any]] = [premiere]
                arret = False
                while len(groupe) < self._taille_max:
                    try:
                        suivante = file.get_nowait()
                    except queue.Empty:
                        break
                    if suivante is _ARRET:
                        arret = True
                        break
                    groupe.append(suivante)
                try:
                    self._executer(propre, groupe)
                except BaseException as erreur:  # noqa: BLE001 — never leave a caller waiting
                    for operation in groupe:  # those already answered keep their answer
                        _repondre(operation, erreur=erreur)
                    if not isinstance(erreur, Exception):
                        raise
                if arret:
                    return
        finally:
            propre.fermer()

    def _executer(self, propre: _ConnexionPropre, groupe: list[_Operation[Any]]) -> None:
        try:
            with self._verrou:
                connexion = propre.connexion()
                with connexion.begin():
                    resultats = [operation.travail(connexion) for operation in groupe]
        except Exception as erreur:  # noqa: BLE001 — handed to the caller, or isolated below
            if isinstance(erreur, DBAPIError):
                propre.fermer()  # maybe broken (server restarted): a fresh one next time
            if len(groupe) == 1:
                _repondre(groupe[0], erreur=erreur)
                return
            for operation in groupe:
                self._executer(propre, [operation])
            return
        for operation, resultat in zip(groupe, resultats, strict=True):
            _repondre(operation, resultat=resultat)
        if self._observer is not None:
            try:
                self._observer(len(groupe))
            except Exception:  # noqa: BLE001, S110 — a metric must not turn a committed group into errors
                pass


class _ConnexionPropre:
    """The writer thread's own connection, opened on first use, replaced after a database error."""

    def __init__(self, moteur: Engine) -> None:
        self._moteur = moteur
        self._connexion: Connection | None = None

    def connexion(self) -> Connection:
        if self._connexion is None:
            self._connexion = self._moteur.connect()
        return self._connexion

    def fermer(self) -> None:
        if self._connexion is not None:
            connexion, self._connexion = self._connexion, None
            connexion.close()


def _repondre(operation: _Operation[Any], *, resultat: object = None, erreur: BaseException | None = None) -> None:
    def poser() -> None:
        if operation.futur.done():  # the caller was cancelled: the operation stands, the answer is dropped
            return
        if erreur is not None:
            operation.futur.set_exception(erreur)
        else:
            operation.futur.set_result(resultat)

    try:
        operation.boucle.call_soon_threadsafe(poser)
    except RuntimeError:  # that event loop is closed: nobody is waiting any more
        pass
