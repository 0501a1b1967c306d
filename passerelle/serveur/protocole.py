"""uvicorn's httptools protocol, with the size and time of each request head and body bounded.

httptools (llhttp) has no limit of its own: it accumulates a header of any size in memory before
the application is called, and uvicorn waits for a silent or trickling client for ever. Here the
bytes are counted *before* they reach the parser:

- a request head (request line, header fields, final CRLF) is fed to the parser at most
  ``taille_max_entetes`` bytes at a time; if it is still incomplete past that budget, the answer
  is 431 ``entetes_trop_volumineux`` and the rest is never parsed. The request target is checked
  as the parser reads it (414 ``uri_trop_longue``), the number of fields when the head ends
  (431 ``entetes_trop_nombreux``);
- a head has ``delai_entetes`` seconds from its first byte (from the connection for the first
  request): then 408 ``delai_entetes_depasse``, or a silent close if nothing came at all;
- a body has ``delai_corps`` seconds *between two reads* (an idle timeout: a 1 GiB batch sent at
  a steady pace is never cut), not counting the time the server itself does not read (flow
  control while the application is busy, ``Expect: 100-continue`` not answered yet): then 408
  ``delai_corps_depasse``;
- a malformed request gets the same problem document, 400 ``requete_malformee``, instead of
  uvicorn's text/plain.

After a refusal the answer is written, the sending side shut (FIN), and what the client still
sends is read and dropped until it closes or ``attente_fermeture`` passes, so that the client
reads the answer rather than a connection reset.

Between requests the keep-alive timeout stays uvicorn's. A request that begins in the same read
as the end of the previous one (pipelining, which ordinary clients do not do) has its first read
uncounted, at most one read (256 KiB) past the budget, and its head is checked again, by its
parsed size, when it ends; a head refused behind requests still being answered is answered
after them, in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httptools
import structlog
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from passerelle.api.requetes import REQUETE_ID_PROPOSE
from passerelle.erreurs import Refus
from passerelle.serveur import limites as L

journal_technique = structlog.get_logger("passerelle.http")


class _Arret(Exception):
    """Raised inside a parser callback to stop parsing; the decision is in ``_decision``."""


class _LectureSignalee(FlowControl):
    """uvicorn's flow control, telling the protocol each time the application asks for more body
    (``receive``): the client's idle clock starts again from there, not from before a wait of
    the server's own (flow control, application busy, 100 Continue not yet sent)."""

    def __init__(self, transport: asyncio.Transport, pret: Callable[[], None]) -> None:
        super().__init__(transport)
        self._pret = pret

    def resume_reading(self) -> None:
        self._pret()
        super().resume_reading()


class ProtocoleBorne(HttpToolsProtocol):
    """One client connection. ``config.limites`` (``LimitesHttp``) and ``config.signaler``
    (called with each refusal's code, for the metrics) come from ``lancement.ConfigServeur``."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limites: L.LimitesHttp = getattr(config, "limites", None) or L.LimitesHttp()
        self.signaler: Callable[[str], None] | None = getattr(config, "signaler", None)
        self._en_tete = True  # the next bytes belong to a request head
        self._octets_tete = 0  # bytes of the current head fed to the parser
        self._tete_comptee = True  # every byte of the current head went through the count
        self._tete_numero = 0  # complete messages so far on this connection
        self._commencee = False  # the parser saw the first byte of a request
        self._corps = False  # head complete, message not yet
        self._dernier_octet = 0.0  # loop time of the last body read
        self._decision: Refus | None = None
        self._rejetee = False  # a refusal was decided: the connection only drains, then closes
        self._differe: tuple[Refus, str] | None = None  # written once earlier responses are out
        self._echeance_tete: asyncio.TimerHandle | None = None
        self._echeance_corps: asyncio.TimerHandle | None = None
        self._fermeture: asyncio.TimerHandle | None = None

    # --- connection ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.flow = _LectureSignalee(transport, self._serveur_pret)
        self._echeance_tete = self.loop.call_later(self.limites.delai_entetes, self._tete_expiree)

    def connection_lost(self, exc: Exception | None) -> None:
        self._annuler_echeances()
        if self._fermeture is not None:
            self._fermeture.cancel()
            self._fermeture = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._rejetee:
            return  # the answer is sent: what follows is dropped unread
        if not self._en_tete:
            if self._corps:
                self._dernier_octet = self.loop.time()
            self._analyser(data)
            self._apres_lecture()
            return
        if not self._commencee:
            self._tete_comptee = True  # counting starts with this read: nothing of this head went uncounted
        reste = self.limites.taille_max_entetes - self._octets_tete
        if len(data) <= reste:
            self._octets_tete += len(data)
            self._analyser(data)
            self._apres_lecture()
            return
        # Only the bytes the budget allows reach the parser; the head must end inside them.
        self._octets_tete += reste
        tete = self._tete_numero
        self._analyser(data[:reste])
        if self._rejetee or self.transport.is_closing():
            return
        if self._en_tete and self._tete_numero == tete:
            self._refuser(L.entetes_trop_volumineux(self.limites))
            return
        self.data_received(data[reste:])

    def _analyser(self, data: bytes) -> None:
        """uvicorn's ``data_received``, with a problem document for whatever the parser refuses."""
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._refuser(self._decision or L.requete_malformee())
        except httptools.HttpParserUpgrade:
            # No protocol upgrade is served (no WebSocket): the request is answered as plain HTTP.
            if self._should_upgrade():  # pragma: no cover — ws is "none" in lancement.py
                self.handle_websocket_upgrade()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's text/plain 400, should anything still call it: the problem document instead."""
        self._refuser(L.requete_malformee())

    # --- parser callbacks ---------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._commencee = True

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limites.taille_max_url:
            self._decision = L.uri_trop_longue(self.limites)
            raise _Arret

    def on_headers_complete(self) -> None:
        if len(self.headers) > self.limites.entetes_max:
            self._decision = L.entetes_trop_nombreux(self.limites)
            raise _Arret
        if not self._tete_comptee and self._taille_analysee() > self.limites.taille_max_entetes:
            self._decision = L.entetes_trop_volumineux(self.limites)
            raise _Arret
        if self._echeance_tete is not None:
            self._echeance_tete.cancel()
            self._echeance_tete = None
        self._en_tete = False
        self._corps = True
        self._dernier_octet = self.loop.time()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._corps = False
        if self._echeance_corps is not None:
            self._echeance_corps.cancel()
            self._echeance_corps = None
        self._en_tete = True
        self._octets_tete = 0
        self._commencee = False
        self._tete_comptee = False  # the rest of this read is not counted (see the module docstring)
        self._tete_numero += 1

    def _taille_analysee(self) -> int:
        """A head's size as parsed (method, target, fields), never more than its raw size."""
        methode = len(self.parser.get_method())
        return methode + len(self.url) + 12 + sum(len(n) + len(v) + 4 for n, v in self.headers) + 2

    # --- deadlines ----------------------------------------------------------------------------

    def _apres_lecture(self) -> None:
        """Deadlines are armed only when a read leaves a head or a body unfinished: the usual
        request, whose head and body come in one read, costs no timer."""
        if self._rejetee or self.transport.is_closing():
            return
        if self._en_tete:
            # Only once bytes of the next head arrived: between two requests the keep-alive
            # timeout is uvicorn's, and a head's delay starts with its own first byte.
            if self._echeance_tete is None and (self._octets_tete or self._commencee):
                self._echeance_tete = self.loop.call_later(self.limites.delai_entetes, self._tete_expiree)
        elif self._corps and self._echeance_corps is None:
            self._echeance_corps = self.loop.call_later(self.limites.delai_corps, self._corps_expire)

    def _tete_expiree(self) -> None:
        self._echeance_tete = None
        if self._rejetee or self.transport.is_closing() or not self._en_tete:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # The previous request is still being answered: its client is not the slow one.
            self._echeance_tete = self.loop.call_later(self.limites.delai_entetes, self._tete_expiree)
            return
        if self._commencee:
            self._refuser(L.delai_entetes_depasse(self.limites))
        else:
            self.transport.close()  # nothing of a request arrived: nothing to answer

    def _serveur_pret(self) -> None:
        if self._corps:
            self._dernier_octet = self.loop.time()

    def _corps_expire(self) -> None:
        self._echeance_corps = None
        if self._rejetee or self.transport.is_closing() or not self._corps:
            return
        maintenant = self.loop.time()
        if self.flow.read_paused or (self.cycle is not None and self.cycle.waiting_for_100_continue):
            self._dernier_octet = maintenant  # the server is the one not reading
        reste = self._dernier_octet + self.limites.delai_corps - maintenant
        if reste > 0:
            self._echeance_corps = self.loop.call_later(reste, self._corps_expire)
            return
        self._refuser(L.delai_corps_depasse(self.limites))

    def _annuler_echeances(self) -> None:
        for echeance in (self._echeance_tete, self._echeance_corps):
            if echeance is not None:
                echeance.cancel()
        self._echeance_tete = self._echeance_corps = None

    def _identifiant(self, cycle: Any) -> str:
        """A body refused mid-way keeps the id the application gave its request; a head keeps
        the ``X-Request-Id`` it proposed (nginx sets one) if it was read; else a new one."""
        if self._corps and cycle is not None:
            donne = cycle.scope.get("state", {}).get("requete_id")
            if donne:
                return str(donne)
        if not self._corps and self._commencee and self.headers:
            for nom, valeur in self.headers:
                if nom == b"x-request-id":
                    propose = valeur.decode("latin-1")
                    if REQUETE_ID_PROPOSE.match(propose):
                        return propose
                    break
        return L.nouvel_identifiant()

    # --- refusal ------------------------------------------------------------------------------

    def _refuser(self, refus: Refus) -> None:
        """Answer ``refus`` (if the response has not started), then end the connection."""
        if self._rejetee:
            return
        self._rejetee = True
        self._annuler_echeances()
        self._unset_keepalive_if_required()
        cycle = self.cycle
        requete_id = self._identifiant(cycle)
        if self.signaler is not None:
            self.signaler(refus.code)
        en_cours = cycle is not None and not cycle.response_complete
        if not self._corps and en_cours:
            # A head refused while earlier requests of this connection (pipelining) are still
            # being answered: their responses go first, this one after (on_response_complete).
            self._differe = (refus, requete_id)
            return
        ecrire = not self._corps or (cycle is not None and not cycle.response_started)
        if en_cours:
            # This request's application gets a disconnect; whatever it would still send is dropped.
            assert cycle is not None
            cycle.disconnected = True
            cycle.message_event.set()
        self._conclure(refus if ecrire else None, requete_id)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._differe is not None and not self.pipeline and (self.cycle is None or self.cycle.response_complete):
            refus, requete_id = self._differe
            self._differe = None
            self._unset_keepalive_if_required()
            self._conclure(refus, requete_id)

    def _conclure(self, refus: Refus | None, requete_id: str) -> None:
        """Write the refusal (if any), stop sending (FIN), drop what still comes, then close."""
        if self.transport.is_closing():
            return
        if refus is not None:
            self.transport.write(L.reponse_brute(refus, requete_id, self.server_state.default_headers))
            journal_technique.info("requete", requete=requete_id, methode=None, route=None,
                                   statut=refus.statut, code=refus.code)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()
        self._fermeture = self.loop.call_later(self.limites.attente_fermeture, self.transport.close)
