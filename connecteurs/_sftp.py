"""SFTP plumbing for the ``fichier`` connector: a pinned host, one key, atomic writes.

Fail closed: the server's host key must match the configured one — there is no "accept any
host key" mode, no lookup in ``~/.ssh/known_hosts``, no ``~/.ssh/config``, no agent, no
password: only what the directory entry says. A file appears under its final name only by a
rename of a fully written (and, when the server allows, fsynced) temporary sibling, so a
receiver polling the folder never reads half a batch.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncssh

from connecteurs._noms import nom_temporaire

__all__ = [
    "AccesSftp",
    "CleHoteAttendue",
    "connexion_sftp",
    "ecrire_atomiquement",
    "lire_cle_hote",
    "renommer",
    "supprimer_sans_erreur",
]


@dataclass(frozen=True)
class CleHoteAttendue:
    """Either a public key (known_hosts line or OpenSSH key) or a ``SHA256:`` fingerprint."""

    cle: asyncssh.SSHKey | None = None
    empreinte: str | None = None

    def accepte(self, presentee: asyncssh.SSHKey) -> bool:
        if self.cle is not None:
            return hmac.compare_digest(presentee.public_data, self.cle.public_data)
        assert self.empreinte is not None
        return hmac.compare_digest(presentee.get_fingerprint("sha256"), self.empreinte)


def lire_cle_hote(texte: str) -> CleHoteAttendue:
    """Parse ``empreinte_hote``; raises ``ValueError`` with a reason fit for the operator.

    Accepted: ``ssh-ed25519 AAAA… [commentaire]``, a known_hosts line ``hote ssh-ed25519
    AAAA…`` (the host patterns are not used: the key is pinned to this connector), or
    ``SHA256:…`` as ``ssh-keygen -lf`` prints it. Markers (``@cert-authority``,
    ``@revoked``) are refused: a CA would widen the trust beyond one server.
    """
    texte = (texte or "").strip()
    if not texte:
        raise ValueError("obligatoire : la clé publique de l'hôte SFTP (pas de confiance aveugle)")
    if "\n" in texte:
        raise ValueError("une seule clé est attendue (une ligne)")
    if texte.startswith("SHA256:"):
        if len(texte) != len("SHA256:") + 43:
            raise ValueError("empreinte SHA256: de 43 caractères base64 attendue (ssh-keygen -lf)")
        return CleHoteAttendue(empreinte=texte)
    if texte.startswith("@"):
        raise ValueError("les marqueurs @cert-authority / @revoked ne sont pas admis")
    morceaux = texte.split()
    for debut in (0, 1):  # an OpenSSH public key, or a known_hosts line (host patterns first)
        if len(morceaux) - debut < 2:
            break
        try:
            cle = asyncssh.import_public_key(" ".join(morceaux[debut : debut + 2]))
        except (asyncssh.KeyImportError, ValueError):
            continue
        return CleHoteAttendue(cle=cle)
    raise ValueError("clé publique illisible : « ssh-ed25519 AAAA… » ou ligne known_hosts attendue")


class _ClientEpingle(asyncssh.SSHClient):
    def __init__(self, attendue: CleHoteAttendue) -> None:
        self._attendue = attendue

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        return self._attendue.accepte(key)


@dataclass(frozen=True)
class AccesSftp:
    hote: str
    port: int
    utilisateur: str
    cle_client: asyncssh.SSHKey
    cle_hote: CleHoteAttendue
    delai: float


@asynccontextmanager
async def connexion_sftp(acces: AccesSftp) -> AsyncIterator[asyncssh.SFTPClient]:
    """One SSH connection and SFTP session, closed on exit."""
    # The pinned key is also passed as known_hosts so that asyncssh negotiates its algorithm;
    # a fingerprint gives no key, hence the empty lists (never the user's known_hosts).
    connues: tuple[list[asyncssh.SSHKey], list[asyncssh.SSHKey], list[asyncssh.SSHKey]] = (
        [acces.cle_hote.cle] if acces.cle_hote.cle is not None else [],
        [],
        [],
    )
    async with asyncssh.connect(
        acces.hote,
        acces.port,
        username=acces.utilisateur,
        client_keys=[acces.cle_client],
        known_hosts=connues,
        client_factory=lambda: _ClientEpingle(acces.cle_hote),
        config=[],
        agent_path=None,
        x509_trusted_certs=None,
        preferred_auth=["publickey"],
        connect_timeout=acces.delai,
        login_timeout=acces.delai,
        keepalive_interval=0,
    ) as connexion:
        async with connexion.start_sftp_client() as sftp:
            yield sftp


async def renommer(sftp: asyncssh.SFTPClient, source: str, cible: str) -> None:
    """POSIX rename when the server offers it (atomic replace), the SFTP rename otherwise."""
    try:
        await sftp.posix_rename(source, cible)
    except asyncssh.SFTPOpUnsupported:
        await sftp.rename(source, cible)


async def supprimer_sans_erreur(sftp: asyncssh.SFTPClient, chemin: str) -> None:
    """Best-effort clean-up after a failure; the original error is the one worth reporting."""
    try:
        await sftp.remove(chemin)
    except (asyncssh.Error, OSError):
        pass


async def ecrire_atomiquement(sftp: asyncssh.SFTPClient, chemin: str, contenu: bytes) -> None:
    """Write ``contenu`` to a hidden temporary sibling, fsync, then rename it to ``chemin``."""
    temporaire = nom_temporaire(chemin)
    try:
        async with sftp.open(temporaire, "xb") as fichier:
            await fichier.write(contenu)
            try:
                await fichier.fsync()
            except asyncssh.SFTPOpUnsupported:
                pass  # the rename still guarantees a reader never sees a partial file
        await renommer(sftp, temporaire, chemin)
    except Exception:
        await supprimer_sans_erreur(sftp, temporaire)
        raise
