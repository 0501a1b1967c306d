"""Logs and metrics. Logs are JSON lines with a request id and never carry a payload or a NIR:
only codes, organismes, flux, durations."""

from __future__ import annotations

import logging
import sys

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram


def configurer_logs(niveau: int = logging.INFO) -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(niveau),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


class Metriques:
    """One registry per application, so two gateways in one process (tests) do not collide."""

    def __init__(self) -> None:
        self.registre = CollectorRegistry()
        self.decisions = Counter(
            "passerelle_decisions",
            "Décisions prises, par opération, décision et code de refus",
            ["operation", "decision", "code"],
            registry=self.registre,
        )
        self.groupes = Histogram(
            "passerelle_ecriture_groupe_operations",
            "Opérations validées ensemble par une même transaction (commit de groupe)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=self.registre,
        )
        self.reponses = Counter(
            "passerelle_reponses",
            "Réponses HTTP envoyées, par modèle de route et statut (taux de 5xx: statut=~\"5..\")",
            ["route", "statut"],
            registry=self.registre,
        )
        self.base_indisponible = Counter(
            "passerelle_base_indisponible",
            "Requêtes refusées en 503 base_indisponible (base injoignable, saturée ou trop lente)",
            registry=self.registre,
        )
        self.duree = Histogram(
            "passerelle_requete_secondes",
            "Durée de traitement des requêtes",
            ["route"],
            registry=self.registre,
        )
        self.refus_serveur = Counter(
            "passerelle_refus_serveur",
            "Requêtes refusées par le serveur HTTP avant l'application (taille ou délai des en-têtes, "
            "délai du corps, requête illisible), par code",
            ["code"],
            registry=self.registre,
        )

    def signaler_refus_serveur(self, code: str) -> None:
        self.refus_serveur.labels(code).inc()
