"""Reconciliation of the two notariats of annex 2: who was behind each robot access?

The retirement side logs, for each access to its portal, the accessor (a robot's id), the NIR
and the time — but not the CAF technician. The gateway's journal holds, for each robot access,
the robot, the NIR's blind index, the time and the human named in ``Passerelle-Agent``. Pairing
the two (same robot, same person, times within a tolerance, nearest first, each side used once)
names the technician of every line, and what pairs with nothing on either side is exactly what
an auditor must look at.

The export the retirement side sends is CSV with a header ``identifiant_accedant;nir;horodatage``
(``;`` or ``,``; see docs/auditeurs.md). The NIR is blind-indexed as soon as a line is read, and
nothing this module produces holds it in clear.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from passerelle.catalogue.nir import normaliser_nir
from passerelle.journal.ecriture import Decision, Journal, horodatage_texte
from passerelle.stockage import auditeurs as stockage_auditeurs

COLONNES = ("identifiant_accedant", "nir", "horodatage")
FORMATS_FRANCAIS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
DECISION = "rapprochement"


class FichierInvalide(ValueError):
    """The file cannot be read as an access log at all (not one bad line: those are listed)."""


@dataclass(frozen=True)
class LigneAcces:
    """One line of the retirement side's log; ``numero`` is the file's line number (header = 1)."""

    numero: int
    accedant: str
    nir_index: str  # under the active blind-index key
    horodatage: datetime
    nir_anciens: tuple[str, ...] = ()  # the same NIR under the keys kept after a rotation


@dataclass(frozen=True)
class LigneRejetee:
    numero: int
    raison: str


@dataclass(frozen=True)
class AccesRobot:
    """A robot access as the gateway journaled it."""

    index: int
    horodatage: datetime
    robot: str
    agent: str | None
    organisme: str | None
    nir_index: str
    decision: str
    flux: str | None


@dataclass(frozen=True)
class Paire:
    ligne: LigneAcces
    acces: AccesRobot

    @property
    def ecart(self) -> float:
        return abs((self.acces.horodatage - self.ligne.horodatage).total_seconds())


@dataclass
class Resultat:
    tolerance: float
    du: datetime | None
    au: datetime | None
    paires: list[Paire] = field(default_factory=list)
    lignes_seules: list[LigneAcces] = field(default_factory=list)
    acces_seuls: list[AccesRobot] = field(default_factory=list)
    rejetees: list[LigneRejetee] = field(default_factory=list)

    def resume(self) -> dict[str, Any]:
        return {
            "tolerance_secondes": self.tolerance,
            "du": horodatage_texte(self.du) if self.du else None,
            "au": horodatage_texte(self.au) if self.au else None,
            "rapprochees": len(self.paires),
            "lignes_sans_acces_passerelle": len(self.lignes_seules),
            "acces_passerelle_sans_ligne": len(self.acces_seuls),
            "lignes_rejetees": len(self.rejetees),
        }


def _instant(texte: str, fuseau: ZoneInfo) -> datetime:
    texte = texte.strip()
    try:
        instant = datetime.fromisoformat(texte.replace("Z", "+00:00"))
    except ValueError:
        for motif in FORMATS_FRANCAIS:
            try:
                instant = datetime.strptime(texte, motif)
                break
            except ValueError:
                continue
        else:
            raise ValueError(
                "horodatage illisible: attendu RFC 3339 (2026-11-23T10:00:00Z) ou JJ/MM/AAAA HH:MM:SS"
            ) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=fuseau)
    return instant.astimezone(timezone.utc)


def lire_journal_retraite(
    texte: str, journal_: Journal, *, fuseau: str = "Europe/Paris"
) -> tuple[list[LigneAcces], list[LigneRejetee]]:
    """Parse the retirement side's export; bad lines are returned with their reason, not dropped."""
    zone = ZoneInfo(fuseau)
    texte = texte.lstrip("\ufeff")
    premiere = texte.split("\n", 1)[0]
    separateur = ";" if premiere.count(";") >= premiere.count(",") else ","
    lecteur = csv.reader(io.StringIO(texte), delimiter=separateur)
    try:
        entete = [c.strip().lower() for c in next(lecteur)]
    except StopIteration:
        raise FichierInvalide("fichier vide: l'en-tête identifiant_accedant;nir;horodatage est attendu") from None
    manquantes = [c for c in COLONNES if c not in entete]
    if manquantes:
        raise FichierInvalide(
            f"colonnes absentes de l'en-tête: {', '.join(manquantes)} (attendu: {';'.join(COLONNES)})"
        )
    positions = {c: entete.index(c) for c in COLONNES}
    lignes: list[LigneAcces] = []
    rejetees: list[LigneRejetee] = []
    for numero, champs in enumerate(lecteur, start=2):
        if not any(c.strip() for c in champs):
            continue
        if len(champs) < len(entete):
            rejetees.append(LigneRejetee(numero, f"{len(champs)} colonnes, {len(entete)} attendues"))
            continue
        accedant = champs[positions["identifiant_accedant"]].strip()
        if not accedant:
            rejetees.append(LigneRejetee(numero, "identifiant_accedant vide"))
            continue
        try:
            nir_index, *nir_anciens = journal_.indexes_nir(normaliser_nir(champs[positions["nir"]]))
        except ValueError as exc:
            rejetees.append(LigneRejetee(numero, f"nir: {exc}"))
            continue
        try:
            instant = _instant(champs[positions["horodatage"]], zone)
        except ValueError as exc:
            rejetees.append(LigneRejetee(numero, str(exc)))
            continue
        lignes.append(LigneAcces(numero, accedant, nir_index, instant, tuple(nir_anciens)))
    return lignes, rejetees


def _utc(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def lire_acces_robots(
    connexion: Connection, du: datetime, au: datetime, *, organisme: str | None = None
) -> list[AccesRobot]:
    """Robot accesses about a person in ``[du, au)``; refusals are not accesses."""
    return [
        AccesRobot(a.index, _utc(a.horodatage), a.robot, a.agent, a.organisme, a.nir_index, a.decision, a.flux)
        for a in stockage_auditeurs.acces_robots(connexion, du, au, organisme=organisme)
    ]


def apparier(lignes: list[LigneAcces], acces: list[AccesRobot], tolerance: float) -> tuple[list[Paire], list[LigneAcces], list[AccesRobot]]:
    """One-to-one, greedy by nearest time: the closest pair of all is taken first, and so on.

    Candidates share robot and blind index and lie within the tolerance; ties are broken by
    file order then journal order, so the result does not depend on dict iteration.
    """
    par_cle: dict[tuple[str, str], list[AccesRobot]] = {}
    for a in acces:
        par_cle.setdefault((a.robot, a.nir_index), []).append(a)
    candidats: list[tuple[float, int, int, LigneAcces, AccesRobot]] = []
    for ligne in lignes:
        # Entries journaled before a blind-index rotation hold the index under the old key.
        trouves = [a for i in (ligne.nir_index, *ligne.nir_anciens) for a in par_cle.get((ligne.accedant, i), ())]
        for a in trouves:
            ecart = abs((a.horodatage - ligne.horodatage).total_seconds())
            if ecart <= tolerance:
                candidats.append((ecart, ligne.numero, a.index, ligne, a))
    candidats.sort(key=lambda c: c[:3])
    lignes_prises: set[int] = set()
    acces_pris: set[int] = set()
    paires: list[Paire] = []
    for _, numero, index, ligne, a in candidats:
        if numero in lignes_prises or index in acces_pris:
            continue
        lignes_prises.add(numero)
        acces_pris.add(index)
        paires.append(Paire(ligne, a))
    paires.sort(key=lambda p: p.ligne.numero)
    return (
        paires,
        [ligne for ligne in lignes if ligne.numero not in lignes_prises],
        [a for a in acces if a.index not in acces_pris],
    )


def rapprocher(
    connexion: Connection,
    journal_: Journal,
    contenu: bytes,
    *,
    tolerance: float,
    horodatage: datetime,
    operateur: str,
    du: datetime | None = None,
    au: datetime | None = None,
    organisme: str | None = None,
    fuseau: str = "Europe/Paris",
) -> Resultat:
    """Read, pair, and journal the reconciliation itself (in the caller's transaction).

    Without an explicit period, the gateway side is read over the file's span widened by the
    tolerance, so that robot accesses the retirement side never logged show up too.
    """
    if tolerance < 0:
        raise ValueError("la tolérance doit être positive")
    try:
        texte = contenu.decode("utf-8")
    except UnicodeDecodeError:
        texte = contenu.decode("cp1252")
    lignes, rejetees = lire_journal_retraite(texte, journal_, fuseau=fuseau)
    marge = timedelta(seconds=tolerance)
    if du is None:
        du = min((ligne.horodatage for ligne in lignes), default=None)
        du = du - marge if du else None
    if au is None:
        au = max((ligne.horodatage for ligne in lignes), default=None)
        au = au + marge + timedelta(microseconds=1) if au else None
    acces = lire_acces_robots(connexion, du, au, organisme=organisme) if du and au else []
    paires, lignes_seules, acces_seuls = apparier(lignes, acces, tolerance)
    resultat = Resultat(tolerance, du, au, paires, lignes_seules, acces_seuls, rejetees)
    details = resultat.resume()
    details.update(
        {
            "fichier_sha256": hashlib.sha256(contenu).hexdigest(),
            "lignes": len(lignes) + len(rejetees),
            "organisme": organisme,
            "operateur": operateur,
        }
    )
    journal_.ecrire(
        connexion,
        Decision(
            decision=DECISION,
            horodatage=horodatage,
            agent=operateur,
            organisme=organisme,
            details={k: v for k, v in details.items() if v is not None},
        ),
    )
    return resultat


ENTETE_SORTIE = (
    "statut", "ligne", "identifiant_accedant", "horodatage_retraite", "journal_index", "horodatage_passerelle",
    "ecart_secondes", "robot", "technicien", "organisme", "nir_index", "raison",
)


def _lignes_sortie(r: Resultat) -> list[dict[str, Any]]:
    sortie: list[dict[str, Any]] = []
    for p in r.paires:
        sortie.append({
            "statut": "rapproche", "ligne": p.ligne.numero, "identifiant_accedant": p.ligne.accedant,
            "horodatage_retraite": horodatage_texte(p.ligne.horodatage), "journal_index": p.acces.index,
            "horodatage_passerelle": horodatage_texte(p.acces.horodatage), "ecart_secondes": round(p.ecart, 3),
            "robot": p.acces.robot, "technicien": p.acces.agent, "organisme": p.acces.organisme,
            "nir_index": p.ligne.nir_index,
        })
    for ligne in r.lignes_seules:
        sortie.append({
            "statut": "absent_passerelle", "ligne": ligne.numero, "identifiant_accedant": ligne.accedant,
            "horodatage_retraite": horodatage_texte(ligne.horodatage), "nir_index": ligne.nir_index,
            "raison": "aucun accès de ce robot à ce NIR dans la tolérance",
        })
    for a in r.acces_seuls:
        sortie.append({
            "statut": "absent_retraite", "journal_index": a.index, "horodatage_passerelle": horodatage_texte(a.horodatage),
            "robot": a.robot, "technicien": a.agent, "organisme": a.organisme, "nir_index": a.nir_index,
            "raison": "accès de robot journalisé par la passerelle, absent du journal de l'organisme de retraite",
        })
    for rejet in r.rejetees:
        sortie.append({"statut": "ligne_rejetee", "ligne": rejet.numero, "raison": rejet.raison})
    return sortie


def en_csv(r: Resultat) -> str:
    tampon = io.StringIO()
    ecrivain = csv.DictWriter(tampon, fieldnames=ENTETE_SORTIE, delimiter=";", lineterminator="\n")
    ecrivain.writeheader()
    for ligne in _lignes_sortie(r):
        ecrivain.writerow(ligne)
    return tampon.getvalue()


def en_json(r: Resultat) -> str:
    return json.dumps({"resume": r.resume(), "lignes": _lignes_sortie(r)}, ensure_ascii=False, indent=2)
