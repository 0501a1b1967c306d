"""The five retirement-transition signals of fragile allocataires (convention 2019, annex 1).

Every data item of the annex is a field here, named in snake_case ASCII, and its description
starts with the annex's own name so that a caisse can map its files without a lookup table.
The models only say what a well-formed message is; the rules that need a date, the emitter or
another field (window, emitter number, motive of a rejection...) live in
:mod:`passerelle.catalogue.regles`, where they can each be tested alone.

Enum docstrings are written in French: they are published in ``schemas/``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from passerelle.catalogue.champs import (
    Booleen,
    CodeCaf,
    CodeCarsat,
    CodeCommune,
    CodeOrganisme,
    CodePays,
    CodePostal,
    Date,
    Email,
    IdentifiantMessage,
    Montant,
    Pourcentage,
    Telephone,
    champ,
    texte,
)
from passerelle.catalogue.nir import Nir

# Generous ceilings: the gateway carries what the caisses' records hold and leaves the postal
# norm (38 characters a line) to the printers; they only stop absurd or hostile sizes.
Nom = texte(100)
Ligne = texte(100)
Libelle = texte(200)
Reference = texte(64)


class Civilite(StrEnum):
    """Civilité de l'assuré : « M » (monsieur) ou « MME » (madame)."""

    M = "M"
    MME = "MME"


class TypeAllocation(StrEnum):
    """Prestation qui fait entrer l'allocataire dans le dispositif (convention, art. 2.1)."""

    AAH = "AAH"
    RSA = "RSA"


class StatutRdc(StrEnum):
    """La personne a répondu (« repondu ») ou non (« non_repondu ») à la régularisation de
    carrière."""

    REPONDU = "repondu"
    NON_REPONDU = "non_repondu"


class TypeDemande(StrEnum):
    """Typage de la demande de retraite : droit propre (retraite personnelle), droit dérivé
    (réversion), retraite anticipée, retraite pour inaptitude au travail."""

    DROIT_PROPRE = "droit_propre"
    DROIT_DERIVE = "droit_derive"
    RETRAITE_ANTICIPEE = "retraite_anticipee"
    RETRAITE_INAPTITUDE = "retraite_inaptitude"


class StatutDemande(StrEnum):
    """Issue de l'instruction : « attribution » ou « rejet » (un rejet porte un motif)."""

    ATTRIBUTION = "attribution"
    REJET = "rejet"


class TypeMontant(StrEnum):
    """Nature du montant : périodicité (mensuel, annuel) et brut ou net."""

    MENSUEL_BRUT = "mensuel_brut"
    MENSUEL_NET = "mensuel_net"
    ANNUEL_BRUT = "annuel_brut"
    ANNUEL_NET = "annuel_net"


class Enveloppe(BaseModel):
    """The envelope fields of the wire contract, common to every flux."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    destinataire: CodeOrganisme | None = Field(
        default=None,
        title="destinataire",
        description="destinataire — code de l'organisme destinataire dans l'annuaire (par "
        "exemple « carsat-ra ») ; facultatif quand la passerelle sait router elle-même",
    )
    en_reponse_a: IdentifiantMessage | None = Field(
        default=None,
        title="en_reponse_a",
        description="en_reponse_a — identifiant (UUID) du message auquel celui-ci répond, tel "
        "que rendu dans l'accusé de réception ; obligatoire pour les flux de réponse",
    )
    reference: Reference | None = Field(
        default=None,
        title="reference",
        description="reference — référence du dossier chez l'émetteur (64 caractères au plus), "
        "rendue telle quelle dans les accusés et l'historique",
    )


class CoordonneesAllocataire(Enveloppe):
    """The CAF contact data, sent twice (rdc, then passage-retraite) for the same person."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {
                        "properties": {"type_allocation": {"const": "RSA"}},
                        "required": ["type_allocation"],
                    },
                    "then": {"properties": {"taux_incapacite_aah": {"type": "null"}}},
                }
            ]
        }
    )

    code_caf: CodeCaf = champ("CodeCaf", "code de la CAF émettrice (3 chiffres)")
    nir_assure: Nir = champ(
        "NIRAssuré",
        "NIR de l'assuré / allocataire : 15 caractères (13 et une clé de 2 chiffres), sans "
        "espace ; les numéros temporaires (NIA, commençant par 7 ou 8) sont refusés",
    )
    civilite: Civilite = champ("Civilité", "civilité de l'assuré / allocataire")
    nom_assure: Nom = champ("NomAssuré", "nom de naissance de l'assuré / allocataire")
    prenoms_assure: Nom = champ(
        "PrénomsAssuré", "prénoms de l'assuré / allocataire, dans l'ordre de l'état civil"
    )
    date_naissance: Date = champ("DateNaissance", "date de naissance (AAAA-MM-JJ)")
    nom_marital_assure: Nom | None = champ(
        "NomMaritalAssuré", "nom marital de l'assuré", default=None
    )
    type_adresse: texte(50) | None = champ("TypeAdresse", "type d'adresse", default=None)
    raison_sociale: Ligne | None = champ("RaisonSociale", "raison sociale", default=None)
    nom_communication: Nom | None = champ(
        "NomCommunication",
        "nom d'usage par lequel l'assuré souhaite être appelé (marital, de naissance ou autre)",
        default=None,
    )
    prenom_communication: Nom | None = champ(
        "PrénomCommunication", "prénom usuel", default=None
    )
    zone_adresse1: Ligne | None = champ("ZoneAdresse1", "zone adresse 1", default=None)
    zone_adresse2: Ligne | None = champ("ZoneAdresse2", "zone adresse 2", default=None)
    complement: Ligne | None = champ(
        "Complément", "complément (titre, profession, chez...)", default=None
    )
    numero_voie: Ligne | None = champ("NuméroVoie", "numéro et voie", default=None)
    lieu_dit: Ligne | None = champ("LieuDit", "lieu-dit", default=None)
    code_postal: CodePostal | None = champ("CodePostal", "code postal (5 chiffres)", default=None)
    code_commune: CodeCommune | None = champ(
        "CodeCommune", "code commune INSEE (5 caractères, 2A/2B pour la Corse)", default=None
    )
    localite: Ligne | None = champ("Localité", "localité ou bureau distributeur", default=None)
    pays: Ligne | None = champ("Pays", "pays, en toutes lettres", default=None)
    code_pays: CodePays | None = champ(
        "CodePays", "code pays ISO 3166-1 alpha-2 (par exemple « FR »)", default=None
    )
    telephone1: Telephone | None = champ("Téléphone1", "téléphone 1", default=None)
    telephone2: Telephone | None = champ("Téléphone2", "téléphone 2", default=None)
    email: Email | None = champ("EMail", "adresse électronique", default=None)
    type_allocation: TypeAllocation = champ(
        "TypeAllocation", "type d'allocation : AAH ou RSA"
    )
    taux_incapacite_aah: Pourcentage | None = champ(
        "TauxIncapacitéAAH",
        "taux d'incapacité de l'AAH, entier de 0 à 100 (utile pour un droit éventuel à la RAH "
        "et à sa majoration) ; uniquement quand TypeAllocation vaut AAH",
        default=None,
    )


class SignalementRdc(CoordonneesAllocataire):
    """Signal 1 (CAF → Carsat), 30 months before the legal age: triggers a career regularisation."""


class SignalementPassageRetraite(CoordonneesAllocataire):
    """Signal 2 (CAF → Carsat), 7 months before the legal age: triggers the application."""


class ReponseCarsat(Enveloppe):
    """What every Carsat answer carries: the person it is about.

    The annex lists only the returned data, but they are about the signalled person; without
    the NIR the CAF could not file them, nor the gateway check that the answer is about the
    person of the message it answers.
    """

    nir_assure: Nir = champ(
        "NIRAssuré",
        "NIR de l'assuré / allocataire signalé par la CAF : les données de retour de l'annexe 1 "
        "portent sur cette personne, et la passerelle vérifie que c'est celle du message "
        "auquel ce retour répond",
    )


class ClotureRdc(ReponseCarsat):
    """Carsat → CAF: the result of the career regularisation (answers an rdc)."""

    code_carsat: CodeCarsat = champ("CodeCARSAT", "code de la Carsat émettrice")
    statut_rdc: StatutRdc = champ("StatutRDC", "la personne a répondu ou non à la RDC")
    date_taux_plein: Date | None = champ("DateTauxPlein", "date du taux plein", default=None)
    regimes_affiliation: list[Ligne] = champ(
        "RegimesAffiliation",
        "régimes d'affiliation (libellés ; liste éventuellement vide)",
        default_factory=list,
        max_length=50,
    )


class AvisDepot(ReponseCarsat):
    """Carsat → CAF: whether the retirement application was filed (answers a passage-retraite)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {
                        "properties": {"reception_demande": {"const": True}},
                        "required": ["reception_demande"],
                    },
                    "then": {
                        "required": ["date_reception_demande"],
                        "properties": {"date_reception_demande": {"type": "string"}},
                    },
                    "else": {"properties": {"date_reception_demande": {"type": "null"}}},
                }
            ]
        }
    )

    type_demande: TypeDemande = champ("TypeDemande", "typage de la demande")
    reception_demande: Booleen = champ(
        "ReceptionDemande", "réception de la demande (true si la demande a été déposée)"
    )
    date_reception_demande: Date | None = champ(
        "DateReceptionDemande",
        "date de réception de la demande ; obligatoire si ReceptionDemande vaut true, "
        "absente sinon",
        default=None,
    )
    mode_liquidation: Libelle | None = champ(
        "ModeLiquidation", "mode de liquidation", default=None
    )
    transfert_regime: list[Ligne] = champ(
        "TransfertRégime",
        "transfert vers autre(s) régime(s) affilié(s) (libellés ; liste éventuellement vide)",
        default_factory=list,
        max_length=50,
    )


class NotificationRetraite(ReponseCarsat):
    """Carsat → CAF: end of instruction, attribution or rejection (answers a passage-retraite)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {
                        "properties": {"statut_demande": {"const": "rejet"}},
                        "required": ["statut_demande"],
                    },
                    "then": {
                        "required": ["motif_rejet"],
                        "properties": {"motif_rejet": {"type": "string"}},
                    },
                    "else": {"properties": {"motif_rejet": {"type": "null"}}},
                }
            ]
        }
    )

    type_demande: TypeDemande = champ("TypeDemande", "typage de la demande")
    date_effet: Date = champ("DateEffet", "date d'effet du droit")
    statut_demande: StatutDemande = champ("StatutDemande", "rejet ou attribution")
    motif_rejet: Libelle | None = champ(
        "MotifRejet", "motif du rejet ; obligatoire en cas de rejet, absent sinon", default=None
    )
    montant_total: Montant | None = champ(
        "MontantTotal",
        "montant total de la pension demandée, en euros (chaîne « 1234.56 » de préférence, ou "
        "nombre JSON ; 2 décimales au plus)",
        default=None,
    )
    type_montant: TypeMontant | None = champ("TypeMontant", "type de montant", default=None)
    montant: Montant | None = champ(
        "Montant",
        "montant, en euros (chaîne « 1234.56 » de préférence, ou nombre JSON ; 2 décimales au "
        "plus)",
        default=None,
    )
