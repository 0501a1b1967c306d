"""What the demonstration shows a person at the end: counts, delays, the journal, the checks.

Everything is read back from where it lives — the gateway's base, the simulators' own bases,
and an offline verification of the journal's export — never from counters kept on the side, so
the summary is also a test: every message the gateway accepted must be in exactly one caisse's
hands, once, and nothing else; the only refusals are the typing errors planted in the batches.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from passerelle.stockage import bilan as stockage_bilan

if TYPE_CHECKING:
    from passerelle.demo.deroulement import Demonstration

FLUX = (
    ("rdc", "CAF → Carsat"),
    ("passage-retraite", "CAF → Carsat"),
    ("cloture-rdc", "Carsat → CAF"),
    ("avis-depot", "Carsat → CAF"),
    ("notification-retraite", "Carsat → CAF"),
)
MOIS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
REPONSES = {"cloture-rdc": "rdc", "avis-depot": "passage-retraite", "notification-retraite": "passage-retraite"}


@dataclass(frozen=True)
class JournalVerifie:
    entrees: int
    checkpoints_valides: int
    taille_prouvee: int
    ok: bool
    alterations: tuple[str, ...]
    temoin: int | None  # size of the checkpoint the gateway published, checked against the export
    decisions: dict[str, int]


def sceller_et_verifier(url_base: str, config: Path, export: Path, instant: datetime,
                        temoins: Sequence[bytes] = ()) -> JournalVerifie:
    """Sequence what remains (a final signed checkpoint), export, and verify the export offline.

    Run with the gateway stopped (or at least its sequencer idle): the export covers every entry.
    ``temoins``: checkpoints obtained elsewhere (``GET /v1/journal/checkpoint``), which must be
    consistent with the export.
    """
    from passerelle.journal.export import exporter
    from passerelle.journal.sequenceur import cles_verification, integrer
    from passerelle.journal.verificateur import verifier_export
    from passerelle.reglages import Mode, Reglages
    from passerelle.secrets_deploiement import charger_secrets
    from passerelle.stockage.base import ouvrir

    reglages = Reglages(mode=Mode.developpement, base=url_base, config=config)
    secrets = charger_secrets(reglages.chemin_secrets(), developpement=True)
    origine = reglages.origine_journal
    moteur = ouvrir(url_base)
    try:
        while True:
            with moteur.begin() as connexion:
                integration = integrer(
                    connexion, secrets.cle_signature, origine, origine, instant,
                    lot_max=reglages.sequenceur_lot, forcer=True,
                    cles_anterieures=[c.public_key() for c in secrets.cles_signature.values()],
                )
            if integration.integrees == 0:
                break
        exporter(moteur, export, cles_verification(secrets.cles_signature, secrets.signature_active, origine),
                 origine, instant)
        with moteur.connect() as connexion:
            entrees, decisions = stockage_bilan.compter_journal(connexion)
    finally:
        moteur.dispose()
    rapport = verifier_export(export, checkpoints_externes=list(temoins))
    temoin = max((int(t.decode("utf-8").splitlines()[1]) for t in temoins), default=None)
    return JournalVerifie(entrees, rapport.checkpoints_valides, rapport.taille_prouvee,
                          rapport.ok and rapport.taille_prouvee == entrees,
                          tuple(a.message for a in rapport.alterations), temoin, decisions)


def verifier_journal(demo: Demonstration) -> JournalVerifie:
    temoins = [demo.checkpoint_publie.encode("utf-8")] if demo.checkpoint_publie else []
    return sceller_et_verifier(demo.url_base, demo.config, demo.dossier / "export-journal", demo.horloge(), temoins)


def _utc(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _nombre(n: float) -> str:
    return f"{n:,.0f}".replace(",", " ")


def _secondes(s: float) -> str:
    return f"{s:.2f} s".replace(".", ",") if s < 10 else f"{s:.0f} s"


def _mediane_p95(valeurs: list[float]) -> tuple[float, float] | None:
    if not valeurs:
        return None
    p95 = statistics.quantiles(valeurs, n=20)[-1] if len(valeurs) >= 2 else valeurs[0]
    return statistics.median(valeurs), p95


def _sqlite(chemin: Any, requete: str) -> list[tuple]:  # type: ignore[type-arg]
    connexion = sqlite3.connect(chemin)
    try:
        return connexion.execute(requete).fetchall()
    finally:
        connexion.close()


@dataclass
class Resume:
    lignes: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.anomalies

    def texte(self) -> str:
        sortie = list(self.lignes)
        if self.anomalies:
            sortie.append(f"RÉSULTAT : ÉCHEC — {len(self.anomalies)} anomalie(s) :")
            sortie += [f"  - {a}" for a in self.anomalies[:10]]
        else:
            sortie.append("RÉSULTAT : OK — chaque message accepté remis une fois, acquitté, et journalisé de façon vérifiable")
        return "\n".join(sortie)

    @classmethod
    def calculer(cls, demo: Demonstration, journal_: JournalVerifie, duree_reelle: float) -> Resume:
        resume = cls()
        resume._calculer(demo, journal_, duree_reelle)
        return resume

    def _calculer(self, demo: Demonstration, jv: JournalVerifie, duree_reelle: float) -> None:
        moteur = sa.create_engine(demo.url_base)
        try:
            with moteur.connect() as c:
                tout = stockage_bilan.lire_tout(c)
            msgs, livs, refus, consultes, lots_ = tout.messages, tout.livraisons, tout.refus, tout.consultes, tout.lots
        finally:
            moteur.dispose()
        facteur = demo.horloge.facteur
        par_id = {m.id: m for m in msgs}
        allocataires = _sqlite(demo.base_caf, "SELECT numero, flux, mode, erreur_saisie, etat, code, message_id, donnees FROM allocataires")
        boite = _sqlite(demo.base_caf, "SELECT id, flux, contenu, acquitte, lectures FROM boite")
        recus = _sqlite(demo.base_carsat, "SELECT id, flux, livraisons FROM recus")
        actions = _sqlite(demo.base_carsat, "SELECT type, etat, resultat FROM actions")
        refus_carsat = _sqlite(demo.base_carsat, "SELECT code, count(*) FROM refus GROUP BY code")
        incidents_caf = _sqlite(demo.base_caf, "SELECT quoi, detail FROM incidents")

        # --- head
        annee, jour_reel = demo.options.annee, 86400 / facteur
        aah = sum(1 for a in allocataires if json.loads(a[7]).get("type_allocation") == "AAH")
        L = self.lignes
        L.append(f"══ Démonstration passerelle — année {annee} simulée en {duree_reelle:.0f} s réelles "
                 f"(horloge ×{_nombre(facteur)} : 1 jour ≈ {_secondes(jour_reel)}) ══")
        L.append(f"{len(allocataires)} allocataires fictifs (AAH {aah}, RSA {len(allocataires) - aah}) de la CAF de la Loire "
                 "(caf-042, relève sa boîte)")
        L.append("↔ Carsat Rhône-Alpes (carsat-ra, reçoit en poussée HTTP signée) ; passerelle sur SQLite")
        L.append("")

        # --- per flux
        L.append(f"{'Messages par flux':39}{'acceptés':>9}{'livrés':>8}{'acquittés':>11}")
        boite_par_id = {b[0]: b for b in boite}
        totaux = [0, 0, 0]
        contenus = Counter()
        for b in boite:
            contenu = json.loads(b[2])
            for champ in ("statut_rdc", "reception_demande", "statut_demande"):
                if champ in contenu:
                    contenus[(b[1], str(contenu[champ]))] += 1
        details = {
            "rdc": self._detail_rdc(allocataires, lots_),
            "cloture-rdc": f"répondu {contenus[('cloture-rdc', 'repondu')]}, non répondu {contenus[('cloture-rdc', 'non_repondu')]}",
            "avis-depot": f"demande reçue {contenus[('avis-depot', 'True')]}, non reçue {contenus[('avis-depot', 'False')]}",
            "notification-retraite": f"attribution {contenus[('notification-retraite', 'attribution')]}, "
                                     f"rejet motivé {contenus[('notification-retraite', 'rejet')]}",
        }
        for flux, sens in FLUX:
            du_flux = [m for m in msgs if m.flux == flux]
            livres = sum(1 for m in du_flux if (livs[m.id].statut == "livre" if m.id in livs else m.id in consultes))
            acquittes = sum(1 for m in du_flux if m.statut == "acquitte")
            for i, n in enumerate((len(du_flux), livres, acquittes)):
                totaux[i] += n
            suite = f"   ({details[flux]})" if flux in details else ""
            L.append(f"  {flux:22}{sens:15}{len(du_flux):>9}{livres:>8}{acquittes:>11}{suite}")
        L.append(f"  {'total':37}{totaux[0]:>9}{totaux[1]:>8}{totaux[2]:>11}")
        mois_sans = [MOIS[m - 1] for m in range(1, 13) if not any(l.cle.endswith(f"-{annee}-{m:02d}") for l in lots_)]
        if lots_ and mois_sans:
            L.append(f"  (aucune échéance rdc en {', '.join(mois_sans)} {annee} : l'âge légal recule de 3 mois "
                     "par génération)")
        erreurs_plantees = sum(a[3] for a in allocataires)
        texte_refus = ", ".join(f"{code} {n}" for code, n in sorted(refus.items())) or "aucun"
        L.append(f"Refus : {sum(refus.values())} ({texte_refus}) — erreurs de saisie du NIR glissées dans les lots : "
                 f"{erreurs_plantees}, refusées ligne à ligne, le reste du lot accepté")
        L.append("")

        # --- delays
        L.append("Délais techniques (temps réel)")
        pousses = [(_utc(livs[m.id].livre_le) - _utc(m.recu_le)).total_seconds() / facteur
                   for m in msgs if m.id in livs and livs[m.id].livre_le is not None]
        reessais = sum(1 for l in livs.values() if l.tentatives > 1)
        mortes = sum(1 for l in livs.values() if l.statut == "morte")
        mp = _mediane_p95(pousses)
        if mp:
            L.append(f"  {'réception → livraison poussée à la Carsat':43}: médiane {_secondes(mp[0])}, 95 % sous "
                     f"{_secondes(mp[1])} ({len(pousses)} livrés, {reessais} réessayés, {mortes} en lettre morte)")
        for organisme, nom in (("caf-042", "la CAF"), ("carsat-ra", "la Carsat")):
            delais = [(_utc(m.acquitte_le) - _utc(m.recu_le)).total_seconds() / facteur
                      for m in msgs if m.destinataire == organisme and m.acquitte_le is not None]
            mp = _mediane_p95(delais)
            if mp:
                L.append(f"  {'réception → acquittement par ' + nom:43}: médiane {_secondes(mp[0])}, 95 % sous {_secondes(mp[1])}")
        L.append("Délais métier (temps simulé, calendrier de la Carsat simulée)")
        for reponse, demande in REPONSES.items():
            delais = [(_utc(m.recu_le) - _utc(par_id[m.en_reponse_a].recu_le)).total_seconds() / 86400
                      for m in msgs if m.flux == reponse and m.en_reponse_a in par_id]
            if delais:
                L.append(f"  {demande + ' → ' + reponse:43}: médiane {statistics.median(delais):.0f} j ({len(delais)} réponses)")
        apres_fin = Counter(a[0] for a in actions if a[1] == "a_faire")
        if apres_fin:
            L.append(f"  encore en instruction au 31/12/{annee} : "
                     + ", ".join(f"{n} {t}" for t, n in sorted(apres_fin.items())) + f" prévus en {annee + 1}")
        L.append("")

        # --- journal
        L.append("Journal (notariat)")
        principales = ("accepte", "refuse", "livre", "consulte", "acquitte", "lot_traite")
        texte_decisions = ", ".join(f"{d} {_nombre(jv.decisions[d])}" for d in principales if d in jv.decisions)
        L.append(f"  {_nombre(jv.entrees)} entrées ({texte_decisions})")
        etat = "intègre" if jv.ok else "ALTÉRÉ"
        L.append(f"  export vérifié hors ligne : {jv.checkpoints_valides} checkpoints signés valides, {etat} jusqu'à la "
                 f"taille {_nombre(jv.taille_prouvee)}")
        if jv.temoin is not None:
            L.append(f"  checkpoint publié par la passerelle en fin d'année (taille {_nombre(jv.temoin)}) : "
                     f"{'cohérent avec l’export' if jv.ok else 'voir anomalies'}")

        # --- checks
        A = self.anomalies
        for nom, code in sorted(demo.codes_arret.items()):
            if code not in (0, -signal.SIGTERM):  # uvicorn re-raises SIGTERM after a graceful shutdown
                A.append(f"{nom} s'est arrêté avec le code {code}")
        if not jv.ok:
            A.extend(f"journal: {a}" for a in jv.alterations[:5] or ("taille prouvée ≠ nombre d'entrées",))
        attendus = {a[0] for a in allocataires if a[3]}
        for numero, flux, mode, erreur, etat_, code, message_id, _ in allocataires:
            if erreur and (etat_ != "refuse" or code != "nir_invalide"):
                A.append(f"allocataire {numero} (erreur de saisie) : {etat_} {code or ''} au lieu d'un refus nir_invalide")
            if not erreur and etat_ != "accepte":
                A.append(f"allocataire {numero} ({flux}, {mode}) : {etat_} {code or ''}")
        if dict(refus) != ({"nir_invalide": len(attendus)} if attendus else {}):
            A.append(f"refus inattendus à la passerelle : {dict(refus)}")
        envoyes = {a[6] for a in allocataires if a[6]}
        pour_carsat = {m.id for m in msgs if m.destinataire == "carsat-ra"}
        recus_carsat = {r[0] for r in recus}
        if pour_carsat != envoyes:
            A.append(f"messages CAF → Carsat à la passerelle ({len(pour_carsat)}) ≠ accusés reçus par la CAF ({len(envoyes)})")
        if recus_carsat != pour_carsat:
            A.append(f"Carsat : {len(recus_carsat - pour_carsat)} reçus inconnus, {len(pour_carsat - recus_carsat)} jamais reçus")
        pour_caf = {m.id for m in msgs if m.destinataire == "caf-042"}
        if set(boite_par_id) != pour_caf:
            A.append(f"CAF : {len(set(boite_par_id) - pour_caf)} lus inconnus, {len(pour_caf - set(boite_par_id))} jamais lus")
        if any(not b[3] for b in boite) or any(m.statut != "acquitte" for m in msgs):
            A.append("des messages ne sont pas acquittés")
        erreurs_carsat = [a for a in actions if a[1] == "erreur"]
        if erreurs_carsat:
            A.append(f"Carsat : {len(erreurs_carsat)} réponses refusées ({Counter(a[2] for a in erreurs_carsat)})")
        if refus_carsat:
            A.append(f"Carsat : signatures de la passerelle refusées {dict(refus_carsat)}")
        livraisons_http = sum(r[2] for r in recus)
        if incidents_caf:
            L.append(f"  (incidents réseau côté CAF, rattrapés : {len(incidents_caf)})")
        L.append(f"Contrôles : Carsat {len(recus_carsat)} identifiants reçus en {livraisons_http} livraisons HTTP "
                 f"(dédoublonnées) ; CAF {len(boite)} lus, {sum(b[3] for b in boite)} acquittés ; "
                 f"rien d'autre n'est arrivé chez personne")

    @staticmethod
    def _detail_rdc(allocataires: list[tuple], lots_: list[Any]) -> str:  # type: ignore[type-arg]
        en_lot = sum(1 for a in allocataires if a[1] == "rdc" and a[2] == "lot" and a[4] == "accepte")
        unitaires = sum(1 for a in allocataires if a[1] == "rdc" and a[2] != "lot" and a[4] == "accepte")
        return f"{en_lot} en {len(lots_)} lots mensuels, {unitaires} unitaires"
