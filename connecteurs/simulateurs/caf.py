"""The simulated CAF de la Loire: sends retirement signals, pulls and acknowledges its inbox.

    python -m connecteurs.simulateurs.caf --passerelle http://127.0.0.1:8000 --base caf.db \
        --allocataires 400 --annee-debut 2026-01-01 --annee-fin 2027-01-01 \
        [--debut 2026-01-01T00:00:00Z --facteur 525600 --origine 1795000000.0]

It owns a few hundred fictional allocataires (:mod:`connecteurs.simulateurs.population`) and,
as the simulated days go by:

* on the 1st of each month, sends that month's ``rdc`` **batch** (``POST /v1/lots/rdc``,
  NDJSON, Idempotency-Key ``caf-042-rdc-AAAA-MM``: sent again after a cut, it resumes);
* on the day a signal falls due, sends the **single** ``passage-retraite`` (and the ``rdc`` of
  allocataires not in a batch), each with its own Idempotency-Key;
* every ``--releve`` real seconds, **pulls** its inbox (``GET /v1/boite``), stores each answer
  (dedupe on the message id) and acknowledges it (``POST /v1/boite/{id}/acquittement``).

Once the simulated year is over and everything is sent, it writes ``termine`` in its base and
keeps relieving its inbox until it is stopped (SIGTERM, Ctrl-C). Everything it did is in its
SQLite base (tables ``allocataires``, ``lots``, ``boite``), which the demonstration reads.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from typing import Any

import httpx

from connecteurs.simulateurs.commun import (
    Arret,
    Magasin,
    ajouter_arguments_communs,
    client_organisme,
    horloge_depuis,
)
from connecteurs.simulateurs.population import LOT, generer_population
from passerelle.catalogue.age_legal import charger_table_age_legal
from passerelle.client import ClientPasserelle, RecuInvalide
from passerelle.demo.horloge import HorlogeAcceleree

ORGANISME = "caf-042"

SCHEMA = """
CREATE TABLE IF NOT EXISTS allocataires (
    numero INTEGER PRIMARY KEY, flux TEXT NOT NULL, mode TEXT NOT NULL, echeance TEXT NOT NULL, envoi TEXT NOT NULL,
    erreur_saisie INTEGER NOT NULL, donnees TEXT NOT NULL, etat TEXT NOT NULL DEFAULT 'prevu', message_id TEXT,
    code TEXT, envoye_sim REAL);
CREATE TABLE IF NOT EXISTS lots (
    mois TEXT PRIMARY KEY, cle TEXT NOT NULL, lignes INTEGER, acceptees INTEGER, refusees INTEGER,
    fait INTEGER NOT NULL DEFAULT 0, envoye_sim REAL);
CREATE TABLE IF NOT EXISTS boite (
    id TEXT PRIMARY KEY, flux TEXT NOT NULL, en_reponse_a TEXT, recu_le TEXT NOT NULL, contenu TEXT NOT NULL,
    lu_sim REAL NOT NULL, acquitte INTEGER NOT NULL DEFAULT 0, lectures INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS etat (cle TEXT PRIMARY KEY, valeur TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incidents (num INTEGER PRIMARY KEY AUTOINCREMENT, quoi TEXT NOT NULL, detail TEXT)
"""


class CafSimulee:
    def __init__(self, magasin: Magasin, client: ClientPasserelle, horloge: HorlogeAcceleree, debut: date, fin: date,
                 arret: Arret, *, releve: float = 0.2) -> None:
        self.magasin = magasin
        self.client = client
        self.horloge = horloge
        self.debut = debut
        self.fin = fin
        self.arret = arret
        self.releve = releve
        self._derniere_releve = 0.0

    def peupler(self, population: list[Any]) -> None:
        with self.magasin.transaction() as c:
            if c.execute("SELECT count(*) FROM allocataires").fetchone()[0]:
                return  # a restart: the base already holds the population and how far it went
            for a in population:
                c.execute(
                    "INSERT INTO allocataires (numero, flux, mode, echeance, envoi, erreur_saisie, donnees) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (a.numero, a.flux, a.mode, a.echeance.isoformat(), a.envoi.isoformat(), int(a.erreur_saisie),
                     json.dumps(a.donnees, ensure_ascii=False)))
            for (mois,) in c.execute("SELECT DISTINCT substr(envoi, 1, 7) FROM allocataires WHERE mode = ? ORDER BY 1",
                                     (LOT,)).fetchall():
                c.execute("INSERT INTO lots (mois, cle) VALUES (?, ?)", (mois, f"{ORGANISME}-rdc-{mois}"))

    def _incident(self, quoi: str, detail: str) -> None:
        print(f"caf-042 simulée: {quoi}: {detail}", file=sys.stderr, flush=True)
        with self.magasin.transaction() as c:
            c.execute("INSERT INTO incidents (quoi, detail) VALUES (?, ?)", (quoi, detail[:500]))

    # --- sending --------------------------------------------------------------------------------

    def envoyer_lots(self, aujourd_hui: date) -> None:
        dus = self.magasin.lire("SELECT mois, cle FROM lots WHERE fait = 0 AND mois || '-01' <= ? ORDER BY mois",
                                (aujourd_hui.isoformat(),))
        for mois, cle in dus:
            lignes = self.magasin.lire(
                "SELECT numero, donnees FROM allocataires WHERE mode = ? AND substr(envoi, 1, 7) = ? ORDER BY numero",
                (LOT, mois))
            corps = b"".join(d.encode("utf-8") + b"\n" for _, d in lignes)
            try:
                reponse = self.client.envoyer_lot("rdc", corps, cle_lot=cle)
            except (httpx.TransportError, RecuInvalide) as exc:
                self._incident("lot", f"{cle}: {type(exc).__name__}, nouvel essai")
                return
            if reponse.statut != 200:
                if reponse.statut < 500:
                    self._incident("lot_refuse", f"{cle}: {reponse.donnees.get('code')}")
                    with self.magasin.transaction() as c:
                        c.execute("UPDATE lots SET fait = 2 WHERE mois = ?", (mois,))
                return
            numeros = [n for n, _ in lignes]
            instant = self.horloge.timestamp()
            with self.magasin.transaction() as c:
                for resultat in reponse.donnees["resultats"]:
                    numero = numeros[resultat["ligne"] - 1]
                    if "id" in resultat:
                        c.execute("UPDATE allocataires SET etat = 'accepte', message_id = ?, envoye_sim = ? WHERE numero = ?",
                                  (resultat["id"], instant, numero))
                    else:
                        c.execute("UPDATE allocataires SET etat = 'refuse', code = ?, envoye_sim = ? WHERE numero = ?",
                                  (resultat["probleme"].get("code"), instant, numero))
                resume = reponse.donnees["resume"]
                c.execute("UPDATE lots SET fait = 1, lignes = ?, acceptees = ?, refusees = ?, envoye_sim = ? WHERE mois = ?",
                          (resume["lignes"], resume["acceptees"], resume["refusees"], instant, mois))

    def envoyer_unitaires(self, aujourd_hui: date) -> None:
        dus = self.magasin.lire(
            "SELECT numero, flux, donnees FROM allocataires WHERE mode != ? AND etat = 'prevu' AND envoi <= ? "
            "ORDER BY envoi, numero LIMIT 20", (LOT, aujourd_hui.isoformat()))
        for numero, flux, donnees in dus:
            if self.arret.demande:
                return
            try:
                reponse = self.client.envoyer(flux, json.loads(donnees), cle_idempotence=f"{ORGANISME}-{flux}-{numero}")
            except (httpx.TransportError, RecuInvalide) as exc:
                self._incident("envoi", f"{flux} {numero}: {type(exc).__name__}, nouvel essai")
                return
            if reponse.statut >= 500 or reponse.statut in (408, 429):
                return
            with self.magasin.transaction() as c:
                if reponse.statut == 202:
                    c.execute("UPDATE allocataires SET etat = 'accepte', message_id = ?, envoye_sim = ? WHERE numero = ?",
                              (reponse.donnees["id"], self.horloge.timestamp(), numero))
                else:
                    c.execute("UPDATE allocataires SET etat = 'refuse', code = ?, envoye_sim = ? WHERE numero = ?",
                              (reponse.donnees.get("code"), self.horloge.timestamp(), numero))

    # --- pulling the inbox ------------------------------------------------------------------------

    def relever(self) -> int:
        """Read the whole inbox, store each message once, acknowledge it. Returns messages read."""
        lus = 0
        curseur = None
        while not self.arret.demande:
            try:
                reponse = self.client.boite(curseur=curseur, limite=100)
            except httpx.TransportError as exc:
                self._incident("boite", type(exc).__name__)
                return lus
            if reponse.statut != 200:
                self._incident("boite", str(reponse.donnees.get("code") or reponse.statut))
                return lus
            for message in reponse.donnees["messages"]:
                lus += 1
                with self.magasin.transaction() as c:
                    c.execute(
                        "INSERT INTO boite (id, flux, en_reponse_a, recu_le, contenu, lu_sim) VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (id) DO UPDATE SET lectures = lectures + 1",
                        (message["id"], message["flux"], message.get("en_reponse_a"), message["recu_le"],
                         json.dumps(message["contenu"], ensure_ascii=False), self.horloge.timestamp()))
                try:
                    acquit = self.client.acquitter(message["id"])
                except httpx.TransportError:
                    continue  # still in the inbox: acknowledged at the next pass
                if acquit.statut == 200:
                    with self.magasin.transaction() as c:
                        c.execute("UPDATE boite SET acquitte = 1 WHERE id = ?", (message["id"],))
            curseur = reponse.donnees.get("curseur_suivant")
            if not curseur:
                return lus
        return lus

    # --- the loop -------------------------------------------------------------------------------

    def tour(self) -> None:
        aujourd_hui = self.horloge().date()
        if aujourd_hui < self.debut:
            return  # nothing before the first simulated day (the keys may not be valid yet)
        borne = min(aujourd_hui, date.fromordinal(self.fin.toordinal() - 1))
        self.envoyer_lots(borne)
        self.envoyer_unitaires(borne)
        if time.monotonic() - self._derniere_releve >= self.releve:
            self._derniere_releve = time.monotonic()
            self.relever()
        if aujourd_hui >= self.fin and not self.termine():
            restants = self.magasin.lire("SELECT count(*) FROM allocataires WHERE etat = 'prevu'")[0][0]
            lots = self.magasin.lire("SELECT count(*) FROM lots WHERE fait = 0")[0][0]
            if restants == 0 and lots == 0:
                with self.magasin.transaction() as c:
                    c.execute("INSERT OR REPLACE INTO etat VALUES ('termine', ?)", (self.horloge().isoformat(),))

    def termine(self) -> bool:
        return bool(self.magasin.lire("SELECT count(*) FROM etat WHERE cle = 'termine'")[0][0])

    def tourner(self) -> None:
        while not self.arret.demande:
            self.tour()
            self.arret.attendre(0.02)


def main(arguments: list[str] | None = None) -> int:
    parseur = argparse.ArgumentParser(prog="python -m connecteurs.simulateurs.caf",
                                      description="CAF de la Loire simulée: envoie les signalements, relève sa boîte")
    ajouter_arguments_communs(parseur)
    parseur.add_argument("--allocataires", type=int, default=400)
    parseur.add_argument("--graine", type=int, default=2026, help="graine de la population fictive")
    parseur.add_argument("--erreurs", type=int, default=3, help="lignes de lot avec une erreur de saisie du NIR")
    parseur.add_argument("--annee-debut", type=date.fromisoformat, required=True, help="premier jour simulé (AAAA-MM-JJ)")
    parseur.add_argument("--annee-fin", type=date.fromisoformat, required=True, help="lendemain du dernier jour simulé")
    parseur.add_argument("--releve", type=float, default=0.2, help="secondes réelles entre deux relèves de la boîte")
    args = parseur.parse_args(arguments)
    horloge = horloge_depuis(args)
    arret = Arret().installer()
    table = charger_table_age_legal(args.config / "regles" / "age-legal.yaml")
    magasin = Magasin(args.base, SCHEMA)
    client = client_organisme(args.passerelle, args.config, ORGANISME, args.keyid, args.agent or "simulateur.caf-042", horloge)
    caf = CafSimulee(magasin, client, horloge, args.annee_debut, args.annee_fin, arret, releve=args.releve)
    caf.peupler(generer_population(table, args.annee_debut, args.annee_fin, args.allocataires,
                                   graine=args.graine, erreurs=args.erreurs))
    print(f"caf-042 simulée: {args.allocataires} allocataires fictifs, passerelle {args.passerelle}", file=sys.stderr, flush=True)
    try:
        caf.tourner()
    finally:
        client.__exit__()
        magasin.fermer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
