"""The steps of the request path, each a function from one immutable result to the next.

    Requete ─verifier→ Verifie ─authentifier→ Authentifie            (the caller)
    Verifie ─lire→ Lu ─acheminer→ Achemine ─autoriser_envoi→ Autorise ─valider→ Valide
    Authentifie + Valide ─inscrire (reception/inscription.py)→ Depot

A step takes only the previous step's type, so none can be skipped: a request whose signature
holds but whose nonce is not consumed yet is a ``Verifie``, never an ``Authentifie``. Each
step raises :class:`~passerelle.reception.refus.Refuse`: its refusal with what the step it
started from knew. Nothing here writes; ``authentifier`` (the nonce, a robot's count) and
``acheminer`` for an answer (the request answered) read or write through the connection given.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection

from passerelle.acheminement.routage import choisir_destinataire, pivot_de
from passerelle.annuaire.modeles import Organisme
from passerelle.catalogue.registre import DefinitionFlux
from passerelle.catalogue.validation import ContexteValidation, MessageValide, lire_json, valider_message
from passerelle.erreurs import Introuvable, RefusValidation, citer
from passerelle.habilitations.autorisation import AppelantAutorise, Autorisation, autoriser, autoriser_appelant
from passerelle.reception.dependances import DependancesChemin
from passerelle.reception.refus import Connu, ContexteRequete, au_stade
from passerelle.signature.authentification import Appelant, admettre, verifier_appelant
from passerelle.signature.base import MessageHttp
from passerelle.signature.contenu import CorpsHache
from passerelle.stockage import compteurs, messages

D = TypeVar("D")


@dataclass(frozen=True)
class Requete:
    """A request as received: its context, its HTTP message and body; ``connu``: what a
    refusal before any check names (the flux of the path)."""

    contexte: ContexteRequete
    message: MessageHttp
    corps: bytes | CorpsHache
    connu: Connu = Connu()


@dataclass(frozen=True)
class Verifie:
    """Signature, key and agent hold (no database). A batch line is verified by its batch's."""

    requete: Requete
    appelant: Appelant

    @property
    def connu(self) -> Connu:
        return self.requete.connu.avec(appelant=self.appelant)


@dataclass(frozen=True)
class Authentifie:
    """In the transaction: the nonce consumed, the caller allowed to call now (robots)."""

    verifie: Verifie
    autorise: AppelantAutorise

    @property
    def appelant(self) -> Appelant:
        return self.verifie.appelant

    @property
    def connu(self) -> Connu:
        return self.verifie.connu


def verifier(requete: Requete, deps: DependancesChemin) -> Verifie:
    reglages = deps.reglages
    with au_stade(lambda: requete.connu):
        appelant = verifier_appelant(deps.annuaire.actuel(), requete.message, requete.corps, deps.horloge(),
                                     fenetre=reglages.fenetre_signature, derive=reglages.derive_horloge)
    return Verifie(requete, appelant)


def authentifier(verifie: Verifie, connexion: Connection, deps: DependancesChemin) -> Authentifie:
    """The replay check (a refusal of an unproven caller), then the caller-level access
    decision (robots: technician, window, rate — a refusal naming the caller)."""
    reglages = deps.reglages
    with au_stade(lambda: verifie.requete.connu):
        admettre(connexion, verifie.appelant, fenetre=reglages.fenetre_signature, derive=reglages.derive_horloge)
    with au_stade(lambda: verifie.connu):
        autorise = autoriser_appelant(
            verifie.appelant,
            deps.annuaire.actuel().robots,
            deps.horloge(),
            lambda nom, fenetre: compteurs.incrementer(connexion, nom, fenetre),
        )
    return Authentifie(verifie, autorise)


# --- one message (or one question): read, route, authorise, validate ----------------------


@dataclass(frozen=True)
class Routage:
    """What routing needs of a flux or of a consultation type."""

    flux: str
    types_destinataires: tuple[str, ...]
    mutualisation: str | None
    repond_a: tuple[str, ...] = ()


def _texte(valeur: object) -> str | None:
    return valeur if isinstance(valeur, str) and valeur else None


@dataclass(frozen=True)
class Lu(Generic[D]):
    """The definition known, the body read as JSON once, its envelope."""

    verifie: Verifie
    definition: D
    routage: Routage
    corps: bytes
    objet: Any
    enveloppe: Mapping[str, Any]  # the envelope fields; {} for a JSON that is not an object

    @property
    def connu(self) -> Connu:
        return self.verifie.connu.avec(flux=self.routage.flux, nir=_texte(self.enveloppe.get("nir_assure")))


def routage_du_flux(definition: DefinitionFlux) -> Routage:
    return Routage(definition.nom, definition.types_destinataires, definition.mutualisation, definition.repond_a)


def definition_du_flux(deps: DependancesChemin, flux: str) -> DefinitionFlux:
    definition = deps.catalogue.get(flux)
    if definition is None:
        raise Introuvable("flux_inconnu", f"le flux {citer(flux)} n'existe pas ({', '.join(sorted(deps.catalogue))})")
    return definition


def lire(verifie: Verifie, definition: D, routage: Routage, corps: bytes) -> Lu[D]:
    """JSON read once (invalid JSON refused here, with its own code): the input boundary."""
    with au_stade(lambda: verifie.connu.avec(flux=routage.flux)):
        objet = lire_json(corps)
    return Lu(verifie, definition, routage, corps, objet, objet if isinstance(objet, dict) else {})


def lire_message(verifie: Verifie, flux: str, corps: bytes, deps: DependancesChemin) -> Lu[DefinitionFlux]:
    """A message of ``flux``: the flux known, then its body read."""
    with au_stade(lambda: verifie.connu.avec(flux=flux)):
        definition = definition_du_flux(deps, flux)
    return lire(verifie, definition, routage_du_flux(definition), corps)


@dataclass(frozen=True)
class Achemine(Generic[D]):
    """The request answered (if any), the destination."""

    lu: Lu[D]
    message_repondu: messages.LigneMessage | None  # the stored message this one answers
    destinataire: Organisme

    @property
    def connu(self) -> Connu:
        return self.lu.connu.avec(destinataire=self.destinataire.code)


def repond_a_un_message(lu: Lu[Any]) -> bool:
    """An answer is checked against the stored request: it is routed in the transaction."""
    return bool(lu.routage.repond_a)


def _message_repondu(lu: Lu[Any], connexion: Connection) -> messages.LigneMessage:
    emetteur, routage = lu.verifie.appelant.organisme, lu.routage
    reference = _texte(lu.enveloppe.get("en_reponse_a"))
    reference = reference.strip().lower() if reference else None  # UUIDs compare in lower case
    if reference is None:
        raise RefusValidation(
            "reponse_sans_demande",
            f"le flux {routage.flux} répond à un message {' ou '.join(routage.repond_a)}: "
            "en_reponse_a doit donner son identifiant",
        )
    repondu = messages.lire(connexion, reference)
    if repondu is None or repondu.destinataire != emetteur.code:
        raise RefusValidation("demande_inconnue", f"aucun message {citer(reference)} n'a été adressé à {emetteur.code}")
    if repondu.flux not in routage.repond_a:
        raise RefusValidation(
            "reponse_inattendue",
            f"le message {reference} est un {repondu.flux}; le flux {routage.flux} répond à "
            f"{' ou '.join(routage.repond_a)}",
        )
    return repondu


def acheminer(lu: Lu[D], deps: DependancesChemin, instant: datetime, connexion: Connection | None) -> Achemine[D]:
    """The request answered (read through ``connexion``: None only for a flux that answers
    nothing), the pivot of a mutualised activity, the destination."""
    routage, enveloppe = lu.routage, lu.enveloppe
    with au_stade(lambda: lu.connu):
        repondu = None
        if routage.repond_a:
            if connexion is None:
                raise AssertionError(f"le flux {routage.flux} répond à un message: il s'achemine dans la transaction")
            repondu = _message_repondu(lu, connexion)
        pivot = None
        if routage.mutualisation and repondu is None:
            pivot = pivot_de(deps.mutualisation, routage.mutualisation, enveloppe.get("departement"), instant.date())
        destinataire = choisir_destinataire(
            emetteur=lu.verifie.appelant.organisme,
            demande=_texte(enveloppe.get("destinataire")),
            reponse_a_emetteur=repondu.emetteur if repondu else None,
            types_destinataires=routage.types_destinataires,
            annuaire=deps.annuaire.actuel(),
            pivot=pivot,
        )
    return Achemine(lu, repondu, destinataire)


@dataclass(frozen=True)
class Autorise(Generic[D]):
    achemine: Achemine[D]
    autorisation: Autorisation

    @property
    def connu(self) -> Connu:
        return self.achemine.connu


def autoriser_envoi(achemine: Achemine[D], deps: DependancesChemin, instant: datetime,
                    connexion: Connection | None) -> Autorise[D]:
    """The exchange-level access decision (conventions, their suspension, the key's profile).
    The suspensions are this replica's view, refreshed through ``connexion`` when the caller is
    in a transaction (None before it)."""
    with au_stade(lambda: achemine.connu):
        autorisation = autoriser(achemine.lu.verifie.appelant, achemine.destinataire, achemine.lu.routage.flux,
                                 instant.date(), deps.conventions, deps.suspensions.actuel(connexion), instant)
    return Autorise(achemine, autorisation)


@dataclass(frozen=True)
class Valide:
    """A message that passed every check, with its id; nothing written yet."""

    autorise: Autorise[DefinitionFlux]
    valide: MessageValide
    nir_index: str | None
    message_id: str
    instant: datetime  # the day's rules applied are those of this instant

    @property
    def connu(self) -> Connu:
        return self.autorise.connu.avec(nir=self.valide.nir)


def _contenu(deps: DependancesChemin, repondu: messages.LigneMessage) -> dict[str, Any] | None:
    """The stored payload of the message answered, for the rules that compare the answer with
    it (periods asked, amount available); decrypted in memory only, never logged.

    None once purged: the rules that need it are those of requests opening a case, and a
    request's payload is kept while its case is open (conservation/purge.py); an answer to a
    purged request without such rules (a late notification-retraite) is still taken."""
    if repondu.purge:
        return None
    return json.loads(deps.coffre.dechiffrer(repondu.contenu, repondu.id.encode("ascii")))


def _meme_personne(deps: DependancesChemin, repondu: messages.LigneMessage, nir: str | None,
                   nir_index: str | None) -> bool:
    """The answer is about the request's person. The request may have been indexed under an
    earlier blind-index key (rotation under way): then its NIR is indexed under each key."""
    if repondu.nir_index == nir_index or nir is None or repondu.nir_index is None:
        return repondu.nir_index == nir_index
    if repondu.nir_cle == deps.journal.cle_index_active:
        return False
    return repondu.nir_index in deps.journal.indexes_nir(nir)


def valider(autorise: Autorise[DefinitionFlux], deps: DependancesChemin, instant: datetime) -> Valide:
    """Schema and rules of the day, then the minimisation cut of the authorisation, then the
    answer's person is the request's."""
    lu, repondu = autorise.achemine.lu, autorise.achemine.message_repondu
    with au_stade(lambda: autorise.connu):
        valide = valider_message(
            lu.definition,
            lu.corps,
            ContexteValidation(
                emetteur=lu.verifie.appelant.organisme,
                aujourd_hui=instant.date(),
                table_age_legal=deps.table_age_legal,
                motifs_avpf=deps.motifs_avpf,
                demande_donnees=_contenu(deps, repondu) if repondu is not None else None,
            ),
            objet=lu.objet,
        )
    with au_stade(lambda: autorise.connu.avec(nir=valide.nir)):
        autorise.autorisation.couper(valide.donnees)
        nir_index = deps.journal.index_nir(valide.nir) if valide.nir else None
        if repondu is not None and not _meme_personne(deps, repondu, valide.nir, nir_index):
            raise RefusValidation(
                "nir_incoherent", f"le NIR de ce message n'est pas celui du message {repondu.id} auquel il répond"
            )
    return Valide(autorise, valide, nir_index, str(uuid.uuid4()), instant)


def examiner(verifie: Verifie, flux: str, corps: bytes, deps: DependancesChemin, instant: datetime,
             connexion: Connection | None) -> Valide:
    """Read, route, authorise, validate one message: writes nothing, raises the first refusal
    (``connexion`` None only for a flux that answers no earlier message)."""
    lu = lire_message(verifie, flux, corps, deps)
    achemine = acheminer(lu, deps, instant, connexion)
    autorise = autoriser_envoi(achemine, deps, instant, connexion)
    return valider(autorise, deps, instant)

