"""Several replicas on one PostgreSQL database, under signed load, through the faults of a
production day: the replica holding the journal sequencer's lock is SIGKILLed (and restarted),
then the database itself crashes and comes back — while single messages (Idempotency-Key),
a batch, push deliveries and inbox reads with acknowledgements go on.

What must hold (FLUX.md § 6, issue 13):

* every 202 is in the base once, reaches its destination — the push receiver, or the inbox
  where it is acknowledged exactly once — and nothing that never got a 202 is there;
* the journal's indices are dense and unique, one checkpoint history, verified offline;
* while the database is down, every answer is a 503 ``base_indisponible`` within a bounded
  time: never a hang, never a 202; the replicas recover without being restarted;
* the sequencer's lock dies with the replica holding it: another replica signs the next
  checkpoints at once.

The database is a private cluster (tests/crash/outillage.py): the shared server is never stopped.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from passerelle.journal.sequenceur import VERROU_SEQUENCEUR
from tests.crash.outillage import (
    Base,
    FluxUnitaire,
    Issues,
    PasserelleProcessus,
    RecepteurDedoublonnant,
    ServeurSurPort,
    attendre,
    client,
    lot,
    port_libre,
    pousser_vers,
    verifier_journal,
)

LIGNES_LOT = 1000
PANNE_BASE = 4.0  # seconds the database stays down
BORNE_503 = 8.0  # a client never waits longer for its 503 (connect 2 s, pool 3 s, and margin)

# Each replica: a sequencer that runs all the time (so that one of them holds its lock often),
# frequent checkpoints (a long history to verify), short waits for the database.
ENV_REPLIQUES = {
    "PASSERELLE_SEQUENCEUR_INTERVALLE": "0.02",
    "PASSERELLE_CHECKPOINT_TOUTES_SECONDES": "0.3",
    "PASSERELLE_BASE_DELAI_CONNEXION": "2",
    "PASSERELLE_BASE_ATTENTE_CONNEXION": "3",
    "PASSERELLE_ARRET_DELAI": "10",
}


class Acquitteur(threading.Thread):
    """cnav-idf reads its inbox (on the replicas in turn) and acknowledges what it reads. An
    acknowledgement whose answer is lost is sent again: the gateway says it was already done."""

    def __init__(self, urls: Sequence[str], config: Path, issues: Issues) -> None:
        super().__init__(daemon=True)
        self.clients = [client(url, config, "cnav-idf", agent="agent.cnav", timeout=30) for url in urls]
        self.issues = issues
        self.arret = threading.Event()
        self.premiers: Counter[str] = Counter()  # acknowledgements answered deja_acquitte = false
        self.vus: set[str] = set()
        self.pages_vides = 0

    def run(self) -> None:
        tour = itertools.count()
        while True:
            cible = self.clients[next(tour) % len(self.clients)]
            debut = time.monotonic()
            try:
                page = cible.boite(limite=50)
            except httpx.TransportError as exc:
                self.issues.coupure(exc)
                time.sleep(0.05)
                continue
            self.issues.noter(debut, page.statut, page.donnees.get("code"))
            if page.statut != 200:
                if not (page.statut == 503 and page.donnees.get("code") == "base_indisponible"):
                    self.issues.autres.append((page.statut, page.donnees.get("code")))
                time.sleep(0.1)
                continue
            messages = page.donnees["messages"]
            if not messages:
                self.pages_vides += 1
                if self.arret.is_set():
                    return
                time.sleep(0.1)
                continue
            for message in messages:
                self.vus.add(message["id"])
                debut = time.monotonic()
                try:
                    reponse = cible.acquitter(message["id"])
                except httpx.TransportError as exc:
                    self.issues.coupure(exc)
                    break
                self.issues.noter(debut, reponse.statut, reponse.donnees.get("code"))
                if reponse.statut == 200:
                    if not reponse.donnees["deja_acquitte"]:
                        self.premiers[message["id"]] += 1
                elif not (reponse.statut == 503 and reponse.donnees.get("code") == "base_indisponible"):
                    self.issues.autres.append((reponse.statut, reponse.donnees.get("code")))
                    break


class EnvoiLot(threading.Thread):
    """One batch, sent again with the same key (to the other replica) until it is answered 200."""

    def __init__(self, urls: Sequence[str], config: Path, issues: Issues) -> None:
        super().__init__(daemon=True)
        self.clients = [client(url, config, timeout=60) for url in urls]
        self.issues = issues
        self.corps = lot(LIGNES_LOT, "lot-repliques", debut=500_000)
        self.envois = 0
        self.resultat: dict | None = None  # type: ignore[type-arg]

    def run(self) -> None:
        for cible in itertools.cycle(self.clients):
            self.envois += 1
            try:
                reponse = cible.envoyer_lot("rdc", self.corps, cle_lot="lot-repliques")
            except httpx.TransportError as exc:
                self.issues.coupure(exc)
                time.sleep(0.2)
                continue
            if reponse.statut == 200:
                self.resultat = reponse.donnees
                return
            if reponse.donnees.get("code") not in ("base_indisponible", "lot_en_cours"):
                self.issues.autres.append((reponse.statut, reponse.donnees.get("code")))
                return
            time.sleep(0.2)


_DETENTEUR = sa.text(
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :cle AND l.objsubid = 2"
)


def _figer_le_detenteur_du_sequenceur(url: str, repliques: dict[str, PasserelleProcessus], delai: float) -> str:
    """Catch a replica in the act: watch pg_locks until one holds the sequencer's advisory lock
    (a transaction-scoped lock, held a few milliseconds per run), SIGSTOP it, and check it still
    holds it — frozen, it cannot commit; otherwise let it go and watch again. Returns its name."""
    moteur = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with moteur.connect() as connexion:
            limite = time.monotonic() + delai
            while time.monotonic() < limite:
                nom = connexion.execute(_DETENTEUR, {"cle": VERROU_SEQUENCEUR}).scalar()
                if not nom:
                    time.sleep(0.002)
                    continue
                os.kill(repliques[nom].pid, signal.SIGSTOP)
                if connexion.execute(_DETENTEUR, {"cle": VERROU_SEQUENCEUR}).scalar() == nom:
                    return str(nom)
                os.kill(repliques[nom].pid, signal.SIGCONT)
    finally:
        moteur.dispose()
    raise AssertionError(f"aucune réplique prise à tenir le verrou du séquenceur en {delai} s")


def _detenteur(url: str) -> str | None:
    moteur = sa.create_engine(url, poolclass=NullPool)
    try:
        with moteur.connect() as connexion:
            return connexion.execute(_DETENTEUR, {"cle": VERROU_SEQUENCEUR}).scalar()
    finally:
        moteur.dispose()


@pytest.fixture
def recepteur(config: Path):  # type: ignore[no-untyped-def]
    recepteur = RecepteurDedoublonnant(config)
    serveur = ServeurSurPort(recepteur, port_libre())
    serveur.demarrer()
    pousser_vers(config, "carsat-ra", serveur.url)
    yield recepteur
    serveur.arreter()


def test_repliques_sous_charge_panne_d_une_replique_puis_de_la_base(  # type: ignore[no-untyped-def]
    grappe_postgresql, config, tmp_path, recepteur, capsys
) -> None:
    grappe = grappe_postgresql
    url = grappe.creer_base("repliques")
    noms = ("replique-a", "replique-b")
    repliques = {nom: PasserelleProcessus(grappe.url("repliques", application_name=nom), config, tmp_path,
                                          env=ENV_REPLIQUES, nom=nom) for nom in noms}
    base = Base(url)
    issues = Issues()
    chiffres: dict[str, object] = {}
    try:
        # Both start at once on the empty base: their migrations queue on the advisory lock.
        demarrages = [threading.Thread(target=r.demarrer) for r in repliques.values()]
        for fil in demarrages:
            fil.start()
        for fil in demarrages:
            fil.join(90)
        assert all(r.processus and r.processus.poll() is None for r in repliques.values())
        urls = [r.url for r in repliques.values()]

        pousses = [FluxUnitaire(urls[i:] + urls[:i], config, prefixe=f"pousse{i}", debut=100_000 * (i + 1),
                                issues=issues) for i in range(2)]
        boite = FluxUnitaire(urls, config, code="caf-075", prefixe="boite", debut=900_000, issues=issues)
        acquitteur = Acquitteur(urls[::-1], config, issues)
        flux = [*pousses, boite]
        for fil in (*flux, acquitteur):
            fil.start()

        def acceptes() -> int:
            return sum(len(f.acceptes) for f in flux)

        attendre(lambda: acceptes() >= 60 and len(recepteur.messages) >= 10 and len(acquitteur.premiers) >= 5,
                 60, "la charge aurait dû s'installer")
        envoi_lot = EnvoiLot(urls, config, issues)
        envoi_lot.start()
        attendre(lambda: (base.valeur("SELECT coalesce(max(lignes_traitees), 0) FROM lots") or 0) >= 200,
                 60, "le lot aurait dû avancer", pas=0.02)

        # 1. SIGKILL of the replica holding the sequencer's lock, in its sequencing transaction.
        nom = _figer_le_detenteur_du_sequenceur(url, repliques, 30)
        victime = repliques[nom]
        signes = base.valeur("SELECT count(*) FROM journal_checkpoints")
        victime.tuer()
        tue_a = time.monotonic()
        attendre(lambda: base.valeur("SELECT count(*) FROM journal_checkpoints") > signes + 2, 20,
                 "l'autre réplique aurait dû reprendre le séquenceur")
        chiffres["reprise du séquenceur (s)"] = round(time.monotonic() - tue_a, 2)
        assert _detenteur(url) != nom  # the lock died with its holder
        assert victime.processus is not None and victime.processus.poll() is not None
        victime.demarrer()  # same port, same base
        avant = acceptes()
        attendre(lambda: acceptes() >= avant + 30, 60, "la charge aurait dû reprendre après le redémarrage")

        # 2. The database crashes (immediate stop) and comes back; the replicas are not restarted.
        pids = {n: r.pid for n, r in repliques.items()}
        grappe.arreter("immediate")
        coupee_a = time.monotonic()
        time.sleep(PANNE_BASE)
        relancee_a = time.monotonic()  # it may serve a little before pg_ctl says so: the window ends here
        grappe.demarrer()
        revenue_a = time.monotonic()
        attendre(lambda: any(d > revenue_a and s == 202 for d, _, s in list(issues.reponses)), 60,
                 "les répliques auraient dû se rétablir sans redémarrage")
        premier_202 = min(d for d, _, s in list(issues.reponses) if d > revenue_a and s == 202)
        chiffres["rétablissement après le retour de la base (s)"] = round(premier_202 - revenue_a, 2)
        avant = acceptes()
        attendre(lambda: acceptes() >= avant + 30, 60, "la charge aurait dû reprendre après la panne de la base")
        assert {n: r.pid for n, r in repliques.items()} == pids and all(
            r.processus and r.processus.poll() is None for r in repliques.values())

        for fil in flux:
            fil.arret.set()
        for fil in flux:
            fil.join(60)
        envoi_lot.join(120)
        assert envoi_lot.resultat is not None, issues.autres
        acquitteur.arret.set()
        acquitteur.join(60)
        assert not any(f.is_alive() for f in (*flux, envoi_lot, acquitteur))

        ids_lot = {r["id"] for r in envoi_lot.resultat["resultats"]}
        resume = envoi_lot.resultat["resume"]
        assert (resume["lignes"], resume["acceptees"], resume["refusees"]) == (LIGNES_LOT, LIGNES_LOT, 0)
        pousses_ids = {i for f in pousses for i in f.acceptes.values()} | ids_lot
        boite_ids = set(boite.acceptes.values())
        tous = pousses_ids | boite_ids
        assert len(tous) == sum(len(f.acceptes) for f in flux) + LIGNES_LOT  # no id given twice
        attendre(lambda: base.valeur("SELECT count(*) FROM livraisons WHERE statut != 'livre'") == 0
                 and base.valeur("SELECT count(*) FROM livraisons") == len(pousses_ids),
                 90, "toutes les livraisons auraient dû aboutir")
    finally:
        for replique in repliques.values():
            replique.arreter()

    # What the clients saw.
    assert issues.autres == [] and issues.blocages == 0, (issues.autres, issues.blocages)
    pendant_la_panne = [(d, f, s) for d, f, s in issues.reponses if d > coupee_a + 0.5 and f < relancee_a]
    assert pendant_la_panne and {s for _, _, s in pendant_la_panne} == {503}
    assert issues.indisponibles and max(issues.indisponibles) < BORNE_503

    # The base: each message once, nothing else; each acknowledged once; a dense journal.
    en_base = {r[0] for r in base.lignes("SELECT id FROM messages")}
    receptions = Counter(r[0] for r in base.lignes("SELECT message_id FROM journal WHERE decision = 'accepte'"))
    acquits = Counter(r[0] for r in base.lignes("SELECT message_id FROM journal WHERE decision = 'acquitte'"))
    livres = Counter(r[0] for r in base.lignes("SELECT message_id FROM journal WHERE decision = 'livre'"))
    non_acquittes = base.valeur("SELECT count(*) FROM messages WHERE destinataire = 'cnav-idf' AND acquitte_le IS NULL")
    nombre, plus_grand, distincts = base.lignes('SELECT count(*), max("index"), count(DISTINCT "index") FROM journal')[0]
    tailles = [r[0] for r in base.lignes("SELECT taille FROM journal_checkpoints ORDER BY signe_le, taille")]
    base.fermer()
    assert en_base == tous, (len(en_base - tous), len(tous - en_base))
    assert set(receptions) == tous and set(receptions.values()) == {1}
    assert recepteur.refus == [] and set(recepteur.messages) == pousses_ids
    assert set(livres) == pousses_ids and set(livres.values()) == {1}
    assert set(acquitteur.premiers) == boite_ids and set(acquitteur.premiers.values()) == {1}
    assert set(acquits) == boite_ids and set(acquits.values()) == {1} and non_acquittes == 0
    assert nombre == plus_grand + 1 == distincts
    assert tailles == sorted(set(tailles)) and len(tailles) > 10  # one history, sizes strictly growing
    verifie = verifier_journal(url, config, tmp_path)

    envoyes = sum(len(f.acceptes) for f in flux)
    chiffres.update({
        "messages unitaires acceptés (202)": envoyes,
        "dont renvoyés avec la même Idempotency-Key": sum(f.renvois for f in flux),
        "lignes du lot acceptées": LIGNES_LOT,
        "envois du lot (même clé)": envoi_lot.envois,
        "perdus": len(tous - en_base),
        "en double": sum(n - 1 for n in receptions.values()),
        "livraisons poussées (dont redoublées)": f"{sum(recepteur.livraisons.values())} "
                                                 f"({sum(recepteur.livraisons.values()) - len(pousses_ids)})",
        "acquittements": len(acquits),
        "coupures de connexion vues": issues.coupures,
        "503 base_indisponible": len(issues.indisponibles),
        "503 le plus long (s)": round(max(issues.indisponibles), 2),
        "entrées du journal vérifiées": verifie.entrees,
        "checkpoints": len(tailles),
    })
    with capsys.disabled():
        print("\nrépliques sous panne: " + "; ".join(f"{k} = {v}" for k, v in chiffres.items()))
