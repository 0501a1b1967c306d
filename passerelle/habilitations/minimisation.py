"""Minimisation: the destination receives only the fields its habilitation grants its profile.

Art. 3 of the convention and the GDPR (art. 5.1.c) ask that only the data strictly necessary
for a purpose be sent; art. 2.8 speaks of a connection profile "qui définit la profondeur des
données accessibles". The sender sends the whole message (it does not know who will read it),
the gateway keeps it whole (encrypted) and cuts it **when it hands it out** — at an inbox read
for the reading key's profile, at a push for the destination's delivery profile — by the
habilitation of the convention under which the message was accepted.

That convention is stored with the message (``messages.convention``) rather than recomputed
with :func:`passerelle.habilitations.decision.decider` at read time: the access decision was
taken once, at acceptance, and must not be taken again differently (a convention terminated
since then would make an accepted message unreadable; a new convention would silently widen
it). The habilitation's *current* field lists apply, so a convention amended to narrow a
profile takes effect on every message not yet read.

What is withheld is proven, not just claimed: its names and the SHA-256 digest of its RFC 8785
canonical JSON go into the journal entry of the read or the delivery (``details.retenu``), so an
auditor holding the message can recompute exactly what a profile did not get.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from passerelle.annuaire.modeles import Organisme
from passerelle.erreurs import ErreurChamp, Refus
from passerelle.habilitations.conventions import Convention, Habilitation

TOUS = "*"
RAISON_HABILITATION_INTROUVABLE = "habilitation_introuvable"


class RefusChampNonAutorise(Refus):
    """403 ``champ_non_autorise``: the sender sent a field its habilitation does not let it send
    — minimisation at the source, every such field listed, nothing stored."""

    def __init__(self, champs: list[str], permis: tuple[str, ...]) -> None:
        super().__init__(
            code="champ_non_autorise",
            detail=(
                f"la convention n'autorise pour ce flux que les champs {', '.join(permis) or '(aucun)'}: "
                f"retirer {', '.join(champs)} (minimisation)"
            ),
            statut=403,
            titre="Échange non autorisé",
            erreurs=[ErreurChamp(c, "champ non autorisé par l'habilitation de la convention : ne pas l'envoyer") for c in champs],
        )


def verifier_champs_emis(habilitation: Habilitation, donnees: Mapping[str, Any]) -> None:
    """Refuse the fields (of the payload, the envelope aside) the habilitation does not allow."""
    if habilitation.champs_emis is None:
        return
    en_trop = sorted(set(donnees) - set(habilitation.champs_emis))
    if en_trop:
        raise RefusChampNonAutorise(en_trop, habilitation.champs_emis)


def minimiser(
    donnees: Mapping[str, Any], champs_autorises: Collection[str] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what may be handed out, what is withheld). ``None`` allows every field; the envelope
    fields are not in ``donnees`` (they are the message's own metadata, always shown)."""
    if champs_autorises is None:
        return dict(donnees), {}
    autorises = set(champs_autorises)
    coupees = {k: v for k, v in donnees.items() if k in autorises}
    retenues = {k: v for k, v in donnees.items() if k not in autorises}
    return coupees, retenues


def empreinte_retenue(retenues: Mapping[str, Any]) -> str:
    """RFC 9530 form (``sha-256=:base64:``) of the SHA-256 of the withheld fields' RFC 8785 JSON."""
    condensat = hashlib.sha256(rfc8785.dumps(dict(retenues))).digest()
    return f"sha-256=:{base64.b64encode(condensat).decode('ascii')}:"


def habilitation_du_message(
    conventions: Iterable[Convention],
    convention: str,
    flux: str,
    emetteur: Organisme | None,
    destinataire: Organisme | None,
) -> Habilitation | None:
    """The habilitation of ``convention`` that covers this flux between these parties, whatever
    the convention's status today (it was in force when the message was accepted). A party no
    longer in the directory is not held against the match."""
    for c in conventions:
        if c.id != convention:
            continue
        for h in c.habilitations:
            if flux not in h.flux:
                continue
            if emetteur is not None and not h.emetteurs.contient(emetteur):
                continue
            if destinataire is not None and not h.destinataires.contient(destinataire):
                continue
            return h
    return None


def peut_lire(habilitation: Habilitation, profil: str) -> bool:
    return not habilitation.profils_destinataires or profil in habilitation.profils_destinataires


def champs_pour(habilitation: Habilitation, profil: str) -> frozenset[str] | None:
    """The fields ``profil`` may receive; ``None`` for all. A list that does not name the
    profile grants it none of the payload: minimisation is default-deny too."""
    if habilitation.champs_par_profil is None:
        return None
    champs = habilitation.champs_par_profil.get(profil)
    if champs is None:
        return frozenset()
    if champs == TOUS:
        return None
    return frozenset(champs)


@dataclass(frozen=True)
class Livrable:
    """What a reader of ``profil`` gets of one message, and what to journal about the rest."""

    visible: bool
    contenu: dict[str, Any]
    retenu: dict[str, Any] | None  # journal details: {"champs", "empreinte", "profil"[, "raison"]}


def remettre(
    conventions: Iterable[Convention],
    organismes: Mapping[str, Organisme],
    *,
    convention: str | None,
    flux: str,
    emetteur: str,
    destinataire: str,
    profil: str,
    contenu: Mapping[str, Any],
) -> Livrable:
    """Cut ``contenu`` for a reader of ``profil`` at the destination.

    A message without a convention (the gateway's own notices, or stored before minimisation
    existed) is handed out whole. A convention that no longer has the habilitation (config
    changed under a stored message) withholds the whole payload, and says why in the journal:
    default deny, visibly, rather than a guess.
    """
    if convention is None:
        return Livrable(True, dict(contenu), None)
    habilitation = habilitation_du_message(
        conventions, convention, flux, organismes.get(emetteur), organismes.get(destinataire)
    )
    raison: str | None = None
    champs: frozenset[str] | None
    if habilitation is None:
        champs, raison = frozenset(), RAISON_HABILITATION_INTROUVABLE
    elif not peut_lire(habilitation, profil):
        return Livrable(False, {}, None)
    else:
        champs = champs_pour(habilitation, profil)
    coupees, retenues = minimiser(contenu, champs)
    if not retenues:
        return Livrable(True, coupees, None)
    retenu: dict[str, Any] = {"champs": sorted(retenues), "empreinte": empreinte_retenue(retenues), "profil": profil}
    if raison:
        retenu["raison"] = raison
    return Livrable(True, coupees, retenu)


def lisible_par(
    conventions: Iterable[Convention],
    organismes: Mapping[str, Organisme],
    *,
    convention: str | None,
    flux: str,
    emetteur: str,
    destinataire: str,
    profil: str,
) -> bool:
    """May a key of ``profil`` at the destination see this message at all (list, acknowledge)?"""
    if convention is None:
        return True
    habilitation = habilitation_du_message(
        conventions, convention, flux, organismes.get(emetteur), organismes.get(destinataire)
    )
    return habilitation is None or peut_lire(habilitation, profil)


def masques_en_boite(conventions: Iterable[Convention], destinataire: Organisme, profil: str) -> set[tuple[str, str]]:
    """(convention, flux) pairs a reader of ``profil`` at ``destinataire`` may see none of, so
    the inbox query skips them and pages stay full; :func:`remettre` still checks each message."""
    masques: set[tuple[str, str]] = set()
    for c in conventions:
        permis: set[str] = set()
        refuses: set[str] = set()
        for h in c.habilitations:
            if not h.destinataires.contient(destinataire):
                continue
            (permis if peut_lire(h, profil) else refuses).update(h.flux)
        masques.update((c.id, f) for f in refuses - permis)
    return masques
