"""A consultation in three steps, so that no database transaction waits on another caisse.

1. ``ouvrir`` — in the request's transaction: authorise, validate, route, and journal the
   question (``consultation_demandee``) — committed before anyone is asked, so that even a
   consultation whose answer is lost in a crash left its trace (who asked what, about whom).
2. ``interroger`` — no transaction: the destination's connector, bounded by
   ``consultation_delai``; every failure becomes a :class:`ConsultationImpossible` value.
3. ``clore`` — a second, short transaction: journal the answer (``consultation_repondue``, with
   the answer's digest) or the failure (``consultation_echouee``, with its code). The caller
   gets the answer only once that entry is committed.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import rfc8785
import structlog
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from connecteurs.base import Consultation
from connecteurs.erreurs import ConsultationImpossible
from passerelle.acheminement.connecteurs import ConnecteurIndisponible, Connecteurs
from passerelle.annuaire.modeles import Organisme
from passerelle.catalogue.traduction import traduire_erreurs
from passerelle.catalogue.validation import lire_json, champs_nir
from passerelle.consultations.modeles import DemandeConsultation, ReponseConsultation
from passerelle.consultations.registre import DefinitionConsultation
from passerelle.erreurs import ErreurChamp, Introuvable, Refus, RefusValidation, citer
from passerelle.journal import decisions
from passerelle.journal.ecriture import horodatage_texte
from passerelle.reception.dependances import DependancesChemin
from passerelle.reception.etapes import Authentifie, Routage, acheminer, autoriser_envoi, lire
from passerelle.reception.refus import au_stade
from passerelle.signature.authentification import Appelant
from passerelle.signature.contenu import empreinte_contenu

journal_technique = structlog.get_logger("passerelle.consultations")
OPERATION = "consultation"

# Problem status of each failure code (RFC 9457); an unknown code falls back on ``temporaire``.
STATUTS = {
    "consultation_delai_depasse": (504, "Délai de consultation dépassé"),
    "destinataire_indisponible": (503, "Destinataire indisponible"),
    "consultation_non_prise_en_charge": (503, "Consultation non prise en charge par le destinataire"),
    "reponse_destinataire_invalide": (502, "Réponse du destinataire invalide"),
    "consultation_refusee_par_destinataire": (502, "Consultation refusée par le destinataire"),
}


def statut_echec(echec: ConsultationImpossible) -> tuple[int, str]:
    """503 when asking again may work, 502 when the destination's answer is the problem."""
    return STATUTS.get(echec.code, (503, "Destinataire indisponible") if echec.temporaire else (502, "Échec de la consultation"))


@dataclass(frozen=True)
class ConsultationOuverte:
    """The question, journaled and committed; what steps 2 and 3 need."""

    id: str
    definition: DefinitionConsultation
    appelant: Appelant
    destinataire: Organisme
    convention: str
    demande: DemandeConsultation
    parametres: dict[str, Any]  # what the destination receives: the question without its envelope
    nir: str | None
    empreinte: str | None
    demande_le: datetime
    journal_index: int


@dataclass(frozen=True)
class Issue:
    """The outcome of step 2: an answer checked against its model, or why there is none."""

    duree: float  # seconds
    reponse: dict[str, Any] | None = None
    echec: ConsultationImpossible | None = None


def valider_demande(definition: DefinitionConsultation, corps: bytes, jour: date, *, objet: Any = None) -> DemandeConsultation:
    """The question fits its model and its rules, every fault listed (as for a flux).
    ``objet``: the body already read by ``lire_json`` (step 1 reads the envelope first)."""
    if objet is None:
        objet = lire_json(corps)
    if not isinstance(objet, dict):
        raise RefusValidation(
            "schema_invalide",
            f"une consultation {definition.nom} est un objet JSON (entre accolades)",
            [ErreurChamp(champ="", message="objet JSON attendu (entre accolades)")],
        )
    try:
        demande = definition.demande.model_validate_json(corps)
    except ValidationError as exc:
        details = exc.errors(include_url=False)
        erreurs = traduire_erreurs(details)
        nirs = champs_nir(definition.demande)  # type: ignore[arg-type]
        if all(d["type"] == "value_error" and d["loc"] and d["loc"][0] in nirs for d in details):
            raise RefusValidation("nir_invalide", "NIR invalide : voir la raison précise dans erreurs", erreurs) from None
        raise RefusValidation(
            "schema_invalide",
            f"la question ne respecte pas le modèle de la consultation {definition.nom} : "
            f"{len(erreurs)} erreur(s), détaillées dans erreurs",
            erreurs,
        ) from None
    manquements = demande.manquements(jour)
    if manquements:
        raise RefusValidation(
            "regle_consultation",
            f"la consultation {definition.nom} enfreint {len(manquements)} règle(s), détaillée(s) dans erreurs",
            manquements,
        )
    return demande


def ouvrir(deps: DependancesChemin, connexion: Connection, authentifie: Authentifie, type_: str, corps: bytes,
           instant: datetime) -> ConsultationOuverte:
    """Step 1, inside the request's transaction: the path's ``Lu → Achemine → Autorise`` for a
    consultation type, its own validation, then the question journaled. Raises ``Refuse``."""
    verifie = authentifie.verifie
    with au_stade(lambda: verifie.connu):
        definition = deps.consultations.get(type_)
        if definition is None:
            raise Introuvable(
                "consultation_inconnue",
                f"la consultation {citer(type_)} n'existe pas ({', '.join(sorted(deps.consultations)) or 'aucune'})",
            )
    routage = Routage(definition.flux, definition.types_destinataires, definition.mutualisation)
    lu = lire(verifie, definition, routage, corps)
    achemine = acheminer(lu, deps, instant, None)  # a question answers no message
    autorise = autoriser_envoi(achemine, deps, instant, connexion)
    with au_stade(lambda: autorise.connu):
        demande = valider_demande(definition, corps, instant.date(), objet=lu.objet)
    appelant, destinataire = verifie.appelant, achemine.destinataire
    nir = getattr(demande, "nir_assure", None)
    consultation_id = str(uuid.uuid4())
    empreinte = verifie.requete.contexte.empreinte
    details: dict[str, object] = {"operation": OPERATION, "type": definition.nom, "requete": verifie.requete.contexte.requete_id}
    details.update(verifie.requete.contexte.details)
    convention = autorise.autorisation.convention
    echange = decisions.Echange(appelant, definition.flux, consultation_id, destinataire.code, nir, convention)
    index = deps.journal.ecrire(connexion, decisions.consultation_demandee(echange, instant, empreinte, details))
    return ConsultationOuverte(
        id=consultation_id,
        definition=definition,
        appelant=appelant,
        destinataire=destinataire,
        convention=convention,
        demande=demande,
        parametres=demande.model_dump(mode="json", exclude={"destinataire", "reference"}, exclude_none=True),
        nir=nir,
        empreinte=empreinte,
        demande_le=instant,
        journal_index=index,
    )


def valider_reponse(ouverte: ConsultationOuverte, donnees: dict[str, Any]) -> dict[str, Any]:
    """The destination's answer as its model allows it, or ``reponse_destinataire_invalide``.

    Read from JSON text, like a question: dates are ``AAAA-MM-JJ`` strings, never objects. The
    detail names fields, never values: it is journaled.
    """
    definition = ouverte.definition
    try:
        texte = json.dumps(donnees, ensure_ascii=False, allow_nan=False)
        reponse: ReponseConsultation = definition.reponse.model_validate_json(texte)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            fautes = [f"{e.champ or '(racine)'} : {e.message}" for e in traduire_erreurs(exc.errors(include_url=False))]
        else:
            fautes = ["réponse non sérialisable en JSON"]
        raise ConsultationImpossible(
            "reponse_destinataire_invalide", True, f"réponse hors du modèle {definition.nom} : " + " ; ".join(fautes[:10])
        ) from None
    fautes = reponse.manquements(ouverte.demande)
    if fautes:
        raise ConsultationImpossible(
            "reponse_destinataire_invalide", True, "réponse sans rapport avec la question : " + " ; ".join(fautes[:10])
        )
    return reponse.model_dump(mode="json", exclude_none=True)


async def interroger(connecteurs: Connecteurs, ouverte: ConsultationOuverte, delai: float) -> Issue:
    """Step 2, outside any transaction. Never raises: a failure is the ``echec`` of the issue."""
    debut = time.perf_counter()
    question = Consultation(
        type=ouverte.definition.nom,
        emetteur=ouverte.appelant.organisme.code,
        destinataire=ouverte.destinataire.code,
        parametres=ouverte.parametres,
    )
    try:
        connecteur = connecteurs.pour(ouverte.destinataire)
        async with asyncio.timeout(delai):
            obtenue = await connecteur.consulter(question)
        if not isinstance(obtenue.donnees, dict):
            raise ConsultationImpossible("reponse_destinataire_invalide", True, "réponse qui n'est pas un objet JSON")
        reponse = valider_reponse(ouverte, obtenue.donnees)
    except ConsultationImpossible as impossible:
        return Issue(duree=time.perf_counter() - debut, echec=impossible)
    except TimeoutError:
        echec = ConsultationImpossible("consultation_delai_depasse", True, f"pas de réponse en {delai:g} s")
        return Issue(duree=time.perf_counter() - debut, echec=echec)
    except ConnecteurIndisponible:
        journal_technique.exception("connecteur_indisponible", destinataire=ouverte.destinataire.code)
        echec = ConsultationImpossible("destinataire_indisponible", True, "connecteur du destinataire inutilisable")
        return Issue(duree=time.perf_counter() - debut, echec=echec)
    except Exception as exc:  # noqa: BLE001 — a connector's own defect: the caller still gets a problem
        journal_technique.exception("consultation_connecteur_en_erreur", destinataire=ouverte.destinataire.code)
        echec = ConsultationImpossible("destinataire_indisponible", True, f"erreur du connecteur ({type(exc).__name__})")
        return Issue(duree=time.perf_counter() - debut, echec=echec)
    return Issue(duree=time.perf_counter() - debut, reponse=reponse)


def clore(deps: DependancesChemin, ouverte: ConsultationOuverte, issue: Issue) -> dict[str, Any]:
    """Step 3: journal the outcome in its own transaction; then the signed answer's content,
    or the failure raised as a problem (journaled as ``consultation_echouee``, not a refusal)."""
    instant = deps.horloge()
    appelant = ouverte.appelant
    details: dict[str, object] = {
        "operation": OPERATION,
        "type": ouverte.definition.nom,
        "demande": ouverte.journal_index,
        "duree_ms": round(issue.duree * 1000, 1),
    }
    empreinte_reponse = None
    if issue.echec is not None:
        statut, titre = statut_echec(issue.echec)
        details.update(statut=statut, temporaire=issue.echec.temporaire)
        if issue.echec.detail:
            details["cause"] = issue.echec.detail[:500]
    else:
        empreinte_reponse = empreinte_contenu(rfc8785.dumps(issue.reponse))
    echange = decisions.Echange(appelant, ouverte.definition.flux, ouverte.id, ouverte.destinataire.code, ouverte.nir,
                                ouverte.convention)
    decision = decisions.consultation_close(echange, instant, echec=issue.echec.code if issue.echec is not None else None,
                                            empreinte_reponse=empreinte_reponse, details=details)
    with deps.transactions.ecrire() as connexion:
        index = deps.journal.ecrire(connexion, decision)
    if issue.echec is not None:
        deps.metriques.decisions.labels(OPERATION, "echec", issue.echec.code).inc()
        raise Refus(
            code=issue.echec.code,
            detail=f"la consultation {ouverte.id} auprès de {ouverte.destinataire.code} n'a pas abouti"
            + (f" : {issue.echec.detail}" if issue.echec.detail else "")
            + (" ; elle peut être renouvelée plus tard" if issue.echec.temporaire else ""),
            statut=statut,
            titre=titre,
        )
    deps.metriques.decisions.labels(OPERATION, "repondue", "").inc()
    return {
        "id": ouverte.id,
        "type": ouverte.definition.nom,
        "emetteur": appelant.organisme.code,
        "destinataire": ouverte.destinataire.code,
        "convention": ouverte.convention,
        "reference": ouverte.demande.reference,
        "demande_le": horodatage_texte(ouverte.demande_le),
        "repondu_le": horodatage_texte(instant),
        "empreinte": ouverte.empreinte,
        "empreinte_reponse": empreinte_reponse,
        "journal_index_demande": ouverte.journal_index,
        "journal_index": index,
        "reponse": issue.reponse,
    }
