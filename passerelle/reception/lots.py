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
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from passerelle.erreurs import Conflit, Introuvable, Refus, RefusValidation, citer
from passerelle.journal.ecriture import Decision
from passerelle.reception.acceptation import accepter
from passerelle.reception.depot import verifier_cle_idempotence
from passerelle.reception.lignes import Ligne, Source, lignes_csv, lignes_ndjson, lire_entete
from passerelle.reception.transaction import Trace, authentifier_appelant, decision_de_refus, executer
from passerelle.services import Services
from passerelle.signature.authentification import Appelant
from passerelle.signature.base import MessageHttp
from passerelle.signature.contenu import CorpsHache, empreinte_contenu, empreinte_de
from passerelle.stockage.dialecte import inserer_sauf_conflit
from passerelle.stockage.tables import lots, lots_resultats

NDJSON = "application/x-ndjson"
CSV = "text/csv"


@dataclass(frozen=True)
class EtatLot:
    flux: str
    empreinte: str
    lignes_traitees: int
    acceptees: int
    refusees: int
    termine: bool


def _lire_etat(connexion: Connection, emetteur: str, cle: str) -> EtatLot | None:
    row = connexion.execute(sa.select(lots).where(lots.c.emetteur == emetteur, lots.c.cle == cle)).first()
    if row is None:
        return None
    m = row._mapping
    return EtatLot(m["flux"], m["empreinte"], m["lignes_traitees"], m["acceptees"], m["refusees"], m["termine"])


@dataclass(frozen=True)
class ResultatLot:
    appelant: Appelant
    resume: dict[str, Any]


def _ouvrir(services: Services, trace: Trace, message: MessageHttp, hache: CorpsHache, chemin: Source, format_: str,
            flux: str, cle: str | None, instant: datetime) -> tuple[Appelant, EtatLot]:
    empreinte = empreinte_de(hache)

    def operation(connexion: Connection, trace: Trace) -> tuple[Appelant, EtatLot]:
        appelant = authentifier_appelant(services, connexion, trace, message, hache)
        if cle is None:
            raise Refus(code="cle_lot_absente", detail="un lot porte une Idempotency-Key: elle permet de le reprendre sans doublon")
        verifier_cle_idempotence(cle)
        if flux not in services.catalogue:
            raise Introuvable("flux_inconnu", f"le flux {citer(flux)} n'existe pas ({', '.join(sorted(services.catalogue))})")
        emetteur = appelant.organisme.code
        valeurs = {"emetteur": emetteur, "cle": cle, "flux": flux, "empreinte": empreinte, "lignes_traitees": 0,
                   "acceptees": 0, "refusees": 0, "termine": False, "cree_le": instant, "modifie_le": instant}
        if format_ == CSV:  # the header alone can refuse the whole batch
            lire_entete(chemin, services.catalogue[flux].modele, services.reglages.taille_max_corps)
        inserer_sauf_conflit(connexion, lots, valeurs)
        etat = _lire_etat(connexion, emetteur, cle)
        assert etat is not None
        if etat.empreinte != empreinte or etat.flux != flux:
            raise RefusValidation("idempotence_conflit", "cette Idempotency-Key a déjà servi pour un autre lot: une clé neuve est nécessaire")
        return appelant, etat

    return executer(services, trace, operation)


def _tranche(services: Services, connexion: Connection, trace: Trace, appelant: Appelant, flux: str,
             cle: str, lignes: list[Ligne], instant: datetime) -> tuple[list[dict[str, Any]], int, int]:
    resultats: list[dict[str, Any]] = []
    acceptees = refusees = 0
    for ligne in lignes:
        suivi = Trace(operation="lot", requete_id=trace.requete_id, appelant=appelant,
                      details={"lot": cle, "ligne": ligne.numero})
        try:
            if ligne.refus is not None:
                raise ligne.refus
            assert ligne.corps is not None
            suivi.empreinte = empreinte_contenu(ligne.corps)
            acceptation = accepter(services, connexion, suivi, appelant, flux, ligne.corps, suivi.empreinte, instant)
            recu = acceptation.recu
            resultats.append({"ligne": ligne.numero, "id": recu["id"], "destinataire": recu["destinataire"],
                              "journal_index": recu["journal_index"]})
            acceptees += 1
        except Refus as refus:
            services.journal.ecrire(connexion, decision_de_refus(suivi, refus, services))
            resultats.append({"ligne": ligne.numero, "probleme": refus.probleme()})
            refusees += 1
    return resultats, acceptees, refusees


def traiter_lot(services: Services, trace: Trace, message: MessageHttp, hache: CorpsHache, chemin: Source,
                flux: str, cle: str | None, format_: str) -> ResultatLot:
    instant = services.horloge()
    trace.flux = flux
    trace.empreinte = empreinte_de(hache)
    appelant, etat = _ouvrir(services, trace, message, hache, chemin, format_, flux, cle, instant)
    assert cle is not None
    emetteur = appelant.organisme.code
    if not etat.termine:
        modele = services.catalogue[flux].modele
        limite, deja = services.reglages.taille_max_corps, etat.lignes_traitees
        if format_ == NDJSON:
            source = lignes_ndjson(chemin, limite, deja)
        else:
            source = lignes_csv(chemin, modele, limite, deja)
        _avancer(services, trace, appelant, flux, cle, source, etat)
    with services.moteur.connect() as connexion:
        final = _lire_etat(connexion, emetteur, cle)
    assert final is not None
    return ResultatLot(appelant, {"lot": cle, "flux": flux, "lignes": final.lignes_traitees,
                                  "acceptees": final.acceptees, "refusees": final.refusees, "empreinte": final.empreinte})


def _avancer(services: Services, trace: Trace, appelant: Appelant, flux: str, cle: str,
             source: Iterator[Ligne], etat: EtatLot) -> None:
    emetteur = appelant.organisme.code
    taille = services.reglages.lot_tranche
    faites, acceptees, refusees = etat.lignes_traitees, etat.acceptees, etat.refusees
    lot_lignes: list[Ligne] = []

    def valider_tranche(dernieres: list[Ligne], fin: bool) -> None:
        nonlocal faites, acceptees, refusees
        instant = services.horloge()
        with services.ecriture, services.moteur.begin() as connexion:
            resultats, a, r = _tranche(services, connexion, trace, appelant, flux, cle, dernieres, instant)
            avance = connexion.execute(
                sa.update(lots)
                .where(lots.c.emetteur == emetteur, lots.c.cle == cle, lots.c.lignes_traitees == faites)
                .values(lignes_traitees=faites + len(dernieres), acceptees=acceptees + a, refusees=refusees + r,
                        termine=fin, modifie_le=instant)
                .returning(lots.c.cle)
            ).first()
            if avance is None:
                raise Conflit("lot_en_cours", "ce lot est traité en ce moment par une autre requête: réessayez plus tard")
            numero = connexion.execute(
                sa.select(sa.func.count()).select_from(lots_resultats)
                .where(lots_resultats.c.emetteur == emetteur, lots_resultats.c.cle == cle)
            ).scalar_one()
            # backslashreplace: should a message ever hold a lone surrogate, it stays a JSON escape
            contenu = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in resultats).encode("utf-8", "backslashreplace")
            connexion.execute(sa.insert(lots_resultats).values(emetteur=emetteur, cle=cle, tranche=numero, resultats=zlib.compress(contenu)))
            if fin:
                services.journal.ecrire(connexion, Decision(
                    decision="lot_traite", horodatage=instant, flux=flux, organisme=emetteur,
                    keyid=appelant.cle.keyid, agent=appelant.agent, robot=appelant.cle.robot, empreinte=trace.empreinte,
                    details={"lot": cle, "lignes": faites + len(dernieres), "acceptees": acceptees + a, "refusees": refusees + r},
                ))
        faites += len(dernieres)
        acceptees += a
        refusees += r

    for ligne in source:
        if ligne.numero <= etat.lignes_traitees:
            continue
        lot_lignes.append(ligne)
        if len(lot_lignes) >= taille:
            valider_tranche(lot_lignes, False)
            lot_lignes = []
    valider_tranche(lot_lignes, True)


def resultats_lot(services: Services, emetteur: str, cle: str) -> Iterator[bytes]:
    """The per-line results, chunk by chunk, in line order."""
    with services.moteur.connect() as connexion:
        tranches = connexion.execute(
            sa.select(lots_resultats.c.resultats)
            .where(lots_resultats.c.emetteur == emetteur, lots_resultats.c.cle == cle)
            .order_by(lots_resultats.c.tranche)
        )
        for (compresse,) in tranches:
            yield zlib.decompress(compresse)
