"""The life of a convention: which status it really has on a given day, and why.

The status written in a convention file is what the signatories decided (a draft, a signed
agreement, a termination, a voiding); whether it allows an exchange *today* is computed from
dates and from the other conventions, never typed, so that nobody has to remember to edit a
file on the day a notice runs out or a national exchange opens:

* a termination takes effect at the end of the notice (art. 5.3: six months after the notice
  ``preavis_le``, by default) — until then the convention stays in force;
* a local CAF–Carsat agreement becomes void as soon as a national convention covering the same
  purpose (*finalité*) has come into force (art. 4.3, « deviennent de fait caducs ») — for good:
  terminating the national convention later does not revive it, a new local agreement is needed.

Pure functions of their arguments: the decision (:mod:`passerelle.habilitations.decision`) and
the ``passerelle conventions lister`` command read the same answer.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from enum import Enum
from typing import NamedTuple

from passerelle.habilitations.conventions import Convention, Habilitation, Portee, StatutConvention


class StatutEffectif(str, Enum):
    brouillon = "brouillon"  # not signed: allows nothing
    a_venir = "a_venir"  # signed, takes effect later (debut)
    en_vigueur = "en_vigueur"  # the only status that allows exchanges
    echue = "echue"  # its end date (fin) is reached
    resiliee = "resiliee"  # the notice ran out
    caduque = "caduque"  # declared void, or a local agreement overtaken by a national one


class EtatConvention(NamedTuple):
    statut: StatutEffectif
    raison: str


def ajouter_mois(jour: date, mois: int) -> date:
    """``jour`` moved by ``mois`` months, the day clamped to the month's end (31/08 + 6 → 28/02)."""
    rang = jour.year * 12 + (jour.month - 1) + mois
    annee, indice = divmod(rang, 12)
    return date(annee, indice + 1, min(jour.day, calendar.monthrange(annee, indice + 1)[1]))


def resiliation_effective_le(convention: Convention) -> date | None:
    """The first day the convention no longer applies after a notice (like ``fin``, exclusive)."""
    if convention.preavis_le is None:
        return None
    return ajouter_mois(convention.preavis_le, convention.preavis_mois)


def nationale_qui_rend_caduque(convention: Convention, conventions: Iterable[Convention]) -> Convention | None:
    """For a local agreement: the earliest national convention, signed and applied, with the same
    purpose — it voids the local one from its own start date. None for a national convention."""
    if convention.portee is not Portee.locale:
        return None
    candidates = [
        c
        for c in conventions
        if c.portee is Portee.nationale
        and c.finalite == convention.finalite
        and c.statut in (StatutConvention.en_vigueur, StatutConvention.resiliee)
    ]
    return min(candidates, key=lambda c: (c.debut, c.id), default=None)


def _fins(convention: Convention, conventions: Iterable[Convention]) -> list[tuple[date, EtatConvention]]:
    """Every date at which the convention stops applying, with the status it then takes."""
    fins: list[tuple[date, EtatConvention]] = []
    effet, preavis = resiliation_effective_le(convention), convention.preavis_le
    if effet is not None and preavis is not None:
        fins.append((effet, EtatConvention(
            StatutEffectif.resiliee,
            f"résiliée : préavis notifié le {preavis.isoformat()}, "
            f"effet le {effet.isoformat()} ({convention.preavis_mois} mois, art. 5.3)",
        )))
    if convention.fin is not None:
        fins.append((convention.fin, EtatConvention(
            StatutEffectif.echue, f"échue : terme fixé au {convention.fin.isoformat()}"
        )))
    nationale = nationale_qui_rend_caduque(convention, conventions)
    if nationale is not None:
        fins.append((max(nationale.debut, convention.debut), EtatConvention(
            StatutEffectif.caduque,
            f"caduque depuis le {max(nationale.debut, convention.debut).isoformat()} : la convention nationale "
            f"{nationale.id} couvre la même finalité ({convention.finalite}) — art. 4.3",
        )))
    return sorted(fins, key=lambda f: f[0])


def statut_effectif(convention: Convention, conventions: Iterable[Convention], jour: date) -> EtatConvention:
    """The status of ``convention`` on ``jour``, ``conventions`` being all those loaded (needed
    for the voiding of local agreements). When several ends have passed, the earliest wins."""
    if convention.statut is StatutConvention.brouillon:
        return EtatConvention(StatutEffectif.brouillon, "brouillon : non signée, n'autorise aucun échange")
    if convention.statut is StatutConvention.caduque:
        return EtatConvention(StatutEffectif.caduque, "déclarée caduque par les parties")
    if jour < convention.debut:
        return EtatConvention(StatutEffectif.a_venir, f"à venir : signée, prend effet le {convention.debut.isoformat()}")
    fins = _fins(convention, conventions)
    passees = [etat for quand, etat in fins if quand <= jour]
    if passees:
        return passees[0]
    raison = f"en vigueur depuis le {convention.debut.isoformat()}"
    if fins:
        quand, etat = fins[0]
        if etat.statut is StatutEffectif.resiliee and convention.preavis_le is not None:
            raison += (
                f", en préavis de résiliation (notifié le {convention.preavis_le.isoformat()}) : "
                f"plus en vigueur à partir du {quand.isoformat()}"
            )
        else:
            raison += f", jusqu'au {(quand - timedelta(days=1)).isoformat()} inclus"
    else:
        raison += ", durée indéterminée"
    return EtatConvention(StatutEffectif.en_vigueur, raison)


# --- presentation (``passerelle conventions lister``) -----------------------------------------


def duree_lisible(duree: timedelta) -> str:
    """Delays as people agree them: whole days, else hours (``P30D`` → « 30 j »)."""
    secondes = int(duree.total_seconds())
    if secondes % 86400 == 0:
        return f"{secondes // 86400} j"
    if secondes % 3600 == 0:
        return f"{secondes // 3600} h"
    return f"{secondes} s"


def _parties(habilitation: Habilitation, cote: str) -> str:
    parties = getattr(habilitation, cote)
    return ", ".join(parties.types + parties.codes)


def decrire(convention: Convention, conventions: Iterable[Convention], jour: date) -> list[str]:
    """The lines an operator reads: effective status on ``jour`` and why, what it allows, delays."""
    etat = statut_effectif(convention, conventions, jour)
    portee = "nationale" if convention.portee is Portee.nationale else "locale entre " + ", ".join(convention.parties)
    lignes = [
        f"{convention.id} — {convention.intitule} [{portee}]",
        f"  le {jour.isoformat()} : {etat.raison}",
        f"  statut déclaré {convention.statut.value}, finalité {convention.finalite}"
        + (f", articles {convention.articles}" if convention.articles else ""),
    ]
    for h in convention.habilitations:
        ligne = f"  {', '.join(h.flux)}: {_parties(h, 'emetteurs')} → {_parties(h, 'destinataires')}"
        if h.delai_reponse is not None:
            ligne += f" ; réponse sous {duree_lisible(h.delai_reponse)}"
            if h.rappels:
                ligne += ", rappels " + ", ".join(duree_lisible(r) for r in sorted(h.rappels, reverse=True)) + " avant"
        lignes.append(ligne)
    return lignes


def en_vigueur_le(convention: Convention, jour: date) -> bool:
    """A convention on its own, in force that day? (The voiding of a local agreement needs the
    others: :func:`statut_effectif` with all of them.)"""
    return statut_effectif(convention, (convention,), jour).statut is StatutEffectif.en_vigueur
