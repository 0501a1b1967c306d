"""Answer delays of a set of cases, seen at one instant: a pure function with test vectors.

Each case is classified as it stood at ``instant`` (the end of a quarter, or now): an answer
given after ``instant`` did not exist yet, so a past quarter's figures do not change when late
answers trickle in afterwards — a report can be produced again and give the same numbers.

* answered (``repondus``): ``repondu_le <= instant``; on time when ``repondu_le < echeance``
  (the deadline instant itself is already late, as in :mod:`passerelle.catalogue.dossiers`);
* past due without an answer (``echus_sans_reponse``): ``echeance <= instant``, whether the
  answer is still awaited (``en_retard``) or no longer accepted (``dont_expires``);
* still running (``en_cours``): not answered, deadline still ahead — their outcome is unknown,
  so they are left out of the share answered on time.

``part_dans_delai`` = answered on time / (answered + past due without an answer).
``delai_median``: median of ``repondu_le - ouvert_le`` over the answered cases.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from passerelle.catalogue.dossiers import Dossier

AXE_ORGANISME = "organisme"  # one line per answering organisme and request flux
AXE_PIVOT = "pivot"  # one line per pivot and mutualised activity (all its flux together)


@dataclass(frozen=True)
class Delais:
    axe: str
    organisme: str  # the answering organisme (repondant) — the pivot, on a pivot line
    flux: str  # the request flux; empty on a pivot line
    mutualisation: str  # the mutualised activity of the flux (e.g. avpf); empty if none
    ouverts: int
    repondus: int
    repondus_dans_delai: int
    delai_median: timedelta | None
    part_dans_delai: float | None
    echus_sans_reponse: int
    dont_expires: int
    en_cours: int


def _ligne(axe: str, organisme: str, flux: str, mutualisation: str, dossiers: list[Dossier], instant: datetime) -> Delais:
    delais: list[timedelta] = []
    dans_delai = echus = expires = en_cours = 0
    for d in dossiers:
        if d.repondu_le is not None and d.repondu_le <= instant:
            delais.append(d.repondu_le - d.ouvert_le)
            dans_delai += d.repondu_le < d.echeance
        elif d.echeance <= instant:
            echus += 1
            expires += d.a_echeance == "expire"
        else:
            en_cours += 1
    tranches = len(delais) + echus
    return Delais(
        axe=axe,
        organisme=organisme,
        flux=flux,
        mutualisation=mutualisation,
        ouverts=len(dossiers),
        repondus=len(delais),
        repondus_dans_delai=dans_delai,
        delai_median=timedelta(seconds=statistics.median(x.total_seconds() for x in delais)) if delais else None,
        part_dans_delai=dans_delai / tranches if tranches else None,
        echus_sans_reponse=echus,
        dont_expires=expires,
        en_cours=en_cours,
    )


def mesurer(
    dossiers: Iterable[Dossier], instant: datetime, mutualisations: Mapping[str, str] | None = None
) -> list[Delais]:
    """Lines per (organisme, request flux), then per (pivot, mutualised activity).

    ``mutualisations`` maps a request flux to its mutualised activity (the register's
    ``mutualisation``): its answering organisme is the pivot designated for the person's
    département, so the pivot lines are the "per mutualised service" figures. Cases opened
    after ``instant`` did not exist yet and are ignored.
    """
    mutualisations = mutualisations or {}
    par_organisme: dict[tuple[str, str], list[Dossier]] = defaultdict(list)
    par_pivot: dict[tuple[str, str], list[Dossier]] = defaultdict(list)
    for d in dossiers:
        if d.ouvert_le > instant:
            continue
        par_organisme[(d.repondant, d.flux_demande)].append(d)
        activite = mutualisations.get(d.flux_demande)
        if activite:
            par_pivot[(d.repondant, activite)].append(d)
    lignes = [
        _ligne(AXE_ORGANISME, organisme, flux, mutualisations.get(flux, ""), groupe, instant)
        for (organisme, flux), groupe in sorted(par_organisme.items())
    ]
    lignes += [
        _ligne(AXE_PIVOT, pivot, "", activite, groupe, instant) for (pivot, activite), groupe in sorted(par_pivot.items())
    ]
    return lignes
