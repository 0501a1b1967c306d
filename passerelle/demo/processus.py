"""The demonstration's child processes: started in their own session, always stopped.

Children do not share the terminal's process group, so Ctrl-C reaches only the demonstration,
which then stops them in order (SIGTERM, then SIGKILL after a delay) — no orphan left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx


class ProcessusEnEchec(RuntimeError):
    """A child process stopped by itself, or never became ready."""


@dataclass
class Processus:
    nom: str
    popen: subprocess.Popen[bytes]
    journal: Path
    code_arret: int | None = None

    def fin_du_journal(self, lignes: int = 15) -> str:
        try:
            return "\n".join(self.journal.read_text("utf-8", "replace").splitlines()[-lignes:])
        except OSError:
            return ""


@dataclass
class Enfants:
    """Owns every child; use as a context manager."""

    dossier: Path
    enfants: list[Processus] = field(default_factory=list)

    def lancer(self, nom: str, arguments: list[str], env: dict[str, str] | None = None) -> Processus:
        journal = self.dossier / f"{nom}.log"
        with journal.open("wb") as sortie:
            popen = subprocess.Popen(
                [sys.executable, *arguments], stdout=sortie, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.dossier, env={**os.environ, **(env or {})}, start_new_session=True,
            )
        enfant = Processus(nom, popen, journal)
        self.enfants.append(enfant)
        return enfant

    def verifier(self) -> None:
        for enfant in self.enfants:
            code = enfant.popen.poll()
            if code is not None and enfant.code_arret is None:
                raise ProcessusEnEchec(f"{enfant.nom} s'est arrêté (code {code}):\n{enfant.fin_du_journal()}")

    def attendre_pret(self, enfant: Processus, url: str, delai: float = 60.0) -> None:
        limite = time.monotonic() + delai
        while time.monotonic() < limite:
            self.verifier()
            try:
                if httpx.get(url, timeout=1, trust_env=False).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise ProcessusEnEchec(f"{enfant.nom} n'a pas répondu sur {url} en {delai:.0f} s:\n{enfant.fin_du_journal()}")

    def arreter(self, enfant: Processus, delai: float = 15.0) -> int:
        if enfant.code_arret is not None:
            return enfant.code_arret
        if enfant.popen.poll() is None:
            enfant.popen.send_signal(signal.SIGTERM)
            try:
                enfant.popen.wait(delai)
            except subprocess.TimeoutExpired:
                enfant.popen.kill()
                enfant.popen.wait()
        code = enfant.popen.returncode
        enfant.code_arret = code
        return code

    def arreter_tout(self) -> dict[str, int]:
        """Stop every child, last started first; a second Ctrl-C meanwhile does not cut it short."""
        principal = threading.current_thread() is threading.main_thread()
        anciens = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)} if principal else {}
        try:
            return {enfant.nom: self.arreter(enfant) for enfant in reversed(self.enfants)}
        finally:
            for s, ancien in anciens.items():
                signal.signal(s, ancien)

    def __enter__(self) -> Enfants:
        return self

    def __exit__(self, *exc: object) -> None:
        self.arreter_tout()


def sigterm_comme_interruption() -> Callable[[], None]:
    """SIGTERM and SIGINT (Ctrl-C, even if inherited as ignored) stop the demonstration the same
    way: a ``KeyboardInterrupt`` whose ``finally`` stops the children."""

    def interrompre(_signal: int, _cadre: FrameType | None) -> None:
        raise KeyboardInterrupt

    anciens = {s: signal.signal(s, interrompre) for s in (signal.SIGTERM, signal.SIGINT)}

    def retablir() -> None:
        for s, ancien in anciens.items():
            signal.signal(s, ancien)

    return retablir
