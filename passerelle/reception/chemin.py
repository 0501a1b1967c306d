"""``POST /v1/flux/{flux}``, top to bottom: verify, authenticate, read, route, authorise,
validate, commit, answer with a signed receipt.

    Requete → Verifie → Authentifie → (Idempotency-Key) → Lu → Achemine → Autorise → Valide → Depot

The steps are in :mod:`passerelle.reception.etapes` and :mod:`passerelle.reception.inscription`;
this module calls them in order. One performance trick keeps the write lock for the database
work only: what needs no database runs outside the group-committed transaction — the signature,
and for a flux that answers no earlier message everything from ``Lu`` to ``Valide`` — while
inside run only admission (nonce, a robot's rate), the Idempotency-Key and the writes. A
refusal found early is raised inside, at its place in the order of the checks (signature,
replay, robot, Idempotency-Key, flux, JSON, request answered, destination, convention, schema
and rules, minimisation, NIR), so the answer and the journal are those of the checks run one
after the other. Midnight between the two: the message is examined again, inside, for the day
it is recorded on. A receipt tied to an Idempotency-Key is signed inside, since that exact
answer is stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from passerelle.erreurs import Refus, RefusValidation
from passerelle.reception.dependances import DependancesChemin, ReponseHttp
from passerelle.reception.etapes import Requete, Valide, Verifie, authentifier, examiner, verifier
from passerelle.reception.inscription import inscrire
from passerelle.reception.refus import Connu, Refuse, au_stade, executer_groupe
from passerelle.stockage import messages

TAILLE_MAX_CLE_IDEMPOTENCE = 255


class _CourseIdempotence(Exception):
    """Another request with the same Idempotency-Key committed first: undo ours, answer theirs."""


def verifier_cle_idempotence(cle: str) -> None:
    if not (0 < len(cle) <= TAILLE_MAX_CLE_IDEMPOTENCE) or not cle.isascii() or not cle.isprintable():
        raise Refus(
            code="idempotence_cle_invalide",
            detail=f"Idempotency-Key doit faire 1 à {TAILLE_MAX_CLE_IDEMPOTENCE} caractères ASCII imprimables",
        )


def _reponse_deja_donnee(connexion: Connection, emetteur: str, cle: str, flux: str, empreinte: str) -> ReponseHttp | None:
    deja = messages.lire_idempotence(connexion, emetteur, cle)
    if deja is None:
        return None
    if deja.empreinte != empreinte or deja.flux != flux:
        raise RefusValidation(
            "idempotence_conflit",
            "cette Idempotency-Key a déjà servi pour un autre contenu: une clé neuve est nécessaire "
            "pour un nouveau message",
        )
    return ReponseHttp(deja.statut_http, deja.corps, deja.entetes)


def examinable_sans_base(deps: DependancesChemin, flux: str) -> bool:
    """A message of ``flux`` can be examined before its transaction: it answers no earlier
    message (an answer is checked against the stored request)."""
    definition = deps.catalogue.get(flux)
    return definition is not None and not definition.repond_a


def _essayer_verifier(requete: Requete, deps: DependancesChemin) -> Verifie | Refuse:
    try:
        return verifier(requete, deps)
    except Refuse as refuse:
        return refuse


def examiner_avant_transaction(verifie: Verifie, flux: str, corps: bytes, deps: DependancesChemin,
                       instant: datetime) -> Valide | Refuse:
    try:
        return examiner(verifie, flux, corps, deps, instant, None)
    except Refuse as refuse:
        return refuse


async def deposer(requete: Requete, flux: str, corps: bytes, cle_idempotence: str | None,
                  deps: DependancesChemin) -> ReponseHttp:
    empreinte = requete.contexte.empreinte or ""
    verifie = _essayer_verifier(requete, deps)
    prealable: Valide | Refuse | None = None
    examine_le = deps.horloge()
    if isinstance(verifie, Verifie) and examinable_sans_base(deps, flux):
        prealable = examiner_avant_transaction(verifie, flux, corps, deps, examine_le)

    def operation(connexion: Connection) -> ReponseHttp | dict[str, object]:
        if isinstance(verifie, Refuse):
            raise verifie
        instant = deps.horloge()
        authentifie = authentifier(verifie, connexion, deps)
        emetteur = authentifie.appelant.organisme.code
        if cle_idempotence is not None:
            with au_stade(lambda: authentifie.connu):
                verifier_cle_idempotence(cle_idempotence)
                deja = _reponse_deja_donnee(connexion, emetteur, cle_idempotence, flux, empreinte)
            if deja is not None:
                return deja
        # Examined on another day than the one now recorded (midnight in between): again, here.
        examen = prealable if prealable is not None and examine_le.date() == instant.date() else None
        if examen is None:
            examen = examiner(verifie, flux, corps, deps, instant, connexion)
        if isinstance(examen, Refuse):
            raise examen
        depot = inscrire(authentifie, examen, connexion, deps, instant)
        if cle_idempotence is None:
            return depot.recu  # signed once committed, outside the transaction
        reponse = deps.signeur.reponse(202, depot.recu)
        enregistree = messages.ReponseEnregistree(flux, empreinte, reponse.statut, reponse.corps, reponse.entetes)
        if not messages.enregistrer_idempotence(connexion, emetteur, cle_idempotence, enregistree, instant):
            raise _CourseIdempotence()
        return reponse

    try:
        resultat = await executer_groupe(deps.journalisation, requete.contexte, operation)
    except _CourseIdempotence:
        assert isinstance(verifie, Verifie) and cle_idempotence is not None
        emetteur, cle = verifie.appelant.organisme.code, cle_idempotence

        def reponse_de_l_autre(connexion: Connection) -> ReponseHttp:
            deja = _reponse_deja_donnee(connexion, emetteur, cle, flux, empreinte)
            assert deja is not None  # the conflicting row was committed before ours was refused
            return deja

        return await executer_groupe(deps.journalisation, requete.contexte, reponse_de_l_autre)
    return resultat if isinstance(resultat, ReponseHttp) else deps.signeur.reponse(202, resultat)


def requete_de_flux(requete: Requete, flux: str) -> Requete:
    """The request of ``POST /v1/flux/{flux}``: a refusal before any check names the flux."""
    return Requete(requete.contexte, requete.message, requete.corps, Connu(flux=flux))
