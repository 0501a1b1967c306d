"""The listening socket of ``passerelle serve``, bound before anything is announced.

uvicorn binds its own socket after start-up and, when the port is taken, logs an English
``address already in use`` after we would already have printed "en écoute". Binding here first
and handing the socket to uvicorn means a busy port is a French sentence and exit code 7, and
"en écoute" is printed only once it is true — with no window for another process to take the
port between the check and the bind.
"""

from __future__ import annotations

import errno
import socket

from passerelle.ligne_de_commande.sorties import Echec, Sortie


def ouvrir_ecoute(hote: str, port: int) -> socket.socket:
    """A bound, inheritable TCP socket on ``hote:port`` (IPv4 or IPv6), or an :class:`Echec`."""
    if not 0 <= port <= 65535:
        raise Echec(f"port invalide: {port} (de 1 à 65535)", Sortie.USAGE)
    try:
        adresses = socket.getaddrinfo(hote, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise Echec(f"adresse d'écoute inconnue: {hote!r} ({exc.strerror}); donnez une adresse IP "
                    "ou un nom de cette machine (--hote, PASSERELLE_HOTE)", Sortie.ADRESSE_OCCUPEE) from exc
    famille, type_, proto, _, adresse = adresses[0]
    prise = socket.socket(famille, type_, proto)
    try:
        prise.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        prise.bind(adresse)
    except OSError as exc:
        prise.close()
        if exc.errno == errno.EADDRINUSE:
            raise Echec(f"le port {port} est déjà occupé sur {hote} (une autre passerelle tourne-t-elle ?): "
                        "arrêtez-la, ou choisissez un autre port avec --port", Sortie.ADRESSE_OCCUPEE) from exc
        if exc.errno == errno.EACCES:
            raise Echec(f"écoute sur le port {port} refusée par le système (ports < 1024 réservés): "
                        "choisissez --port 8000, ou un port ≥ 1024", Sortie.ADRESSE_OCCUPEE) from exc
        raise Echec(f"impossible d'écouter sur {hote}:{port}: {exc.strerror}; vérifiez --hote "
                    "(une adresse de cette machine)", Sortie.ADRESSE_OCCUPEE) from exc
    prise.set_inheritable(True)
    return prise
