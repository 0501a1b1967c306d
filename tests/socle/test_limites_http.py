"""What one unauthenticated connection may cost a REAL gateway process (`passerelle serve`):
header size and count (431), request target (414), slow heads and stalled bodies (408), each a
problem document, then the connection closed — and the honest requests next to them unaffected.

The hostile clients are raw sockets (tests/socle/client_brut.py). Limits are the defaults; the
two timeouts are shortened to 2 s for the run (PASSERELLE_DELAI_ENTETES, PASSERELLE_DELAI_CORPS).
"""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passerelle.annuaire.gestion import ajouter_cle
from passerelle.signature.signature import signer_requete
from tests.catalogue.exemples import exemple_rdc
from tests.crash.outillage import Base, PasserelleProcessus, port_libre
from tests.socle.client_brut import Reponses, connecter, echanger, lire_reponse, requete

RACINE = Path(__file__).resolve().parents[2]
DELAI = 2.0  # PASSERELLE_DELAI_ENTETES and PASSERELLE_DELAI_CORPS of the process under test
TAILLE_MAX_ENTETES = 16_384  # the defaults (passerelle/reglages.py)
ENTETES_MAX = 100
TAILLE_MAX_URL = 8192
KEYID = "caf-042-essai-limites"


@dataclass
class Serveur:
    processus: PasserelleProcessus
    base: Base
    cle: Ed25519PrivateKey

    @property
    def port(self) -> int:
        return self.processus.port

    def sante(self) -> int:
        return httpx.get(f"{self.processus.url}/sante", timeout=10).status_code

    def entrees_journal(self) -> int:
        return int(self.base.valeur("select count(*) from journal"))


@pytest.fixture(scope="module")
def serveur(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serveur]:
    dossier = tmp_path_factory.mktemp("limites-http")
    config = dossier / "config"
    shutil.copytree(RACINE / "config", config)
    # A key valid around the real clock of the process, whatever the day the suite runs.
    cle = Ed25519PrivateKey.generate()
    maintenant = datetime.now(timezone.utc)
    ajouter_cle(config, organisme="caf-042", keyid=KEYID, publique=cle.public_key(),
                valide_du=maintenant - timedelta(days=1), valide_au=maintenant + timedelta(days=30))
    url_base = f"sqlite:///{dossier / 'passerelle.db'}"
    processus = PasserelleProcessus(url_base, config, dossier, env={
        "PASSERELLE_DELAI_ENTETES": str(DELAI), "PASSERELLE_DELAI_CORPS": str(DELAI),
    })
    processus.demarrer()
    base = Base(url_base)
    try:
        yield Serveur(processus, base, cle)
    finally:
        base.fermer()
        processus.arreter()


def _tete(cible: str = "/sante", *entetes: tuple[str, str]) -> bytes:
    return requete("GET", cible, [("Host", "127.0.0.1"), *entetes, ("Connection", "close")])


def _tete_de_taille(taille: int) -> bytes:
    """A GET /sante whose request line, header fields and final CRLF are exactly ``taille`` bytes."""
    vide = _tete("/sante", ("X-Rembourrage", ""))
    tete = _tete("/sante", ("X-Rembourrage", "a" * (taille - len(vide))))
    assert len(tete) == taille
    return tete


def _verifier_probleme(reponse, statut: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert reponse.statut == statut, (reponse.statut, reponse.corps[:300])
    assert reponse.fermee and reponse.entetes.get("connection") == "close"
    probleme = reponse.probleme()
    assert probleme["type"] == f"urn:passerelle:probleme:{code}" and probleme["code"] == code
    assert probleme["status"] == statut and probleme["title"] and probleme["detail"]
    assert probleme["requete"] == reponse.entetes["x-request-id"]
    return probleme


# --- sizes ------------------------------------------------------------------------------------


def test_entete_de_32_mio_refuse_avant_d_etre_lu(serveur: Serveur) -> None:
    """The answer comes after the first KiB of a 32 MiB header, not after its end; meanwhile
    and afterwards the server serves others."""
    debut = b"GET /sante HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Enorme: "
    with connecter(serveur.port) as prise:
        prise.sendall(debut + b"a" * (1 << 20))  # 1 MiB of a header that would go on for 32 MiB
        assert serveur.sante() == 200  # another client, while this one is still "sending"
        reponse = lire_reponse(prise, time.monotonic())  # before the header ends: it never does
    _verifier_probleme(reponse, 431, "entetes_trop_volumineux")
    assert serveur.sante() == 200


def test_entete_de_32_mio_envoye_en_entier_puis_lu(serveur: Serveur) -> None:
    """A client that writes its whole request before reading (curl does) gets the answer, not
    a connection reset: the server drains what follows its answer before closing."""
    enorme = b"GET /sante HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Enorme: " + b"a" * (32 << 20) + b"\r\n\r\n"
    reponse = echanger(serveur.port, enorme)
    _verifier_probleme(reponse, 431, "entetes_trop_volumineux")
    assert serveur.sante() == 200


def test_entete_juste_a_la_limite_accepte_un_octet_de_plus_refuse(serveur: Serveur) -> None:
    accepte = echanger(serveur.port, _tete_de_taille(TAILLE_MAX_ENTETES))
    assert accepte.statut == 200 and json.loads(accepte.corps)["statut"] == "ok"
    _verifier_probleme(echanger(serveur.port, _tete_de_taille(TAILLE_MAX_ENTETES + 1)), 431, "entetes_trop_volumineux")


def test_entete_juste_sous_la_limite_arrivant_par_petits_morceaux(serveur: Serveur) -> None:
    tete = _tete_de_taille(TAILLE_MAX_ENTETES - 1)
    morceaux = [tete[i:i + 4000] for i in range(0, len(tete), 4000)]
    assert echanger(serveur.port, *morceaux, pause=0.05).statut == 200


def test_requetes_en_file_la_reponse_d_avant_puis_le_refus(serveur: Serveur) -> None:
    """Pipelining: a too-large head sent right behind an honest request, in one write. The
    honest request is answered, then the refusal, then the connection closes."""
    honnete = requete("GET", "/sante", [("Host", "127.0.0.1")])
    enorme = requete("GET", "/sante", [("Host", "127.0.0.1"), ("X-Enorme", "a" * (4 * TAILLE_MAX_ENTETES))])
    with connecter(serveur.port) as prise:
        prise.sendall(honnete + enorme)
        reponses = Reponses(prise)
        premiere = reponses.suivante()
        assert premiere.statut == 200 and json.loads(premiere.corps)["statut"] == "ok"
        seconde = reponses.suivante()
        assert seconde.statut == 431 and json.loads(seconde.corps)["code"] == "entetes_trop_volumineux"
        assert reponses.tampon == b"" and prise.recv(1) == b""  # then closed


def test_101_champs_d_en_tete_refuses_100_acceptes(serveur: Serveur) -> None:
    def avec(n: int) -> bytes:  # Host, X-Request-Id and Connection, plus n - 3 others
        return _tete("/sante", ("X-Request-Id", "essai-champs-0001"), *((f"X-Champ-{i}", "a") for i in range(n - 3)))

    assert echanger(serveur.port, avec(ENTETES_MAX)).statut == 200
    probleme = _verifier_probleme(echanger(serveur.port, avec(ENTETES_MAX + 1)), 431, "entetes_trop_nombreux")
    assert str(ENTETES_MAX) in probleme["detail"]
    assert probleme["requete"] == "essai-champs-0001"  # the id the caller (or nginx) proposed


def test_cible_trop_longue_414(serveur: Serveur) -> None:
    cible = "/sante?x="
    assert echanger(serveur.port, _tete(cible + "a" * (TAILLE_MAX_URL - len(cible)))).statut == 200
    _verifier_probleme(echanger(serveur.port, _tete(cible + "a" * (TAILLE_MAX_URL + 1 - len(cible)))), 414, "uri_trop_longue")
    # Longer than the whole head budget: still the target that is named.
    _verifier_probleme(echanger(serveur.port, _tete("/" + "a" * (4 * TAILLE_MAX_ENTETES))), 414, "uri_trop_longue")


def test_requete_illisible_400_en_probleme(serveur: Serveur) -> None:
    _verifier_probleme(echanger(serveur.port, b"CECI N'EST PAS HTTP\r\n\r\n"), 400, "requete_malformee")
    entetes = [("Host", "127.0.0.1"), ("Content-Length", "douze")]
    _verifier_probleme(echanger(serveur.port, requete("POST", "/v1/flux/rdc", entetes, b"{}")), 400, "requete_malformee")


# --- slow senders -----------------------------------------------------------------------------


def test_en_tete_octet_par_octet_408(serveur: Serveur) -> None:
    """Slowloris: a byte every 0.25 s, well inside any idle timeout, and the head never ends."""
    with connecter(serveur.port) as prise:
        debut = time.monotonic()
        prise.sendall(b"GET /sante HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while time.monotonic() < debut + 20 * DELAI:
            if select.select([prise], [], [], 0.25)[0]:
                break  # the server answered (or closed)
            try:
                prise.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                break
        reponse = lire_reponse(prise, debut)
    _verifier_probleme(reponse, 408, "delai_entetes_depasse")
    assert DELAI - 0.1 <= reponse.duree < 10 * DELAI  # the loop's timers have a millisecond grain
    assert serveur.sante() == 200


def test_delai_d_un_en_tete_compte_depuis_son_premier_octet(serveur: Serveur) -> None:
    """On a kept-alive connection, the next head has its whole delay from its own first byte,
    not from the end of the previous request (the pause between them is keep-alive's)."""
    tete = requete("GET", "/sante", [("Host", "127.0.0.1")])
    with connecter(serveur.port) as prise:
        reponses = Reponses(prise)
        prise.sendall(tete)
        assert reponses.suivante().statut == 200
        time.sleep(0.75 * DELAI)  # idle, under uvicorn's keep-alive timeout (5 s)
        prise.sendall(tete[:20])
        time.sleep(0.5 * DELAI)  # the head takes half its delay
        prise.sendall(tete[20:])
        assert reponses.suivante().statut == 200


def test_connexion_muette_fermee_sans_reponse(serveur: Serveur) -> None:
    with connecter(serveur.port) as prise:
        reponse = lire_reponse(prise, time.monotonic())
    assert reponse.statut is None and reponse.fermee
    assert DELAI - 0.1 <= reponse.duree < 10 * DELAI  # the loop's timers have a millisecond grain


def test_corps_interrompu_408_et_rien_d_enregistre(serveur: Serveur) -> None:
    avant = serveur.entrees_journal()
    entetes = [("Host", "127.0.0.1"), ("Content-Type", "application/json"), ("Content-Length", "1000")]
    reponse = echanger(serveur.port, requete("POST", "/v1/flux/rdc", entetes, b'{"nir_assure": "1'))
    _verifier_probleme(reponse, 408, "delai_corps_depasse")
    assert DELAI - 0.1 <= reponse.duree < 10 * DELAI  # the loop's timers have a millisecond grain
    assert serveur.entrees_journal() == avant
    assert "erreur_interne" not in serveur.processus.journal()


def test_corps_lent_mais_regulier_accepte(serveur: Serveur) -> None:
    """A signed message whose body trickles in for more than twice the idle timeout, never
    pausing as long as it: received (202), as a batch sent at a steady pace would be."""
    corps = json.dumps(exemple_rdc(aujourd_hui=date.today())).encode()
    entetes = {"Content-Type": "application/json", "Passerelle-Agent": "essai.limites"}
    entetes.update(signer_requete(methode="POST", chemin="/v1/flux/rdc", requete="", entetes=entetes, corps=corps,
                                  cle=serveur.cle, keyid=KEYID, maintenant=int(time.time()),
                                  nonce=secrets.token_urlsafe(16)))
    lignes = [("Host", "127.0.0.1"), *entetes.items(), ("Content-Length", str(len(corps))), ("Connection", "close")]
    pas = max(1, len(corps) // 12)
    morceaux = [requete("POST", "/v1/flux/rdc", lignes)] + [corps[i:i + pas] for i in range(0, len(corps), pas)]
    reponse = echanger(serveur.port, *morceaux, pause=DELAI / 5)
    assert reponse.duree > 2 * DELAI  # the body really took longer than the timeout
    assert reponse.statut == 202, reponse.corps[:500]
    assert json.loads(reponse.corps)["statut"] == "recu"


# --- operations ---------------------------------------------------------------------------------


def _compteur(serveur: Serveur, code: str) -> float:
    texte = httpx.get(f"{serveur.processus.url}/metrics", timeout=10).text
    for ligne in texte.splitlines():
        if ligne.startswith(f'passerelle_refus_serveur_total{{code="{code}"}}'):
            return float(ligne.split()[-1])
    return 0.0


def test_refus_comptes_dans_les_metriques_et_le_journal_technique(serveur: Serveur) -> None:
    avant = _compteur(serveur, "uri_trop_longue")
    reponse = echanger(serveur.port, _tete("/" + "a" * TAILLE_MAX_URL))
    _verifier_probleme(reponse, 414, "uri_trop_longue")
    assert _compteur(serveur, "uri_trop_longue") == avant + 1
    lignes = [json.loads(ligne) for ligne in serveur.processus.journal().splitlines() if ligne.startswith("{")]
    assert {"requete": reponse.entetes["x-request-id"], "statut": 414, "code": "uri_trop_longue"}.items() <= next(
        ligne for ligne in lignes if ligne.get("requete") == reponse.entetes["x-request-id"]).items()


def test_reglage_invalide_refuse_au_demarrage(tmp_path: Path) -> None:
    resultat = subprocess.run(
        [sys.executable, "-m", "passerelle.cli", "serve", "--developpement", "--port", str(port_libre()),
         "--base", f"sqlite:///{tmp_path / 'p.db'}"],
        capture_output=True, text=True, timeout=60, cwd=RACINE, env={**os.environ, "PASSERELLE_TAILLE_MAX_URL": "20000"},
    )
    assert resultat.returncode == 5  # configuration ou réglage invalide (docs/ligne-de-commande.md)
    assert "réglage invalide" in resultat.stderr and "taille_max_url" in resultat.stderr
