"""``POST /v1/flux/{flux}``: authenticate, authorise, validate, route, commit, answer.

Each step is a call to the package that owns it; this module only puts them in order and holds
the one transaction. The receipt is signed by the gateway so the sender keeps proof of what was
received and when.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from passerelle.catalogue.validation import ContexteValidation, valider_message
from passerelle.erreurs import Introuvable, Refus, RefusValidation
from passerelle.habilitations.decision import FaitsEchange, decider
from passerelle.journal.ecriture import Decision, horodatage_texte
from passerelle.acheminement.routage import choisir_destinataire
from passerelle.reception.transaction import Trace, executer
from passerelle.services import Services
from passerelle.signature.authentification import authentifier
from passerelle.signature.base import MessageHttp
from passerelle.signature.signature import signer_reponse
from passerelle.stockage import messages

TAILLE_MAX_CLE_IDEMPOTENCE = 255


@dataclass(frozen=True)
class ReponseHttp:
    statut: int
    corps: bytes
    entetes: dict[str, str]


class _CourseIdempotence(Exception):
    """Another request with the same Idempotency-Key committed first: undo ours, answer theirs."""


def reponse_signee(services: Services, statut: int, contenu: dict[str, object]) -> ReponseHttp:
    corps = json.dumps(contenu, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    entetes = {"content-type": "application/json"}
    entetes.update(
        signer_reponse(
            statut=statut,
            entetes=entetes,
            corps=corps,
            cle=services.secrets.cle_signature,
            keyid=services.secrets.signature_active,
            maintenant=int(services.horloge().timestamp()),
        )
    )
    return ReponseHttp(statut, corps, {k.lower(): v for k, v in entetes.items()})


def _verifier_cle_idempotence(cle: str) -> None:
    if not (0 < len(cle) <= TAILLE_MAX_CLE_IDEMPOTENCE) or not cle.isascii() or not cle.isprintable():
        raise Refus(
            code="idempotence_cle_invalide",
            detail=f"Idempotency-Key doit faire 1 à {TAILLE_MAX_CLE_IDEMPOTENCE} caractères ASCII imprimables",
        )


def _reponse_deja_donnee(connexion: Connection, emetteur: str, cle: str, empreinte: str) -> ReponseHttp | None:
    deja = messages.lire_idempotence(connexion, emetteur, cle)
    if deja is None:
        return None
    if deja.empreinte != empreinte:
        raise RefusValidation(
            "idempotence_conflit",
            "cette Idempotency-Key a déjà servi pour un autre contenu: une clé neuve est nécessaire "
            "pour un nouveau message",
        )
    return ReponseHttp(deja.statut_http, deja.corps, deja.entetes)


def _enveloppe(corps: bytes) -> dict[str, object]:
    """The envelope fields, read loosely: full validation (with precise errors) comes later."""
    try:
        donnees = json.loads(corps)
    except (ValueError, UnicodeDecodeError):
        return {}
    return donnees if isinstance(donnees, dict) else {}


def _texte(valeur: object) -> str | None:
    return valeur if isinstance(valeur, str) and valeur else None


def deposer(
    services: Services,
    trace: Trace,
    message_http: MessageHttp,
    corps: bytes,
    flux: str,
    cle_idempotence: str | None,
) -> ReponseHttp:
    reglages = services.reglages
    trace.flux = flux
    empreinte = trace.empreinte or ""

    def operation(connexion: Connection, trace: Trace) -> ReponseHttp:
        instant = services.horloge()
        annuaire = services.annuaire.actuel()
        appelant = authentifier(
            connexion,
            annuaire,
            message_http,
            corps,
            instant,
            fenetre=reglages.fenetre_signature,
            derive=reglages.derive_horloge,
        )
        trace.appelant = appelant
        emetteur = appelant.organisme
        if cle_idempotence is not None:
            _verifier_cle_idempotence(cle_idempotence)
            deja = _reponse_deja_donnee(connexion, emetteur.code, cle_idempotence, empreinte)
            if deja is not None:
                return deja
        definition = services.catalogue.get(flux)
        if definition is None:
            raise Introuvable("flux_inconnu", f"le flux {flux!r} n'existe pas ({', '.join(sorted(services.catalogue))})")

        enveloppe = _enveloppe(corps)
        trace.nir = _texte(enveloppe.get("nir_assure"))
        demande = None
        if definition.repond_a:
            reference = _texte(enveloppe.get("en_reponse_a"))
            if reference is None:
                raise RefusValidation(
                    "reponse_sans_demande",
                    f"le flux {flux} répond à un message {' ou '.join(definition.repond_a)}: "
                    "en_reponse_a doit donner son identifiant",
                )
            demande = messages.lire(connexion, reference)
            if demande is None or demande.destinataire != emetteur.code:
                raise RefusValidation(
                    "demande_inconnue",
                    f"aucun message {reference!r} n'a été adressé à {emetteur.code}",
                )
            if demande.flux not in definition.repond_a:
                raise RefusValidation(
                    "reponse_inattendue",
                    f"le message {reference} est un {demande.flux}; le flux {flux} répond à "
                    f"{' ou '.join(definition.repond_a)}",
                )
        destinataire = choisir_destinataire(
            emetteur=emetteur,
            demande=_texte(enveloppe.get("destinataire")),
            reponse_a_emetteur=demande.emetteur if demande else None,
            types_destinataires=definition.types_destinataires,
            annuaire=annuaire,
        )
        trace.destinataire = destinataire.code
        autorisation = decider(
            FaitsEchange(emetteur=emetteur, destinataire=destinataire, flux=flux, jour=instant.date()),
            services.conventions,
        )
        valide = valider_message(
            definition,
            corps,
            ContexteValidation(emetteur=emetteur, aujourd_hui=instant.date(), table_age_legal=services.table_age_legal),
        )
        trace.nir = valide.nir
        nir_index = services.journal.index_nir(valide.nir) if valide.nir else None
        if demande is not None and demande.nir_index != nir_index:
            raise RefusValidation(
                "nir_incoherent",
                f"le NIR de ce message n'est pas celui du message {demande.id} auquel il répond",
            )

        message_id = str(uuid.uuid4())
        trace.message = message_id
        details: dict[str, object] = {}
        if valide.regles_version:
            details["regles"] = valide.regles_version
        if demande is not None:
            details["en_reponse_a"] = demande.id
        journal_index = services.journal.ecrire(
            connexion,
            Decision(
                decision="accepte",
                horodatage=instant,
                flux=flux,
                message=message_id,
                organisme=emetteur.code,
                destinataire=destinataire.code,
                keyid=appelant.cle.keyid,
                agent=appelant.agent,
                robot=appelant.cle.robot,
                nir=valide.nir,
                empreinte=empreinte,
                convention=autorisation.convention,
                details=details,
            ),
        )
        contenu = json.dumps(valide.donnees, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        messages.inserer(
            connexion,
            messages.LigneMessage(
                seq=0,
                id=message_id,
                flux=flux,
                emetteur=emetteur.code,
                destinataire=destinataire.code,
                keyid=appelant.cle.keyid,
                agent=appelant.agent,
                reference=_texte(getattr(valide.modele, "reference", None)),
                en_reponse_a=demande.id if demande else None,
                nir_index=nir_index,
                empreinte=empreinte,
                recu_le=instant,
                statut=messages.RECU,
                acquitte_le=None,
                acquitte_par=None,
                contenu=services.coffre.chiffrer(contenu, message_id.encode("ascii")),
                journal_index=journal_index,
                regles_version=valide.regles_version,
            ),
        )
        reponse = reponse_signee(
            services,
            202,
            {
                "id": message_id,
                "flux": flux,
                "emetteur": emetteur.code,
                "destinataire": destinataire.code,
                "recu_le": horodatage_texte(instant),
                "empreinte": empreinte,
                "journal_index": journal_index,
                "statut": messages.RECU,
                "convention": autorisation.convention,
            },
        )
        if cle_idempotence is not None:
            enregistree = messages.ReponseEnregistree(empreinte, reponse.statut, reponse.corps, reponse.entetes)
            if not messages.enregistrer_idempotence(connexion, emetteur.code, cle_idempotence, enregistree, instant):
                raise _CourseIdempotence()
        return reponse

    try:
        return executer(services, trace, operation)
    except _CourseIdempotence:
        appelant, cle = trace.appelant, cle_idempotence
        assert appelant is not None and cle is not None

        def reponse_de_l_autre(connexion: Connection, _trace: Trace) -> ReponseHttp:
            deja = _reponse_deja_donnee(connexion, appelant.organisme.code, cle, empreinte)
            assert deja is not None  # the conflicting row was committed before ours was refused
            return deja

        return executer(services, trace, reponse_de_l_autre)
