"""What a running gateway holds, built once from the settings and passed down explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.engine import Engine

from passerelle.annuaire.chargement import SourceAnnuaire
from passerelle.annuaire.mutualisation import TableMutualisation, charger_mutualisation
from passerelle.catalogue.age_legal import TableAgeLegal, charger_table_age_legal
from passerelle.catalogue.registre import DefinitionFlux, charger_catalogue
from passerelle.habilitations.conventions import Convention, charger_conventions, verifier_avec_le_registre
from passerelle.journal.ecriture import Journal
from passerelle.observabilite import Metriques
from passerelle.reglages import Reglages
from passerelle.secrets_deploiement import SecretsDeploiement, charger_secrets
from passerelle.stockage.base import migrer, ouvrir
from passerelle.stockage.chiffrement import Coffre

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


def construire_services(reglages: Reglages, *, horloge: Horloge = horloge_systeme) -> Services:
    """Load and check everything; any inconsistency stops the start with a precise message."""
    if horloge is horloge_systeme and reglages.horloge_demo_debut is not None:
        from passerelle.demo.horloge import installer  # demo clock: development mode only

        reglages, horloge = installer(reglages)
    secrets = charger_secrets(reglages.chemin_secrets(), developpement=reglages.developpement)
    moteur = ouvrir(reglages.base)
    migrer(moteur)
    catalogue = charger_catalogue(reglages.config / "flux.yaml")
    conventions = charger_conventions(reglages.config / "conventions")
    verifier_avec_le_registre(conventions, catalogue)
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
        journal=Journal(secrets.index_aveugle),
        coffre=Coffre(secrets.cles_chiffrement, secrets.chiffrement_active),
        secrets=secrets,
        horloge=horloge,
    )
