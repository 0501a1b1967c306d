"""Searching the journal: by person (blind index), organisme, agent, robot, flux, decision, message
and period, paged by keyset on the leaf index, within an auditor's scope.

Millions of entries must answer in milliseconds, so no query ever sorts "every entry about X":
each one is an equality on an indexed column read along a ``(column, index)`` index, stopping
after one page. "Organisme X" means X sent it *or* X received it; an OR over two columns cannot
walk one index in order, so it becomes one ordered branch per column (and per organisme of a
scope) whose pages are merged here — the union of the branches' first pages holds the global
first page. A NIR or a message id is selective enough to be read whole and filtered.

The clear NIR never reaches this module: :func:`criteres` turns it into its keyed blind index
(and refuses what cannot be a NIR, so a typo is told rather than silently finding nothing).
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.engine import Connection

from passerelle.erreurs import ErreurChamp, Refus
from passerelle.journal.ecriture import Journal, horodatage_texte
from passerelle.stockage import journal_lecture

Ordre = Literal["desc", "asc"]
LIMITE_MAX = 200
_INDEX_AVEUGLE = re.compile(r"^[0-9a-f]{64}$")
INDEXES_MAX = 8  # blind indexes of one person (one per key kept after rotations)
LONGUEUR_INDEXES = INDEXES_MAX * 65
_TEXTE_COURT = 256


@dataclass(frozen=True)
class Criteres:
    """What an auditor looks for; only a blind index stands for a person."""

    nir_index: str | None = None
    organisme: str | None = None
    agent: str | None = None
    robot: str | None = None
    flux: str | None = None
    decision: str | None = None
    message: str | None = None
    du: datetime | None = None
    au: datetime | None = None
    # The same person under the blind-index keys kept after a rotation: entries journaled before
    # it hold the old index (entries are immutable), so a person is searched under every key.
    nir_autres: tuple[str, ...] = ()

    @property
    def indexes(self) -> tuple[str, ...]:
        return () if self.nir_index is None else (self.nir_index, *self.nir_autres)

    def en_details(self) -> dict[str, Any]:
        """The criteria as they are journaled: no clear NIR exists here to leak."""
        details: dict[str, Any] = {}
        for nom, valeur in asdict(self).items():
            if isinstance(valeur, datetime):
                details[nom] = horodatage_texte(valeur)
            elif isinstance(valeur, tuple):
                if valeur:
                    details[nom] = list(valeur)
            elif valeur is not None:
                details[nom] = valeur
        return details

    def vide(self) -> bool:
        return not self.en_details()


@dataclass(frozen=True)
class EntreeLue:
    index: int
    octets: bytes
    organisme: str | None
    destinataire: str | None

    def contenu(self) -> dict[str, Any]:
        return json.loads(self.octets)


@dataclass(frozen=True)
class Page:
    entrees: list[EntreeLue]
    curseur_suivant: str | None


def criteres(
    journal_: Journal,
    *,
    nir: str | None = None,
    nir_index: str | None = None,
    organisme: str | None = None,
    agent: str | None = None,
    robot: str | None = None,
    flux: str | None = None,
    decision: str | None = None,
    message: str | None = None,
    du: datetime | None = None,
    au: datetime | None = None,
    normaliser_nir: Callable[[str], str] | None = None,
) -> Criteres:
    """Check raw criteria (every fault listed) and blind-index the NIR server-side.

    ``normaliser_nir``: the register's NIR rule (``catalogue.nir.normaliser_nir``: the canonical
    NIR, or ``ValueError`` saying why it is none), required when ``nir`` is given."""
    erreurs: list[ErreurChamp] = []

    def texte(nom: str, valeur: str | None) -> str | None:
        if valeur is None or not valeur.strip():
            return None
        if len(valeur) > _TEXTE_COURT:
            erreurs.append(ErreurChamp(nom, f"au plus {_TEXTE_COURT} caractères"))
            return None
        return valeur.strip()

    calcules: tuple[str, ...] = ()
    if nir is not None and nir.strip():
        if normaliser_nir is None:
            raise TypeError("criteres(nir=...) demande normaliser_nir")
        try:
            calcules = journal_.indexes_nir(normaliser_nir(nir))
        except ValueError as exc:
            erreurs.append(ErreurChamp("nir", str(exc)))
    if nir_index is not None and nir_index.strip():
        donnes = tuple(dict.fromkeys(i.strip() for i in nir_index.split(",") if i.strip()))
        if not donnes or len(donnes) > INDEXES_MAX or not all(_INDEX_AVEUGLE.fullmatch(i) for i in donnes):
            erreurs.append(ErreurChamp(
                "nir_index", f"index aveugle attendu: 64 caractères hexadécimaux minuscules (au plus {INDEXES_MAX}, "
                "séparés par des virgules: une même personne sous plusieurs clés)"))
        elif calcules and not set(donnes) <= set(calcules):
            erreurs.append(ErreurChamp("nir_index", "ne pas donner à la fois un NIR et un autre index aveugle"))
        elif not calcules:
            calcules = donnes
    if du is not None and au is not None and au <= du:
        erreurs.append(ErreurChamp("au", "la fin de période (exclue) doit suivre son début"))
    for nom, instant in (("du", du), ("au", au)):
        if instant is not None and instant.tzinfo is None:
            erreurs.append(ErreurChamp(nom, "préciser le fuseau (Z pour UTC)"))
    resultat = Criteres(
        nir_index=calcules[0] if calcules else None,
        nir_autres=calcules[1:],
        organisme=texte("organisme", organisme),
        agent=texte("agent", agent),
        robot=texte("robot", robot),
        flux=texte("flux", flux),
        decision=texte("decision", decision),
        message=texte("message", message),
        du=du,
        au=au,
    )
    if erreurs:
        raise Refus(
            code="criteres_invalides",
            detail="un critère de recherche est invalide",
            statut=400,
            erreurs=erreurs,
        )
    return resultat


def _curseur(ordre: Ordre, index: int) -> str:
    return base64.urlsafe_b64encode(f"{ordre[0]}{index}".encode("ascii")).decode("ascii").rstrip("=")


def lire_curseur(texte: str | None, ordre: Ordre) -> int | None:
    if not texte:
        return None
    try:
        brut = base64.urlsafe_b64decode(texte + "=" * (-len(texte) % 4)).decode("ascii")
        if brut[:1] != ordre[0] or not brut[1:].isdigit():
            raise ValueError(brut)
        return int(brut[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Refus(
            code="curseur_invalide",
            detail="le curseur doit être un curseur_suivant rendu par une recherche dans le même ordre",
        ) from exc


def rechercher(
    connexion: Connection,
    c: Criteres,
    *,
    portee: Sequence[str] | None,
    ordre: Ordre = "desc",
    curseur: str | None = None,
    limite: int = 50,
) -> Page:
    """One page of entries matching every criterion, newest first unless ``ordre="asc"``."""
    if portee is not None and not portee:
        return Page([], None)
    limite = max(1, min(limite, LIMITE_MAX))
    apres = lire_curseur(curseur, ordre)
    filtres = journal_lecture.FiltresJournal(
        nir_indexes=c.indexes, agent=c.agent, robot=c.robot, flux=c.flux, decision=c.decision,
        message=c.message, du=c.du, au=c.au,
    )
    trouvees = journal_lecture.chercher(
        connexion, filtres, organisme=c.organisme, portee=portee, ordre=ordre, apres=apres, par_branche=limite + 1
    )
    lues = {index: EntreeLue(index, octets, org, dest) for index, (octets, org, dest) in trouvees.items()}
    if ordre == "desc":
        retenues = heapq.nlargest(limite + 1, lues)
    else:
        retenues = heapq.nsmallest(limite + 1, lues)
    page = [lues[i] for i in retenues[:limite]]
    suivant = _curseur(ordre, page[-1].index) if len(retenues) > limite else None
    return Page(page, suivant)

