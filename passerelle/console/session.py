"""Console sessions: a signed cookie naming a server-side session row, and CSRF tokens.

The signing key is derived from the blind-index secret (HMAC with a label), so a deployment
needs no new secret and two deployments never accept each other's cookies. The cookie alone is
not enough: its session row must exist (logout and deactivation delete it) and be unexpired,
and the account must still be active. Rows are found by a keyed digest of the session id, so a
copy of the table opens no session. Every POST form carries a token bound to its session;
cookies are HttpOnly and SameSite=Strict besides.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from passerelle.auditeurs import comptes
from passerelle.auditeurs.comptes import Auditeur
from passerelle.stockage import sessions

COOKIE = "passerelle_console"
COOKIE_CONNEXION = "passerelle_console_connexion"
DUREE = timedelta(hours=2)
_LIBELLE = b"passerelle/console/session/v1"


def _b64(octets: bytes) -> str:
    return base64.urlsafe_b64encode(octets).decode("ascii").rstrip("=")


class Signeur:
    """Every MAC the console needs, each under its own label."""

    def __init__(self, cle_index_aveugle: bytes) -> None:
        self._cle = hmac.new(cle_index_aveugle, _LIBELLE, hashlib.sha256).digest()

    def _mac(self, etiquette: bytes, valeur: str) -> str:
        return _b64(hmac.new(self._cle, etiquette + b"\x00" + valeur.encode("ascii"), hashlib.sha256).digest())

    def cookie(self, sid: str) -> str:
        return f"{sid}.{self._mac(b'cookie', sid)}"

    def lire_cookie(self, valeur: str | None) -> str | None:
        """The session id, if the cookie is one we signed; None otherwise (never an exception)."""
        if not valeur or len(valeur) > 200:
            return None
        sid, _, mac = valeur.partition(".")
        try:
            attendu = self._mac(b"cookie", sid)
        except UnicodeEncodeError:
            return None
        return sid if sid and hmac.compare_digest(mac.encode("ascii", "replace"), attendu.encode("ascii")) else None

    def empreinte(self, sid: str) -> str:
        return hmac.new(self._cle, b"ligne\x00" + sid.encode("ascii"), hashlib.sha256).hexdigest()

    def jeton_csrf(self, sid: str) -> str:
        return self._mac(b"csrf", sid)

    def verifier_csrf(self, sid: str, jeton: str | None) -> bool:
        if not jeton:
            return False
        return hmac.compare_digest(jeton.encode("ascii", "replace"), self.jeton_csrf(sid).encode("ascii"))


@dataclass(frozen=True)
class Session:
    sid: str
    auditeur: Auditeur
    expire_le: datetime


def ouvrir_session(connexion: Connection, signeur: Signeur, auditeur: Auditeur, instant: datetime) -> Session:
    sid = secrets.token_urlsafe(32)
    expire = instant + DUREE
    sessions.inserer(connexion, signeur.empreinte(sid), auditeur.identifiant, instant, expire)
    # Expired rows of anyone are dropped here, so the table never grows without bound.
    sessions.supprimer_expirees(connexion, instant)
    return Session(sid, auditeur, expire)


def _aware(instant: datetime, reference: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=reference.tzinfo)


def lire_session(connexion: Connection, signeur: Signeur, cookie: str | None, instant: datetime) -> Session | None:
    sid = signeur.lire_cookie(cookie)
    if sid is None:
        return None
    ligne = sessions.lire(connexion, signeur.empreinte(sid))
    if ligne is None or _aware(ligne.expire_le, instant) <= instant:
        return None
    auditeur = comptes.lire(connexion, ligne.auditeur)
    if auditeur is None or not auditeur.actif:
        return None
    return Session(sid, auditeur, _aware(ligne.expire_le, instant))


def fermer_session(connexion: Connection, signeur: Signeur, sid: str) -> None:
    sessions.supprimer(connexion, signeur.empreinte(sid))
