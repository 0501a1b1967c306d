"""A test quarter (2026T3) with known cases and the figures they must give, seen on 2026-10-01.

Plain data: the pure tests, the report tests (through the database and the CLI) and the
metrics tests all use these same cases, so the three readings must agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from passerelle.catalogue import dossiers as regles_dossiers
from passerelle.catalogue.dossiers import Dossier

FIN_T3 = datetime(2026, 10, 1, tzinfo=timezone.utc)
MUTUALISATIONS = {"enquete-avpf": "avpf"}


def t(mois: int, jour: int, heure: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, mois, jour, heure, minute, tzinfo=timezone.utc)


def dossier(
    numero: int, flux: str, ouvert: datetime, repondu: datetime | None = None, *, repondant: str = "caf-042",
    expire_a: datetime | None = None,
) -> Dossier:
    """A case as the gateway would hold it: AVPF enquiries get 30 days (late answers taken),
    retention forms 15 days (then expired)."""
    avpf = flux == "enquete-avpf"
    d = regles_dossiers.ouvrir(
        demande_id=f"00000000-0000-4000-8000-{numero:012d}",
        flux_demande=flux,
        flux_reponse="reponse-avpf" if avpf else "retenue-reponse",
        demandeur="carsat-ra",
        repondant=repondant,
        convention="cnaf-cnav-2019",
        instant=ouvert,
        delai=timedelta(days=30 if avpf else 15),
        rappels_avant=(),
        a_echeance="en_retard" if avpf else "expire",
        nir_index=None,
    )
    if expire_a is not None:
        d, _ = regles_dossiers.evenements_dus(d, expire_a)
    if repondu is not None:
        d = regles_dossiers.repondre(d, f"10000000-0000-4000-8000-{numero:012d}", repondu)
    return d


def dossiers_t3() -> list[Dossier]:
    return [
        dossier(1, "enquete-avpf", t(7, 1), t(7, 11)),  # 10 days, on time
        dossier(2, "enquete-avpf", t(7, 15), t(8, 20)),  # 36 days, late
        dossier(3, "enquete-avpf", t(8, 1), t(8, 21)),  # 20 days, on time
        dossier(4, "enquete-avpf", t(9, 20)),  # due 10-20: still running at the end of the quarter
        dossier(5, "enquete-avpf", t(8, 15)),  # due 09-14: overdue at the end of the quarter
        dossier(6, "enquete-avpf", t(9, 10), t(10, 5)),  # answered after the quarter: running at its end
        dossier(7, "retenue-demande", t(7, 5), expire_a=t(7, 21)),  # expired without an answer
        dossier(8, "retenue-demande", t(7, 6), t(7, 8)),  # 2 days
        dossier(9, "retenue-demande", t(9, 1), t(9, 4, 12), repondant="caf-069"),  # 3.08 days
    ]


def hors_t3() -> list[Dossier]:
    """Opened just before and just after the quarter: never in its report."""
    return [
        dossier(10, "enquete-avpf", datetime(2026, 6, 30, 23, 59, tzinfo=timezone.utc)),
        dossier(11, "enquete-avpf", FIN_T3),
    ]


# (axe, organisme, flux, mutualisation) -> (ouverts, repondus, dans le délai, médiane en jours,
# part dans le délai, échus sans réponse, dont expirés, en cours), seen at FIN_T3.
ATTENDU_T3 = {
    ("organisme", "caf-042", "enquete-avpf", "avpf"): (6, 3, 2, 20.0, 0.5, 1, 0, 2),
    ("organisme", "caf-042", "retenue-demande", ""): (2, 1, 1, 2.0, 0.5, 1, 1, 0),
    ("organisme", "caf-069", "retenue-demande", ""): (1, 1, 1, 3.08, 1.0, 0, 0, 0),
    ("pivot", "caf-042", "", "avpf"): (6, 3, 2, 20.0, 0.5, 1, 0, 2),
}
