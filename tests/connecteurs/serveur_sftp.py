"""A real SFTP server in-process (asyncssh), chrooted to a temporary folder, that records
what the client did so the tests can check atomicity from the server's side."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import asyncssh


@dataclass
class ServeurSftp:
    racine: Path
    port: int
    cle_hote: asyncssh.SSHKey
    chemin_cle_client: Path
    evenements: list[tuple[str, ...]] = field(default_factory=list)
    refuser_ouverture: tuple[bytes, ...] = ()  # fragments of paths the server refuses to open
    acceptor: asyncssh.SSHAcceptor | None = None

    def parametres(self, **autres: object) -> dict[str, object]:
        return {
            "hote": "127.0.0.1",
            "port": self.port,
            "utilisateur": "passerelle",
            "cle_privee": str(self.chemin_cle_client),
            "empreinte_hote": self.cle_hote.export_public_key().decode().strip(),
            "dossier_depot": "depot",
            "dossier_accuses": "accuses",
            "timeout": 10,
            **autres,
        }

    async def fermer(self) -> None:
        if self.acceptor is not None:
            self.acceptor.close()
            await self.acceptor.wait_closed()


async def demarrer_serveur_sftp(dossier: Path) -> ServeurSftp:
    racine = dossier / "sftp"
    racine.mkdir()
    cle_hote = asyncssh.generate_private_key("ssh-ed25519")
    cle_client = asyncssh.generate_private_key("ssh-ed25519")
    chemin_cle_client = dossier / "id_passerelle"
    chemin_cle_client.write_bytes(cle_client.export_private_key())
    serveur = ServeurSftp(racine=racine, port=0, cle_hote=cle_hote, chemin_cle_client=chemin_cle_client)

    class Sftp(asyncssh.SFTPServer):
        def __init__(self, canal: asyncssh.SSHServerChannel) -> None:
            super().__init__(canal, chroot=str(racine).encode())

        def open(self, path, pflags, attrs):
            serveur.evenements.append(("open", path.decode(), str(pflags)))
            if any(fragment in path for fragment in serveur.refuser_ouverture):
                raise asyncssh.SFTPPermissionDenied("refusé par le test")
            return super().open(path, pflags, attrs)

        def rename(self, oldpath, newpath):
            serveur.evenements.append(("rename", oldpath.decode(), newpath.decode()))
            return super().rename(oldpath, newpath)

        def posix_rename(self, oldpath, newpath):
            serveur.evenements.append(("posix_rename", oldpath.decode(), newpath.decode()))
            return super().posix_rename(oldpath, newpath)

    serveur.acceptor = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[cle_hote],
        authorized_client_keys=asyncssh.import_authorized_keys(cle_client.export_public_key().decode()),
        sftp_factory=Sftp,
        allow_scp=False,
        config=[],
    )
    serveur.port = serveur.acceptor.get_port()
    return serveur
