"""The simulated Carsat Rhône-Alpes: receives pushes from the gateway, answers through it.

Run it as a caisse would run its own system::

    python -m connecteurs.simulateurs.carsat --passerelle http://127.0.0.1:8000 --port 8100 \
        --base carsat.db [--debut 2026-01-01T00:00:00Z --facteur 525600 --origine 1795000000.0]

and point the gateway at it (``config/annuaire/organismes.yaml``)::

    connecteur: {type: http, url: "http://127.0.0.1:8100"}

**Receiving** follows the receiver contract of ``docs/connecteurs.md`` § 4: ``POST
/messages/{id}``, the gateway's RFC 9421 signature checked against its published JWKS with
:func:`passerelle.signature.verification.verifier_requete` (window 300 real seconds, see
:mod:`passerelle.demo.horloge`), nonces remembered, and **dedupe on the message id** in a SQLite
file of its own, so a message delivered twice — after a timeout, a restart of either side — is
processed once; the first answer is ``201`` with an ``accuse``, a repeat ``200`` with the same.

**Answering** goes through the gateway with the Carsat's own development key, by a worker that
executes planned actions when the (simulated) day comes, each with an Idempotency-Key so a
retry after a cut never answers twice:

* every pushed message is acknowledged (``POST /v1/boite/{id}/acquittement``) once stored;
* ``rdc`` → ``cloture-rdc`` 20 to 75 days later (the person answered in 80 % of cases);
* ``passage-retraite`` → ``avis-depot`` 10 to 40 days later (application filed in 90 % of
  cases), then, when filed, ``notification-retraite`` 45 to 110 days after that (attribution
  85 %, otherwise a rejection with its motive).

Actions due after ``--fin`` are left pending: at the end of the simulated year some files are
still being processed, as in real life. **Consultations** (``POST /consultations/{type}``,
signed by the gateway like a push) are answered at once from fictional data, deterministic
per NIR (:mod:`connecteurs.simulateurs.consultations`). ``GET /etat`` gives the counters (unauthenticated,
counts only).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connecteurs.simulateurs import consultations as consultations_simulees
from connecteurs.simulateurs.commun import (
    Arret,
    Magasin,
    ajouter_arguments_communs,
    client_organisme,
    horloge_depuis,
)
from passerelle.catalogue.age_legal import TableAgeLegal, charger_table_age_legal
from passerelle.client import ClientPasserelle, RecuInvalide
from passerelle.client.client import cles_jwks
from passerelle.demo.horloge import HorlogeAcceleree
from passerelle.erreurs import Refus, RefusAuthentification
from passerelle.signature.base import MessageHttp
from passerelle.signature.verification import verifier_requete

ORGANISME = "carsat-ra"
FENETRE_REELLE = 300  # seconds, as the gateway's default window
DERIVE_REELLE = 5
JOUR = 86400.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS recus (
    id TEXT PRIMARY KEY, flux TEXT NOT NULL, emetteur TEXT NOT NULL, recu_sim REAL NOT NULL,
    contenu TEXT NOT NULL, accuse TEXT NOT NULL, livraisons INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS nonces (keyid TEXT NOT NULL, nonce TEXT NOT NULL, PRIMARY KEY (keyid, nonce));
CREATE TABLE IF NOT EXISTS actions (
    num INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, message_id TEXT NOT NULL, echeance REAL NOT NULL,
    donnees TEXT, etat TEXT NOT NULL DEFAULT 'a_faire', tentatives INTEGER NOT NULL DEFAULT 0, resultat TEXT,
    fait_sim REAL, UNIQUE (type, message_id));
CREATE TABLE IF NOT EXISTS refus (num INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL, instant REAL NOT NULL)
"""

MOTIFS_REJET = (
    "durée d'assurance insuffisante pour la retraite anticipée demandée",
    "pièces justificatives non fournies dans le délai",
    "demande déposée auprès d'un régime non compétent",
)
ACQUITTER = "acquitter"
REPONSES = ("cloture-rdc", "avis-depot", "notification-retraite")


def _jour(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def _montant(hasard: random.Random, bas: int, haut: int) -> str:
    return str(Decimal(hasard.randint(bas * 100, haut * 100)) / 100)


def _premier_du_mois_suivant(jour: date) -> date:
    if jour.day == 1:
        return jour
    return (jour.replace(day=28) + timedelta(days=4)).replace(day=1)


def planifier(message: dict[str, Any], maintenant: float, table: TableAgeLegal) -> list[tuple[str, float, dict[str, Any] | None]]:
    """What the Carsat will do about a message it has just stored: (type, due instant, payload).

    Deterministic per message id, so a restart plans the same thing.
    """
    hasard = random.Random(hashlib.sha256(message["id"].encode()).digest())
    contenu = message.get("contenu") or {}
    actions: list[tuple[str, float, dict[str, Any] | None]] = [(ACQUITTER, maintenant, None)]
    naissance = date.fromisoformat(contenu["date_naissance"]) if contenu.get("date_naissance") else None
    commun = {"destinataire": message["emetteur"], "en_reponse_a": message["id"], "nir_assure": contenu.get("nir_assure")}
    if message["flux"] == "rdc":
        quand = maintenant + hasard.uniform(20, 75) * JOUR
        repondu = hasard.random() < 0.8
        cloture: dict[str, Any] = {
            **commun, "reference": f"ra-rdc-{message['id'][:8]}", "code_carsat": "RA",
            "statut_rdc": "repondu" if repondu else "non_repondu",
            "regimes_affiliation": ["Régime général"] + (["MSA salariés"] if hasard.random() < 0.2 else []),
        }
        if naissance is not None:
            taux_plein = table.date_age_legal(naissance) if repondu else table.date_taux_plein_automatique(naissance)
            cloture["date_taux_plein"] = taux_plein.isoformat()
        actions.append(("cloture-rdc", quand, cloture))
    elif message["flux"] == "passage-retraite":
        quand_avis = maintenant + hasard.uniform(10, 40) * JOUR
        recue = hasard.random() < 0.9
        avis: dict[str, Any] = {
            **commun, "reference": f"ra-dem-{message['id'][:8]}", "type_demande": "droit_propre",
            "reception_demande": recue, "mode_liquidation": "liquidation unique des régimes alignés",
            "transfert_regime": ["MSA salariés"] if hasard.random() < 0.1 else [],
        }
        if recue:
            depot = max(_jour(maintenant), _jour(quand_avis) - timedelta(days=hasard.randint(0, 7)))
            avis["date_reception_demande"] = depot.isoformat()
        actions.append(("avis-depot", quand_avis, avis))
        if recue:
            quand = quand_avis + hasard.uniform(45, 110) * JOUR
            effet = _premier_du_mois_suivant(table.date_age_legal(naissance)) if naissance else _jour(quand) + timedelta(days=120)
            notification: dict[str, Any] = {
                **commun, "reference": f"ra-dem-{message['id'][:8]}", "type_demande": "droit_propre",
                "date_effet": effet.isoformat(),
            }
            if hasard.random() < 0.85:
                montant = _montant(hasard, 650, 1500)
                notification.update(statut_demande="attribution", montant=montant, type_montant="mensuel_brut",
                                    montant_total=str(Decimal(montant) + Decimal(_montant(hasard, 0, 300))))
            else:
                notification.update(statut_demande="rejet", motif_rejet=hasard.choice(MOTIFS_REJET))
            actions.append(("notification-retraite", quand, notification))
    return actions


class CleGateway:
    """The gateway's public keys, from its JWKS, fetched again (at most every 10 s) for an unknown keyid."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http  # base_url: the gateway
        self._cles: dict[str, Ed25519PublicKey] = {}
        self._dernier = 0.0
        self._verrou = threading.Lock()

    def charger(self) -> None:
        reponse = self._http.get("/.well-known/jwks.json")
        reponse.raise_for_status()
        self._cles = cles_jwks(reponse.json())
        self._dernier = time.monotonic()

    def __call__(self, keyid: str) -> Ed25519PublicKey:
        with self._verrou:
            if keyid not in self._cles and time.monotonic() - self._dernier > 10:
                try:
                    self.charger()
                except httpx.HTTPError:
                    pass
            cle = self._cles.get(keyid)
        if cle is None:
            raise RefusAuthentification("cle_inconnue", f"la clé {keyid!r} n'est pas publiée par la passerelle")
        return cle


class CarsatSimulee:
    def __init__(self, magasin: Magasin, horloge: HorlogeAcceleree, table: TableAgeLegal, cles: CleGateway,
                 client: ClientPasserelle, fin: float | None, arret: Arret) -> None:
        self.magasin = magasin
        self.horloge = horloge
        self.table = table
        self.cles = cles
        self.client = client
        self.fin = fin
        self.arret = arret

    # --- receiving (push) ---------------------------------------------------------------------

    def _verifier(self, message: MessageHttp, corps: bytes) -> None:
        facteur = self.horloge.facteur
        verifie = verifier_requete(message, corps, self.cles, int(self.horloge.timestamp()),
                                   fenetre=math.ceil(FENETRE_REELLE * facteur), derive=math.ceil(DERIVE_REELLE * facteur))
        with self.magasin.transaction() as c:
            neuf = c.execute("INSERT OR IGNORE INTO nonces VALUES (?, ?)", (verifie.keyid, verifie.nonce)).rowcount
        if not neuf:
            raise RefusAuthentification("nonce_rejoue", "nonce déjà vu pour cette clé")

    def _stocker(self, message: dict[str, Any]) -> tuple[bool, str]:
        """Store and plan once; True for the first delivery of this id."""
        maintenant = self.horloge.timestamp()
        with self.magasin.transaction() as c:
            deja = c.execute("SELECT accuse FROM recus WHERE id = ?", (message["id"],)).fetchone()
            if deja is not None:
                c.execute("UPDATE recus SET livraisons = livraisons + 1 WHERE id = ?", (message["id"],))
                return False, deja[0]
            numero = c.execute("SELECT count(*) FROM recus").fetchone()[0] + 1
            accuse = f"AR-RA-{numero:06d}"
            c.execute("INSERT INTO recus (id, flux, emetteur, recu_sim, contenu, accuse) VALUES (?, ?, ?, ?, ?, ?)",
                      (message["id"], message["flux"], message["emetteur"], maintenant,
                       json.dumps(message, ensure_ascii=False), accuse))
            for type_, echeance, donnees in planifier(message, maintenant, self.table):
                c.execute("INSERT OR IGNORE INTO actions (type, message_id, echeance, donnees) VALUES (?, ?, ?, ?)",
                          (type_, message["id"], echeance, json.dumps(donnees, ensure_ascii=False) if donnees else None))
            return True, accuse

    def _refus(self, code: str) -> None:
        with self.magasin.transaction() as c:
            c.execute("INSERT INTO refus (code, instant) VALUES (?, ?)", (code, time.time()))

    async def recevoir(self, request: Request) -> JSONResponse:
        corps = await request.body()
        entetes: dict[str, str] = {}
        for nom, valeur in request.headers.raw:
            cle, texte = nom.decode("latin-1").lower(), valeur.decode("latin-1").strip()
            entetes[cle] = f"{entetes[cle]}, {texte}" if cle in entetes else texte
        chemin = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?", 1)[0]
        message_http = MessageHttp(request.method, chemin, request.scope.get("query_string", b"").decode("latin-1"), entetes)
        try:
            await run_in_threadpool(self._verifier, message_http, corps)
        except Refus as refus:
            await run_in_threadpool(self._refus, refus.code)
            return _probleme(401, refus.code, "signature de la passerelle refusée")
        try:
            message = json.loads(corps)
            identifiant = request.path_params["id"]
            if message.get("id") != identifiant or entetes.get("passerelle-message-id") != identifiant:
                return _probleme(400, "message_incoherent", "identifiant différent entre chemin, en-tête et corps")
        except (ValueError, AttributeError):
            return _probleme(400, "json_invalide", "corps illisible")
        premier, accuse = await run_in_threadpool(self._stocker, message)
        return JSONResponse({"accuse": accuse, "deja_recu": not premier}, status_code=201 if premier else 200)

    async def consulter(self, request: Request) -> JSONResponse:
        """A synchronous consultation from the gateway: signature checked, fictional answer."""
        corps = await request.body()
        try:
            await run_in_threadpool(self._verifier, consultations_simulees.message_http(request), corps)
        except Refus as refus:
            await run_in_threadpool(self._refus, refus.code)
            return _probleme(401, refus.code, "signature de la passerelle refusée")
        statut, donnees = consultations_simulees.repondre(request.path_params["type"], corps)
        return JSONResponse(donnees, status_code=statut)

    async def sante(self, request: Request) -> JSONResponse:
        return JSONResponse({"statut": "ok", "organisme": ORGANISME})

    def compteurs(self) -> dict[str, Any]:
        fin = self.fin if self.fin is not None else float("inf")
        maintenant = self.horloge.timestamp()
        lire = self.magasin.lire
        return {
            "recus": lire("SELECT count(*) FROM recus")[0][0],
            "livraisons": lire("SELECT coalesce(sum(livraisons), 0) FROM recus")[0][0],
            "par_flux": dict(lire("SELECT flux, count(*) FROM recus GROUP BY flux")),
            "actions_dues_en_attente": lire(
                "SELECT count(*) FROM actions WHERE etat = 'a_faire' AND echeance <= (CASE WHEN type = ? THEN ? ELSE ? END)",
                (ACQUITTER, maintenant, min(fin, maintenant)))[0][0],
            "actions_apres_fin": lire(
                "SELECT count(*) FROM actions WHERE etat = 'a_faire' AND type != ? AND echeance > ?", (ACQUITTER, fin))[0][0],
            "actions_faites": dict(lire("SELECT type, count(*) FROM actions WHERE etat = 'fait' GROUP BY type")),
            "erreurs": dict(lire("SELECT resultat, count(*) FROM actions WHERE etat = 'erreur' GROUP BY resultat")),
            "refus": dict(lire("SELECT code, count(*) FROM refus GROUP BY code")),
        }

    async def etat(self, request: Request) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(self.compteurs))

    def application(self) -> Starlette:
        return Starlette(routes=[
            Route("/messages/{id}", self.recevoir, methods=["POST"]),
            Route("/consultations/{type}", self.consulter, methods=["POST"]),
            Route("/sante", self.sante, methods=["GET"]),
            Route("/etat", self.etat, methods=["GET"]),
        ])

    # --- answering (through the gateway) --------------------------------------------------------

    def _noter(self, num: int, etat: str, resultat: str | None, reessayer_dans: float | None = None) -> None:
        with self.magasin.transaction() as c:
            if reessayer_dans is not None:
                c.execute("UPDATE actions SET tentatives = tentatives + 1, echeance = ?, resultat = ? WHERE num = ?",
                          (self.horloge.timestamp() + reessayer_dans, resultat, num))
            else:
                c.execute("UPDATE actions SET etat = ?, resultat = ?, tentatives = tentatives + 1, fait_sim = ? WHERE num = ?",
                          (etat, resultat, self.horloge.timestamp(), num))

    def executer(self, num: int, type_: str, message_id: str, donnees: str | None) -> None:
        reessai = self.horloge.facteur * 0.5  # half a real second
        try:
            if type_ == ACQUITTER:
                reponse = self.client.acquitter(message_id)
                attendu = 200
            else:
                reponse = self.client.envoyer(type_, json.loads(donnees or "{}"), cle_idempotence=f"ra-{type_}-{message_id}")
                attendu = 202
        except httpx.TransportError as exc:
            self._noter(num, "a_faire", f"transport: {type(exc).__name__}", reessayer_dans=reessai)
            return
        except RecuInvalide as exc:
            self._noter(num, "erreur", f"recu_invalide: {exc}")
            return
        if reponse.statut == attendu:
            self._noter(num, "fait", reponse.donnees.get("id") or reponse.donnees.get("statut"))
        elif reponse.statut >= 500 or reponse.statut in (408, 429):
            self._noter(num, "a_faire", f"HTTP {reponse.statut}", reessayer_dans=reessai)
        else:
            self._noter(num, "erreur", str(reponse.donnees.get("code") or f"HTTP {reponse.statut}"))
            print(f"carsat-ra simulée: {type_} refusé: {reponse.donnees}", file=sys.stderr, flush=True)

    def un_tour(self) -> int:
        """Execute what is due now; returns how many actions were tried."""
        maintenant = self.horloge.timestamp()
        limite = maintenant if self.fin is None else min(maintenant, self.fin)
        # Acknowledgements are technical: always done. Answers are business: not after --fin.
        dues = self.magasin.lire(
            "SELECT num, type, message_id, donnees FROM actions WHERE etat = 'a_faire' "
            "AND echeance <= (CASE WHEN type = ? THEN ? ELSE ? END) ORDER BY echeance LIMIT 50",
            (ACQUITTER, maintenant, limite))
        for num, type_, message_id, donnees in dues:
            if self.arret.demande:
                break
            self.executer(num, type_, message_id, donnees)
        return len(dues)

    def travailler(self) -> None:
        while not self.arret.demande:
            if not self.un_tour():
                self.arret.attendre(0.02)


def _probleme(statut: int, code: str, titre: str) -> JSONResponse:
    return JSONResponse({"type": f"urn:carsat-ra:probleme:{code}", "title": titre, "status": statut, "code": code},
                        status_code=statut, media_type="application/problem+json")


def main(arguments: list[str] | None = None) -> int:
    parseur = argparse.ArgumentParser(prog="python -m connecteurs.simulateurs.carsat",
                                      description="Carsat Rhône-Alpes simulée: reçoit en poussée, répond par la passerelle")
    ajouter_arguments_communs(parseur)
    parseur.add_argument("--hote", default="127.0.0.1")
    parseur.add_argument("--port", type=int, default=8100)
    parseur.add_argument("--fin", help="instant simulé (ISO 8601) après lequel plus aucune réponse n'est envoyée")
    args = parseur.parse_args(arguments)
    horloge = horloge_depuis(args)
    fin = datetime.fromisoformat(args.fin.replace("Z", "+00:00")).timestamp() if args.fin else None
    table = charger_table_age_legal(args.config / "regles" / "age-legal.yaml")
    cles = CleGateway(httpx.Client(base_url=args.passerelle, timeout=10, trust_env=False))
    for _ in range(300):
        try:
            cles.charger()
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        print("carsat-ra simulée: passerelle injoignable", file=sys.stderr)
        return 1
    arret = Arret()
    magasin = Magasin(args.base, SCHEMA)
    client = client_organisme(args.passerelle, args.config, ORGANISME, args.keyid, args.agent or "simulateur.carsat-ra", horloge)
    carsat = CarsatSimulee(magasin, horloge, table, cles, client, fin, arret)
    serveur = uvicorn.Server(uvicorn.Config(carsat.application(), host=args.hote, port=args.port,
                                            log_level="warning", access_log=False, lifespan="off"))
    fil = threading.Thread(target=carsat.travailler, name="reponses", daemon=True)
    fil.start()
    print(f"carsat-ra simulée en écoute sur http://{args.hote}:{args.port}", file=sys.stderr, flush=True)
    try:
        serveur.run()
    finally:
        arret.evenement.set()
        fil.join(timeout=30)
        client.__exit__()
        magasin.fermer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
