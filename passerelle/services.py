"""What a running gateway holds, built once from the settings and passed down explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.engine import Engine

from passerelle.acheminement.suspensions import GestionSuspensions
from passerelle.annuaire.chargement import SourceAnnuaire
from passerelle.annuaire.mutualisation import TableMutualisation, charger_mutualisation
from passerelle.catalogue.age_legal import TableAgeLegal, charger_table_age_legal
from passerelle.catalogue.avpf import MotifsAvpf, charger_motifs_avpf
from passerelle.catalogue.registre import DefinitionFlux, charger_catalogue
from passerelle.conservation.politique import PolitiqueConservation, charger_politique
from passerelle.consultations.registre import DefinitionConsultation, charger_consultations
from passerelle.habilitations.conventions import Convention, charger_conventions, verifier_avec_le_registre
from passerelle.journal.ecriture import Journal
from passerelle.observabilite import Metriques
from passerelle.reception.dependances import DependancesChemin, Signeur
from passerelle.reception.refus import Journalisation
from passerelle.reglages import Reglages
from passerelle.secrets_deploiement import SecretsDeploiement, charger_secrets
from passerelle.stockage.base import DelaisBase, VerrouEcriture, migrer, ouvrir, verrou_ecriture
from passerelle.stockage.chiffrement import Coffre
from passerelle.stockage.ecriture_groupee import EcritureGroupee
from passerelle.stockage.suspensions import SourceSuspensions
from passerelle.stockage.tampons import DossierTampons
from passerelle.stockage.transactions import Transactions

Horloge = Callable[[], datetime]


def horloge_systeme() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    reglages: Reglages
    moteur: Engine
    annuaire: SourceAnnuaire
    conventions: tuple[Convention, ...]
    mutualisation: TableMutualisation
    catalogue: dict[str, DefinitionFlux]
    table_age_legal: TableAgeLegal
    journal: Journal
    coffre: Coffre
    secrets: SecretsDeploiement
    horloge: Horloge
    metriques: Metriques = field(default_factory=Metriques)
    ecriture: VerrouEcriture = field(default_factory=lambda: VerrouEcriture(False))
    motifs_avpf: MotifsAvpf | None = None  # config/regles/motifs-avpf.yaml
    consultations: dict[str, DefinitionConsultation] = field(default_factory=dict)  # config/consultations.yaml
    conservation: PolitiqueConservation = field(default_factory=lambda: PolitiqueConservation(active=False))
    tampons: DossierTampons | None = None  # batch spools; default from the settings
    groupe: EcritureGroupee = field(init=False)  # group commit of the accept path
    suspensions: SourceSuspensions = field(init=False)  # art. 3.3, re-read at the directory's interval

    def __post_init__(self) -> None:
        if self.tampons is None:
            self.tampons = DossierTampons(self.reglages.chemin_lots())
        self.groupe = EcritureGroupee(
            self.moteur,
            self.ecriture,
            taille_max=self.reglages.groupe_max,
            observer=self.metriques.groupes.observe,
        )
        self.suspensions = SourceSuspensions(self.moteur, intervalle=self.reglages.relecture_annuaire, horloge=self.horloge)

    def __setattr__(self, nom: str, valeur: object) -> None:
        # A field replaced (a test narrowing the conventions, a reloaded policy): the narrow
        # dependencies built from the fields are built again at their next use.
        object.__setattr__(self, nom, valeur)
        self.__dict__.pop("_chemin", None)

    @property
    def chemin(self) -> DependancesChemin:
        """What the request path uses (``reception/dependances.py``), built once."""
        deps = self.__dict__.get("_chemin")
        if deps is None:
            deps = dependances_chemin(self)
            object.__setattr__(self, "_chemin", deps)
        return deps


def dependances_chemin(services: Services) -> DependancesChemin:
    assert services.tampons is not None
    return DependancesChemin(
        reglages=services.reglages,
        journalisation=Journalisation(
            transactions=Transactions(services.moteur, services.ecriture, services.groupe),
            journal=services.journal,
            metriques=services.metriques,
            horloge=services.horloge,
        ),
        annuaire=services.annuaire,
        catalogue=services.catalogue,
        consultations=services.consultations,
        conventions=services.conventions,
        suspensions=services.suspensions,
        mutualisation=services.mutualisation,
        table_age_legal=services.table_age_legal,
        motifs_avpf=services.motifs_avpf,
        coffre=services.coffre,
        signeur=Signeur(services.secrets.cle_signature, services.secrets.signature_active, services.horloge),
        tampons=services.tampons,
    )


def gestion_suspensions(services: Services) -> GestionSuspensions:
    """What suspending and resuming a convention need (art. 3.3): CLI and API alike."""
    return GestionSuspensions(
        conventions=services.conventions,
        annuaire=services.annuaire,
        journal=services.journal,
        coffre=services.coffre,
        keyid=services.secrets.signature_active,
        horloge=services.horloge,
        source=services.suspensions,
    )


def delais_base(reglages: Reglages) -> DelaisBase:
    """The server's bounds on every wait for its database (docs/exploitation.md § 6)."""
    return DelaisBase(
        connexion=reglages.base_delai_connexion,
        instruction=reglages.base_delai_instruction,
        verrou=reglages.base_delai_verrou,
        attente_pool=reglages.base_attente_connexion,
        reseau=reglages.base_delai_reseau,
    )


def construire_services(reglages: Reglages, *, horloge: Horloge = horloge_systeme) -> Services:
    """Load and check everything; any inconsistency stops the start with a precise message."""
    if horloge is horloge_systeme and reglages.horloge_demo_debut is not None:
        from passerelle.demo.horloge import installer  # demo clock: development mode only

        reglages, horloge = installer(reglages)
    secrets = charger_secrets(reglages.chemin_secrets(), developpement=reglages.developpement)
    moteur = ouvrir(reglages.base, delais_base(reglages))
    ecriture = verrou_ecriture(moteur)
    migrer(moteur)
    catalogue = charger_catalogue(reglages.config / "flux.yaml")
    conventions = charger_conventions(reglages.config / "conventions")
    consultations = charger_consultations(reglages.config / "consultations.yaml")
    verifier_avec_le_registre(conventions, catalogue, consultations)
    annuaire = SourceAnnuaire(
        reglages.config, developpement=reglages.developpement, intervalle=reglages.relecture_annuaire
    )
    return Services(
        reglages=reglages,
        moteur=moteur,
        annuaire=annuaire,
        conventions=conventions,
        mutualisation=charger_mutualisation(reglages.config / "mutualisation.yaml", set(annuaire.actuel().organismes)),
        catalogue=catalogue,
        table_age_legal=charger_table_age_legal(reglages.config / "regles" / "age-legal.yaml"),
        motifs_avpf=charger_motifs_avpf(reglages.config / "regles" / "motifs-avpf.yaml"),
        journal=Journal(secrets.cles_index, secrets.index_aveugle_active),
        coffre=Coffre(secrets.cles_chiffrement, secrets.chiffrement_active),
        secrets=secrets,
        horloge=horloge,
        consultations=consultations,
        ecriture=ecriture,
        conservation=charger_politique(reglages.config / "regles" / "conservation.yaml", catalogue),
    )
