"""``passerelle demo``: a compressed year of retirement signals, end to end, on one machine.

1. a working directory with a copy of the example configuration in which the Carsat
   Rhône-Alpes receives by HTTP push (the CAF de la Loire keeps its inbox: pull);
2. the gateway (``passerelle serve --developpement``, SQLite) and both simulated caisses
   (:mod:`connecteurs.simulateurs`) as separate processes sharing the accelerated clock of
   :mod:`passerelle.demo.horloge` (one simulated year in ``duree`` real seconds);
3. the year runs; then everything due is drained, the processes are stopped, the journal is
   sequenced, exported and verified offline, and a summary is printed
   (:mod:`passerelle.demo.resume`). The exit status is 0 only if every check held.
"""

from __future__ import annotations

import shutil
import socket
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from passerelle.demo.horloge import HorlogeAcceleree
from passerelle.demo.processus import (
    Enfants,
    ProcessusEnEchec,
    sigterm_comme_interruption,
)

MOIS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
MARGE_DEMARRAGE = 5.0  # real seconds between the launch and the first simulated day


@dataclass(frozen=True)
class OptionsDemo:
    allocataires: int = 400
    duree: float = 60.0  # real seconds for the simulated year
    # The development keys of config/ are valid from 2026-01-01 to 2028-01-01: the simulated year
    # is 2026, and what is still due at its end is drained during the first weeks of 2027.
    annee: int = 2026
    graine: int = 2026
    erreurs: int = 3
    config: Path = Path("config")
    dossier: Path | None = None  # kept when given; a temporary directory otherwise


def _port_libre() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def preparer_config(source: Path, cible: Path, url_carsat: str) -> None:
    """A copy of the example configuration; only the Carsat's connector changes (HTTP push)."""
    shutil.copytree(source, cible)
    chemin = cible / "annuaire" / "organismes.yaml"
    contenu = yaml.safe_load(chemin.read_text("utf-8"))
    for organisme in contenu["organismes"]:
        if organisme["code"] == "carsat-ra":
            organisme["connecteur"] = {"type": "http", "url": url_carsat, "timeout": 10}
    chemin.write_text(yaml.safe_dump(contenu, allow_unicode=True, sort_keys=False), "utf-8")


def lire_sqlite(chemin: Path, requete: str) -> list[tuple]:  # type: ignore[type-arg]
    """Read another process's SQLite base without taking its write lock."""
    if not chemin.exists():
        return []
    connexion = sqlite3.connect(f"file:{chemin}?mode=ro", uri=True, timeout=10)
    try:
        return connexion.execute(requete).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        connexion.close()


class Demonstration:
    def __init__(self, options: OptionsDemo, dossier: Path, ecrire: Callable[[str], None]) -> None:
        self.options = options
        self.dossier = dossier
        self.ecrire = ecrire  # progress lines (stderr)
        self.debut = datetime(options.annee, 1, 1, tzinfo=UTC)
        self.fin = datetime(options.annee + 1, 1, 1, tzinfo=UTC)
        facteur = (self.fin - self.debut).total_seconds() / options.duree
        self.horloge = HorlogeAcceleree(self.debut, facteur, time.time() + MARGE_DEMARRAGE)
        self.port_passerelle, self.port_carsat = _port_libre(), _port_libre()
        self.url = f"http://127.0.0.1:{self.port_passerelle}"
        self.url_carsat = f"http://127.0.0.1:{self.port_carsat}"
        self.config = dossier / "config"
        self.base = dossier / "passerelle.db"
        self.base_caf, self.base_carsat = dossier / "caf.db", dossier / "carsat.db"
        self.checkpoint_publie: str | None = None
        self.codes_arret: dict[str, int] = {}
        self.debut_reel = time.time()

    @property
    def url_base(self) -> str:
        return f"sqlite:///{self.base}"

    def lancer(self, enfants: Enfants) -> None:
        preparer_config(self.options.config, self.config, self.url_carsat)
        horloge = self.horloge.arguments()
        passerelle = enfants.lancer(
            "passerelle",
            ["-m", "passerelle.cli", "serve", "--developpement", "--port", str(self.port_passerelle),
             "--base", self.url_base, "--config", str(self.config)],
            env={**self.horloge.environnement(), "PASSERELLE_LIVRAISON_INTERVALLE": "0.05"},
        )
        enfants.attendre_pret(passerelle, f"{self.url}/sante")
        facteur = f"{self.horloge.facteur:,.0f}".replace(",", " ")
        self.ecrire(f"▸ passerelle prête sur {self.url} (SQLite {self.base.name}, horloge ×{facteur})")
        carsat = enfants.lancer(
            "carsat-ra",
            ["-m", "connecteurs.simulateurs.carsat", "--passerelle", self.url, "--port", str(self.port_carsat),
             "--base", str(self.base_carsat), "--config", str(self.config), "--fin", self.fin.isoformat(), *horloge],
        )
        enfants.attendre_pret(carsat, f"{self.url_carsat}/sante")
        self.ecrire(f"▸ Carsat Rhône-Alpes simulée (réception poussée) sur {self.url_carsat}")
        enfants.lancer(
            "caf-042",
            ["-m", "connecteurs.simulateurs.caf", "--passerelle", self.url, "--base", str(self.base_caf),
             "--config", str(self.config), "--allocataires", str(self.options.allocataires),
             "--graine", str(self.options.graine), "--erreurs", str(self.options.erreurs),
             "--annee-debut", self.debut.date().isoformat(), "--annee-fin", self.fin.date().isoformat(), *horloge],
        )
        self.ecrire(f"▸ CAF de la Loire simulée (relève de boîte), {self.options.allocataires} allocataires fictifs")

    def derouler(self, enfants: Enfants) -> None:
        """Let the year run, showing the months as they pass."""
        mois_affiche = -1
        self.ecrire_partiel(f"▸ année {self.options.annee} :")
        while self.horloge() < self.fin:
            enfants.verifier()
            mois = self.horloge().month - 1 if self.horloge() >= self.debut else -1
            while mois_affiche < mois:
                mois_affiche += 1
                self.ecrire_partiel(f" {MOIS[mois_affiche]}")
            time.sleep(0.05)
        while mois_affiche < 11:
            mois_affiche += 1
            self.ecrire_partiel(f" {MOIS[mois_affiche]}")
        self.ecrire("")

    def ecrire_partiel(self, texte: str) -> None:
        sys.stderr.write(texte)
        sys.stderr.flush()

    def _drainee(self) -> tuple[bool, str]:
        if not lire_sqlite(self.base_caf, "SELECT 1 FROM etat WHERE cle = 'termine'"):
            return False, "la CAF simulée n'a pas fini ses envois"
        try:
            etat = httpx.get(f"{self.url_carsat}/etat", timeout=5, trust_env=False).json()
        except (httpx.HTTPError, ValueError):
            return False, "la Carsat simulée ne répond pas"
        if etat["actions_dues_en_attente"]:
            return False, f"{etat['actions_dues_en_attente']} réponses de la Carsat en attente"
        en_cours = lire_sqlite(self.base, "SELECT count(*) FROM livraisons WHERE statut != 'livre'")
        if not en_cours or en_cours[0][0]:
            return False, "livraisons poussées en cours"
        non_acquittes = lire_sqlite(self.base, "SELECT count(*) FROM messages WHERE statut != 'acquitte'")
        if not non_acquittes or non_acquittes[0][0]:
            return False, f"{non_acquittes[0][0] if non_acquittes else '?'} messages pas encore acquittés"
        return True, ""

    def drainer(self, enfants: Enfants) -> None:
        """Wait until everything due in the year is sent, delivered and acknowledged."""
        limite = time.monotonic() + max(30.0, self.options.duree / 2)
        stable = 0
        raison = ""
        while time.monotonic() < limite:
            enfants.verifier()
            drainee, raison = self._drainee()
            stable = stable + 1 if drainee else 0
            if stable >= 3:
                return
            time.sleep(0.2)
        raise ProcessusEnEchec(f"l'année ne s'est pas terminée à temps: {raison}")

    def relever_checkpoint(self) -> None:
        """The checkpoint the gateway publishes (GET /v1/journal/checkpoint), kept as a witness."""
        from passerelle.annuaire.cles import lire_privee_pem
        from passerelle.client.signeur import SignatureRfc9421

        cle = lire_privee_pem((self.config / "developpement" / "cles" / "caf-042-dev-2026.pem").read_bytes())
        signature = SignatureRfc9421(cle, "caf-042-dev-2026", "demonstration", horloge=self.horloge.timestamp)
        with httpx.Client(base_url=self.url, timeout=10, trust_env=False) as http:
            reponse = http.get("/v1/journal/checkpoint", auth=signature)
        if reponse.status_code == 200:
            self.checkpoint_publie = reponse.text


def executer(options: OptionsDemo, ecrire: Callable[[str], None] | None = None) -> int:
    """Run the demonstration; print the summary on stdout; return the exit status."""
    from passerelle.demo.resume import Resume, verifier_journal

    ecrire = ecrire or (lambda texte: print(texte, file=sys.stderr, flush=True))
    if not (options.config / "annuaire" / "organismes.yaml").is_file():
        ecrire(f"configuration introuvable: {options.config} (lancez depuis la racine du dépôt, ou --config)")
        return 2
    temporaire = None
    if options.dossier is None:
        temporaire = tempfile.TemporaryDirectory(prefix="passerelle-demo-")
        dossier = Path(temporaire.name)
    else:
        dossier = options.dossier
        if dossier.exists() and any(dossier.iterdir()):
            ecrire(f"{dossier} existe et n'est pas vide")
            return 2
        dossier.mkdir(parents=True, exist_ok=True)
    retablir = sigterm_comme_interruption()
    demo = Demonstration(options, dossier, ecrire)
    try:
        with Enfants(dossier) as enfants:
            try:
                demo.lancer(enfants)
                demo.derouler(enfants)
                demo.drainer(enfants)
                demo.relever_checkpoint()
            except ProcessusEnEchec as exc:
                ecrire(f"ÉCHEC: {exc}")
                enfants.arreter_tout()
                return 1
            demo.codes_arret = enfants.arreter_tout()
        duree_reelle = time.time() - demo.debut_reel
        ecrire("▸ année terminée; processus arrêtés; vérification du journal…")
        journal = verifier_journal(demo)
        resume = Resume.calculer(demo, journal, duree_reelle)
        print(resume.texte(), flush=True)
        if options.dossier is not None:
            ecrire(f"bases, journaux et export du journal conservés dans {dossier}")
        return 0 if resume.ok else 1
    except KeyboardInterrupt:
        ecrire("\ninterrompu: processus arrêtés")
        return 130
    finally:
        retablir()
        if temporaire is not None:
            temporaire.cleanup()
