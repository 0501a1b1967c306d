"""Suspension of a convention on a breach (art. 3.3: "the failure of one party to meet its
protection obligations may lead the other to refuse or stop transfers"): pure decisions.

- whether a convention is suspended at an instant, and the refusal that says since when and why;
- who may suspend it through the API: a key of profile ``administration`` of a national caisse
  (Cnaf for the CAF network, Cnav for the retirement network) party to the convention — the
  convention names its network, by type or by the code of one of its caisses;
- who is told: every organisme the convention names, and the national caisses party to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from passerelle.annuaire.modeles import Organisme
from passerelle.erreurs import RefusHabilitation
from passerelle.habilitations.conventions import Convention
from passerelle.stockage.suspensions import Suspension

__all__ = [
    "LONGUEUR_MOTIF", "PROFIL_ADMINISTRATION", "RESEAUX_NATIONAUX", "Suspension", "concernes", "motif_valide",
    "partie_nationale", "refus_suspension", "convention_de", "suspension_en_vigueur", "texte_instant",
]

PROFIL_ADMINISTRATION = "administration"
# A national caisse's type → the types of the caisses of its network.
RESEAUX_NATIONAUX: Mapping[str, frozenset[str]] = {
    "cnaf": frozenset({"caf"}),
    "cnav-nationale": frozenset({"carsat", "cnav", "cgss"}),
}
LONGUEUR_MOTIF = 500


def texte_instant(instant: datetime) -> str:
    """RFC 3339, UTC, to the second: what a person reads in a refusal or a notice."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def suspension_en_vigueur(
    suspensions: Mapping[str, Suspension] | None, convention: str, instant: datetime | None = None
) -> Suspension | None:
    """The suspension of ``convention`` in force at ``instant`` (None: whatever its date), or None."""
    suspension = (suspensions or {}).get(convention)
    if suspension is None or (instant is not None and instant < suspension.suspendue_le):
        return None
    return suspension


def refus_suspension(suspension: Suspension, flux: str, emetteur: str, destinataire: str) -> RefusHabilitation:
    return RefusHabilitation(
        "convention_suspendue",
        f"la convention {suspension.convention} couvre le flux {flux} de {emetteur} vers {destinataire} "
        f"mais est suspendue depuis le {texte_instant(suspension.suspendue_le)} (art. 3.3) : {suspension.motif}",
    )


def motif_valide(motif: object) -> str | None:
    """The motive as it will be journaled and told to the parties, or None when unusable."""
    if not isinstance(motif, str):
        return None
    texte = " ".join(motif.split())
    if not texte or len(texte) > LONGUEUR_MOTIF or not texte.isprintable():  # no control character, no lone surrogate
        return None
    return texte


def _types_nommes(convention: Convention, organismes: Mapping[str, Organisme]) -> set[str]:
    types: set[str] = set()
    codes = set(convention.parties)
    for habilitation in convention.habilitations:
        for cote in (habilitation.emetteurs, habilitation.destinataires):
            types.update(cote.types)
            codes.update(cote.codes)
    types.update(organismes[c].type for c in codes if c in organismes)
    return types


def partie_nationale(convention: Convention, organisme: Organisme, organismes: Mapping[str, Organisme]) -> bool:
    """``organisme`` is a national caisse whose network the convention names."""
    reseau = RESEAUX_NATIONAUX.get(organisme.type)
    return reseau is not None and bool(reseau & _types_nommes(convention, organismes))


def _nomme(convention: Convention, organisme: Organisme) -> bool:
    if organisme.code in convention.parties:
        return True
    return any(
        cote.contient(organisme)
        for habilitation in convention.habilitations
        for cote in (habilitation.emetteurs, habilitation.destinataires)
    )


def concernes(convention: Convention, organismes: Mapping[str, Organisme]) -> tuple[Organisme, ...]:
    """Who is told of a suspension or a resumption, by code: the parties and their national caisses."""
    return tuple(
        o for o in sorted(organismes.values(), key=lambda o: o.code)
        if _nomme(convention, o) or partie_nationale(convention, o, organismes)
    )


def convention_de(conventions: Iterable[Convention], identifiant: str) -> Convention | None:
    return next((c for c in conventions if c.id == identifiant), None)
