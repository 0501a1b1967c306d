"""Batches: many messages of one flux in one signed request, each line decided alone.

The body is spooled to disk while its digest is computed, so a national yearly batch never
sits whole in memory — encrypted under a key held in memory for the request only
(``stockage/tampons.py``); once the signature and digest hold, lines are read back one by one
(:mod:`passerelle.reception.lignes`, bounded whatever a line holds) and each goes through the
very acceptance of a single message, its refusal journaled like one.
Lines are committed in chunks; the batch key records how far it went, so a batch sent again
after a cut (same key, same bytes) resumes after the last committed line and no line counts
twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.erreurs import Conflit, Refus, RefusValidation
from passerelle.journal import decisions
from passerelle.reception.chemin import verifier_cle_idempotence
from passerelle.reception.dependances import DependancesChemin
from passerelle.reception.etapes import Authentifie, Requete, Verifie, authentifier, definition_du_flux, examiner, verifier
from passerelle.reception.inscription import inscrire
from passerelle.reception.lignes import Ligne, Source, lignes_csv, lignes_ndjson, lire_entete
from passerelle.reception.refus import Connu, Refuse, au_stade, executer, journaliser_refus
from passerelle.signature.authentification import Appelant
from passerelle.signature.contenu import empreinte_contenu
from passerelle.stockage import lots as stockage_lots
from passerelle.stockage.differes import differer
from passerelle.stockage.lots import EtatLot

NDJSON = "application/x-ndjson"
CSV = "text/csv"


@dataclass(frozen=True)
class ResultatLot:
    appelant: Appelant
    resume: dict[str, Any]


def _ouvrir(deps: DependancesChemin, requete: Requete, chemin: Source, format_: str, flux: str, cle: str | None,
            instant: datetime) -> tuple[Authentifie, EtatLot]:
    """The batch's own checks, after its caller's: its key, its flux, a CSV header; its row."""
    empreinte = requete.contexte.empreinte or ""

    def operation(connexion: Connection) -> tuple[Authentifie, EtatLot]:
        authentifie = authentifier(verifier(requete, deps), connexion, deps)
        with au_stade(lambda: authentifie.connu):
            if cle is None:
                raise Refus(code="cle_lot_absente", detail="un lot porte une Idempotency-Key: elle permet de le reprendre sans doublon")
            verifier_cle_idempotence(cle)
            definition = definition_du_flux(deps, flux)
            if format_ == CSV:  # the header alone can refuse the whole batch
                lire_entete(chemin, definition.modele, deps.reglages.taille_max_corps)
            etat = stockage_lots.ouvrir(connexion, authentifie.appelant.organisme.code, cle, flux, empreinte, instant)
            if etat.empreinte != empreinte or etat.flux != flux:
                raise RefusValidation("idempotence_conflit", "cette Idempotency-Key a déjà servi pour un autre lot: une clé neuve est nécessaire")
        return authentifie, etat

    return executer(deps.journalisation, requete.contexte, operation)


def _ligne(deps: DependancesChemin, connexion: Connection, lot: Authentifie, flux: str, cle: str, ligne: Ligne,
           instant: datetime) -> dict[str, Any]:
    """One line, decided as the same message sent alone would be (its signature is the
    batch's); its refusal journaled like one. Its result."""
    contexte = lot.verifie.requete.contexte
    details = {"lot": cle, "ligne": ligne.numero}
    if ligne.refus is not None:  # unreadable: nothing known of it but its batch's caller
        refus = journaliser_refus(deps.journalisation, connexion, contexte.pour(details=details),
                                  Refuse(ligne.refus, Connu(appelant=lot.appelant)))
        return {"ligne": ligne.numero, "probleme": refus.probleme()}
    assert ligne.corps is not None
    contexte = contexte.pour(empreinte=empreinte_contenu(ligne.corps), details=details)
    verifie = Verifie(Requete(contexte, lot.verifie.requete.message, ligne.corps), lot.appelant)
    try:
        examen = examiner(verifie, flux, ligne.corps, deps, instant, connexion)
        # An answer to a case already answered or past its deadline is refused by ``inscrire``
        # before it writes anything: a refusal of this line like the others.
        recu = inscrire(Authentifie(verifie, lot.autorise), examen, connexion, deps, instant).recu
    except Refuse as refuse:
        refus = journaliser_refus(deps.journalisation, connexion, contexte, refuse)
        return {"ligne": ligne.numero, "probleme": refus.probleme()}
    return {"ligne": ligne.numero, "id": recu["id"], "destinataire": recu["destinataire"],
            "journal_index": recu["journal_index"]}


def _tranche(deps: DependancesChemin, connexion: Connection, lot: Authentifie, flux: str, cle: str,
             lignes: list[Ligne], instant: datetime) -> tuple[list[dict[str, Any]], int, int]:
    """A chunk of lines in one transaction: their results, how many accepted and refused."""
    resultats = [_ligne(deps, connexion, lot, flux, cle, ligne, instant) for ligne in lignes]
    refusees = sum(1 for x in resultats if "probleme" in x)
    return resultats, len(resultats) - refusees, refusees


def traiter_lot(deps: DependancesChemin, requete: Requete, chemin: Source, flux: str, cle: str | None,
                format_: str) -> ResultatLot:
    instant = deps.horloge()
    lot, etat = _ouvrir(deps, requete, chemin, format_, flux, cle, instant)
    assert cle is not None
    emetteur = lot.appelant.organisme.code
    if not etat.termine:
        modele = deps.catalogue[flux].modele
        limite, deja = deps.reglages.taille_max_corps, etat.lignes_traitees
        if format_ == NDJSON:
            source = lignes_ndjson(chemin, limite, deja)
        else:
            source = lignes_csv(chemin, modele, limite, deja)
        _avancer(deps, lot, flux, cle, source, etat)
    with deps.transactions.lire() as connexion:
        final = stockage_lots.lire_etat(connexion, emetteur, cle)
    assert final is not None
    return ResultatLot(lot.appelant, {"lot": cle, "flux": flux, "lignes": final.lignes_traitees,
                                      "acceptees": final.acceptees, "refusees": final.refusees, "empreinte": final.empreinte})


def _avancer(deps: DependancesChemin, lot: Authentifie, flux: str, cle: str, source: Iterator[Ligne],
             etat: EtatLot) -> None:
    appelant = lot.appelant
    emetteur = appelant.organisme.code
    taille = deps.reglages.lot_tranche
    faites, acceptees, refusees = etat.lignes_traitees, etat.acceptees, etat.refusees
    lot_lignes: list[Ligne] = []

    def inscrire_tranche(dernieres: list[Ligne], fin: bool) -> None:
        nonlocal faites, acceptees, refusees
        instant = deps.horloge()
        # The chunk's journal entries, messages and outbox rows written in one statement each.
        with deps.transactions.ecrire() as connexion, differer(connexion):
            resultats, a, r = _tranche(deps, connexion, lot, flux, cle, dernieres, instant)
            apres = EtatLot(flux, etat.empreinte, faites + len(dernieres), acceptees + a, refusees + r, fin)
            if not stockage_lots.avancer(connexion, emetteur, cle, faites, apres, instant):
                raise Conflit("lot_en_cours", "ce lot est traité en ce moment par une autre requête: réessayez plus tard")
            # backslashreplace: should a message ever hold a lone surrogate, it stays a JSON escape
            contenu = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in resultats).encode("utf-8", "backslashreplace")
            stockage_lots.ajouter_resultats(connexion, emetteur, cle, contenu)
            if fin:
                deps.journal.ecrire(connexion, decisions.lot_traite(
                    appelant, flux, instant, lot.verifie.requete.contexte.empreinte,
                    {"lot": cle, "lignes": apres.lignes_traitees, "acceptees": apres.acceptees, "refusees": apres.refusees},
                ))
        faites, acceptees, refusees = apres.lignes_traitees, apres.acceptees, apres.refusees

    for ligne in source:
        if ligne.numero <= etat.lignes_traitees:
            continue
        lot_lignes.append(ligne)
        if len(lot_lignes) >= taille:
            inscrire_tranche(lot_lignes, False)
            lot_lignes = []
    inscrire_tranche(lot_lignes, True)


def resultats_lot(deps: DependancesChemin, emetteur: str, cle: str) -> Iterator[bytes]:
    """The per-line results, chunk by chunk, in line order."""
    with deps.transactions.lire() as connexion:
        yield from stockage_lots.lire_resultats(connexion, emetteur, cle)
