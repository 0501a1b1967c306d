"""The convention rules: a pure function from the facts of an exchange to allow or a precise refusal.

The private part of :func:`passerelle.habilitations.autorisation.autoriser`, the one access
decision of the request path (which callers reach it, and the minimisation cut, are there).

Default deny. The refusal code names the first condition that failed, from the most specific
(a convention would allow it but is not in force) to the most general (no convention at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from passerelle.annuaire.modeles import Organisme
from passerelle.erreurs import RefusHabilitation
from passerelle.habilitations.conventions import Convention, Habilitation
from passerelle.habilitations.cycle import EtatConvention, StatutEffectif, statut_effectif
from passerelle.habilitations.suspensions import Suspension, refus_suspension, suspension_en_vigueur


@dataclass(frozen=True)
class FaitsEchange:
    emetteur: Organisme
    destinataire: Organisme
    flux: str
    jour: date
    profil: str | None = None  # the sending key's profile (None: unknown, only a profile-free habilitation allows)
    instant: datetime | None = None  # for the suspensions (None: every suspension given is in force)


@dataclass(frozen=True)
class Accord:
    convention: str
    finalite: str
    habilitation: Habilitation


def decider(
    faits: FaitsEchange, conventions: Iterable[Convention], suspensions: Mapping[str, Suspension] | None = None
) -> Accord:
    """Allow when one convention in force, not suspended (art. 3.3), grants the flux from this
    sender to this destination."""
    conventions = tuple(conventions)  # all of them: a local agreement's voiding depends on the others
    suspendues: list[Suspension] = []
    hors_vigueur: list[tuple[Convention, EtatConvention]] = []
    profils_requis: list[str] = []
    mauvais_destinataire = False
    sens_inverse = False
    for convention in conventions:
        for habilitation in convention.habilitations:
            if faits.flux not in habilitation.flux:
                continue
            emetteur_ok = habilitation.emetteurs.contient(faits.emetteur)
            destinataire_ok = habilitation.destinataires.contient(faits.destinataire)
            if emetteur_ok and destinataire_ok:
                etat = statut_effectif(convention, conventions, faits.jour)
                if etat.statut is StatutEffectif.en_vigueur:
                    if habilitation.profils_emetteurs and faits.profil not in habilitation.profils_emetteurs:
                        profils_requis.extend(habilitation.profils_emetteurs)
                        continue
                    if (suspension := suspension_en_vigueur(suspensions, convention.id, faits.instant)) is not None:
                        suspendues.append(suspension)
                        continue
                    return Accord(convention=convention.id, finalite=convention.finalite, habilitation=habilitation)
                hors_vigueur.append((convention, etat))
            elif emetteur_ok:
                mauvais_destinataire = True
            elif habilitation.emetteurs.contient(faits.destinataire) and habilitation.destinataires.contient(
                faits.emetteur
            ):
                sens_inverse = True
    if suspendues:
        raise refus_suspension(suspendues[0], faits.flux, faits.emetteur.code, faits.destinataire.code)
    if profils_requis:
        raise RefusHabilitation(
            "profil_non_autorise",
            f"le flux {faits.flux} de {faits.emetteur.code} vers {faits.destinataire.code} n'est ouvert "
            f"qu'aux clés de profil {', '.join(sorted(set(profils_requis)))}; la clé utilisée a le profil "
            f"{faits.profil or 'inconnu'}",
        )
    if hors_vigueur:
        c, etat = hors_vigueur[0]
        raise RefusHabilitation(
            "convention_caduque" if etat.statut is StatutEffectif.caduque else "convention_hors_vigueur",
            f"la convention {c.id} couvre le flux {faits.flux} de {faits.emetteur.code} vers "
            f"{faits.destinataire.code} mais n'est pas en vigueur le {faits.jour.isoformat()} : {etat.raison}",
        )
    if mauvais_destinataire:
        raise RefusHabilitation(
            "destinataire_non_autorise",
            f"aucune convention n'autorise {faits.emetteur.code} à envoyer le flux {faits.flux} "
            f"à {faits.destinataire.code} ({faits.destinataire.type})",
        )
    if sens_inverse:
        raise RefusHabilitation(
            "sens_non_autorise",
            f"le flux {faits.flux} n'est autorisé que de {faits.destinataire.type} vers "
            f"{faits.emetteur.type}, pas dans ce sens",
        )
    raise RefusHabilitation(
        "convention_absente",
        f"aucune convention n'autorise {faits.emetteur.code} ({faits.emetteur.type}) "
        f"à envoyer le flux {faits.flux}",
    )
