"""Answer delays as Prometheus gauges, read from the database when ``/metrics`` is scraped.

Computed at scrape time rather than counted as messages pass: the figures are those of the
``dossiers`` table, the same as the quarterly report's, and every replica exposes the same
numbers (no in-process state to disagree on). The scan covers the cases opened in the last
``delais_fenetre_jours`` days and is reused for ``delais_cache`` seconds between scrapes; the
cases overdue now are counted by SQL over every opening date. Names: docs/gouvernance.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from passerelle.catalogue.registre import DefinitionFlux
from passerelle.gouvernance.delais import AXE_ORGANISME, Delais, mesurer
from passerelle.observabilite import Metriques
from passerelle.reglages import Reglages
from passerelle.stockage import dossiers as stockage_dossiers
from passerelle.stockage.base import lecture

journal_technique = structlog.get_logger("passerelle.gouvernance")
ETIQUETTES = ["organisme", "flux", "mutualisation"]


def mutualisations(catalogue: Mapping[str, DefinitionFlux]) -> dict[str, str]:
    """Request flux → mutualised activity, from the register."""
    return {nom: d.mutualisation for nom, d in catalogue.items() if d.mutualisation}


@dataclass(frozen=True)
class SourceDelais:
    """Where the gauges are read: the database, the clock, request flux → mutualised activity
    (``mutualisations``), and the settings read at each scrape: the scan window in days and the
    cache between scrapes in seconds (``delais_fenetre_jours``, ``delais_cache``)."""

    moteur: Engine
    horloge: Callable[[], datetime]
    mutualisations: Mapping[str, str]
    reglages: Reglages


class CollecteurDelais(Collector):
    def __init__(self, source: SourceDelais) -> None:
        self._source = source
        self._verrou = threading.Lock()
        self._memoire: tuple[float, list[Metric]] | None = None

    def describe(self) -> list[Metric]:
        return []  # nothing to read at registration time: names are documented, not probed

    def collect(self) -> Iterator[Metric]:
        with self._verrou:
            cache = self._source.reglages.delais_cache
            if self._memoire is None or time.monotonic() - self._memoire[0] >= cache:
                self._memoire = (time.monotonic(), self._mesurer())
            yield from self._memoire[1]

    def _mesurer(self) -> list[Metric]:
        ok = GaugeMetricFamily("passerelle_delais_lecture_ok", "1 si les délais ont pu être lus en base, 0 sinon")
        try:
            lignes, en_retard = self._lire()
        except sa.exc.SQLAlchemyError:
            journal_technique.exception("metriques_delais_illisibles")
            ok.add_metric([], 0)
            return [ok]
        ok.add_metric([], 1)
        return [ok, *familles(lignes, en_retard, self._source.reglages.delais_fenetre_jours)]

    def _lire(self) -> tuple[list[Delais], list[tuple[str, str, int]]]:
        source = self._source
        maintenant = source.horloge()
        with lecture(source.moteur) as connexion:
            recents = stockage_dossiers.lister(
                connexion,
                du=maintenant - timedelta(days=source.reglages.delais_fenetre_jours),
                au=maintenant + timedelta(days=1),
            )
            en_retard = stockage_dossiers.en_retard_par_repondant(connexion, maintenant)
        lignes = [l for l in mesurer(recents, maintenant, dict(source.mutualisations)) if l.axe == AXE_ORGANISME]
        return lignes, en_retard


def familles(lignes: list[Delais], en_retard: list[tuple[str, str, int]], fenetre_jours: int) -> list[Metric]:
    """The gauges, one series per (organisme, request flux); pivots are the series whose
    ``mutualisation`` label is set (``sum by (organisme)`` gives the mutualised service)."""
    prefixe = f"demandes ouvertes ces {fenetre_jours} derniers jours"
    definitions = (
        ("passerelle_delais_dossiers", f"Demandes à délai ({prefixe})", lambda l: l.ouverts),
        ("passerelle_delais_repondus", f"Demandes répondues ({prefixe})", lambda l: l.repondus),
        ("passerelle_delais_repondus_dans_delai", f"Demandes répondues dans le délai ({prefixe})", lambda l: l.repondus_dans_delai),
        ("passerelle_delais_echus_sans_reponse", f"Demandes échues sans réponse, expirées comprises ({prefixe})",
         lambda l: l.echus_sans_reponse),
        ("passerelle_delais_reponse_mediane_secondes", f"Délai de réponse médian ({prefixe})",
         lambda l: l.delai_median.total_seconds() if l.delai_median is not None else None),
        ("passerelle_delais_part_dans_delai", f"Part répondue dans le délai, 0 à 1, parmi les demandes répondues ou échues ({prefixe})",
         lambda l: l.part_dans_delai),
    )
    resultat: list[Metric] = []
    for nom, aide, valeur in definitions:
        famille = GaugeMetricFamily(nom, aide, labels=ETIQUETTES)
        for ligne in lignes:
            v = valeur(ligne)
            if v is not None:
                famille.add_metric([ligne.organisme, ligne.flux, ligne.mutualisation], float(v))
        resultat.append(famille)
    retard = GaugeMetricFamily(
        "passerelle_dossiers_en_retard",
        "Demandes sans réponse dont l'échéance est passée et dont la réponse reste attendue, quelle que soit leur date",
        labels=["organisme", "flux"],
    )
    for organisme, flux, nombre in sorted(en_retard):
        retard.add_metric([organisme, flux], float(nombre))
    fenetre = GaugeMetricFamily("passerelle_delais_fenetre_jours", "Fenêtre des métriques de délais, en jours")
    fenetre.add_metric([], float(fenetre_jours))
    return [*resultat, retard, fenetre]


def installer(metriques: Metriques, source: SourceDelais) -> None:
    """Register the collector once per registry (an application may be built twice in tests)."""
    if not getattr(metriques, "delais_installes", False):
        metriques.registre.register(CollecteurDelais(source))
        metriques.delais_installes = True  # type: ignore[attr-defined]
