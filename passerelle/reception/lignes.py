"""A spooled batch read back line by line, in bounded memory, each line decided on its own.

A line is a physical line of the file (ended by LF, an optional CR before it dropped; the last
one may lack its LF). Whatever its bytes, a line becomes either a body for the accept path or a
precise refusal carrying its number; nothing in a line can make the batch fail:

- a line longer than the single-message limit is refused by its size while it is read, never
  held whole (``corps_trop_volumineux``); the next line is read as usual;
- an empty line is ``ligne_vide``; a BOM opening the file is the file's encoding mark, not part
  of line 1, and is dropped (anywhere else it is content, and refused as such);
- an NDJSON line goes to the accept path as it is (``lire_json`` and the input boundary judge it);
- a CSV line must be UTF-8 (``texte_invalide``, naming the column of the first broken byte),
  well quoted on that line (``ligne_malformee``: a quoted cell cannot span lines, since no field
  admits a line break — so an unbalanced quote never swallows the rest of the file), with as
  many values as the header has columns (``ligne_malformee``); a cell may be as long as the line.

The CSV header is the first line; it alone can fail the whole batch (``entete_csv_invalide``).
Numbers: NDJSON lines count from 1; CSV lines count from 1 after the header.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from passerelle.catalogue.colonnes import Correspondance, EnteteInvalide, correspondance
from passerelle.catalogue.texte import CODE as TEXTE_INVALIDE
from passerelle.erreurs import ErreurChamp, Refus, RefusValidation
from passerelle.stockage.tampons import Tampon

BOM = b"\xef\xbb\xbf"
MORCEAU = 1 << 16  # what is read at a time while skipping an over-long line


Source = Tampon | Path  # the spooled body, encrypted (a plain file: benchmarks and tests only)


def _ouvrir(source: Source) -> BinaryIO:
    return source.open("rb") if isinstance(source, Path) else source.ouvrir()  # type: ignore[return-value]


@dataclass(frozen=True)
class Ligne:
    numero: int  # 1-based line number (CSV: the header is not counted)
    corps: bytes | None
    refus: Refus | None = None


def lignes_physiques(fichier: BinaryIO, limite: int) -> Iterator[tuple[int, bytes | None]]:
    """(number, content without its end of line) of each line of ``fichier``; ``None`` as the
    content of a line over ``limite`` bytes, whose rest is skipped a chunk at a time."""
    numero = 0
    while brute := fichier.readline(limite + 2):  # room for the content, CR and LF
        numero += 1
        complete = brute.endswith(b"\n")
        if not complete and len(brute) == limite + 2:
            while (reste := fichier.readline(MORCEAU)) and not reste.endswith(b"\n"):
                pass
            yield numero, None
            continue
        contenu = brute[:-1] if complete else brute
        if contenu.endswith(b"\r"):
            contenu = contenu[:-1]
        if numero == 1 and contenu.startswith(BOM):
            contenu = contenu[len(BOM):]
        yield numero, (contenu if len(contenu) <= limite else None)


def _trop_longue(limite: int) -> Refus:
    return Refus(code="corps_trop_volumineux", detail=f"ligne de plus de {limite} octets (la limite d'un message)",
                 statut=413, titre="Corps trop volumineux")


def _vide() -> Refus:
    return Refus(code="ligne_vide", detail="ligne vide: un message par ligne")


def lignes_ndjson(chemin: Source, limite: int, deja: int = 0) -> Iterator[Ligne]:
    """The lines after the first ``deja`` (already decided by an earlier run of the batch)."""
    with _ouvrir(chemin) as fichier:
        for numero, contenu in lignes_physiques(fichier, limite):
            if numero <= deja:
                continue
            if contenu is None:
                yield Ligne(numero, None, _trop_longue(limite))
            elif not contenu.strip():
                yield Ligne(numero, None, _vide())
            else:
                yield Ligne(numero, contenu)


# --- CSV ---


def _refus_entete(message: str, erreurs: list[ErreurChamp] | None = None) -> RefusValidation:
    return RefusValidation("entete_csv_invalide", f"en-tête CSV refusé: {message}",
                           erreurs or [ErreurChamp(champ="", message=message)])


_MESSAGES_CSV = {
    "unexpected end of data": "guillemet ouvert sans guillemet fermant sur la même ligne (un champ entre "
    "guillemets ne contient pas de saut de ligne)",
    "expected after": "après un guillemet fermant, le séparateur est attendu (un guillemet dans un champ "
    "entre guillemets s'écrit \"\")",
    "new-line character seen in unquoted field": "retour chariot au milieu de la ligne",
}


def _cellules(texte: str, separateur: str) -> list[str]:
    """One line's cells (RFC 4180 quoting, strict), or ``ValueError`` saying what is wrong."""
    try:
        return next(csv.reader([texte], delimiter=separateur, strict=True), [])
    except csv.Error as erreur:
        brut = str(erreur)
        cause = next((m for cle, m in _MESSAGES_CSV.items() if cle in brut), "ligne CSV illisible")
        raise ValueError(cause) from None


def _assez_grand(limite: int) -> None:
    # csv's cell limit (131,072 characters by default) is process-wide: raised, never lowered, to
    # the line limit, so a cell is bounded by its line and no cell can make the reader fail.
    if csv.field_size_limit() < limite:
        csv.field_size_limit(limite)


@dataclass(frozen=True)
class EnteteCsv:
    noms: list[str]
    separateur: str
    table: Correspondance


def lire_entete(chemin: Source, modele: Any, limite: int) -> EnteteCsv:
    """The header (annex-1 column names) mapped onto the flux, or ``entete_csv_invalide``."""
    _assez_grand(limite)
    with _ouvrir(chemin) as fichier:
        premiere = next(lignes_physiques(fichier, limite), None)
    if premiere is None:
        raise _refus_entete("fichier vide: la première ligne nomme les colonnes (noms de l'annexe 1)")
    contenu = premiere[1]
    if contenu is None:
        raise _refus_entete(f"première ligne de plus de {limite} octets")
    try:
        texte = contenu.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refus_entete(_octet_message(contenu, exc)) from None
    separateur = ";" if texte.count(";") >= texte.count(",") else ","
    try:
        noms = [c.strip() for c in _cellules(texte, separateur)]
    except ValueError as erreur:
        raise _refus_entete(str(erreur)) from None
    if not any(noms):
        raise _refus_entete("première ligne vide: elle nomme les colonnes (noms de l'annexe 1)")
    try:
        table = correspondance(modele, noms)
    except EnteteInvalide as erreur:
        raise _refus_entete(str(erreur), erreur.erreurs) from None
    return EnteteCsv(noms, separateur, table)


def _octet_message(contenu: bytes, exc: UnicodeDecodeError) -> str:
    return (f"octet 0x{contenu[exc.start]:02X} (octet {exc.start + 1} de la ligne) qui ne forme pas de texte "
            "UTF-8 valide : le fichier s'envoie en UTF-8")


def _octets_illisibles(contenu: bytes, exc: UnicodeDecodeError, entete: EnteteCsv) -> Refus:
    """``texte_invalide`` for a line that is not UTF-8, naming the column of its first bad byte."""
    colonne = ""
    try:
        # surrogateescape keeps one character per bad byte: the cells then show which one holds it
        for nom, cellule in zip(entete.noms, _cellules(contenu.decode("utf-8", "surrogateescape"), entete.separateur)):
            if any("\udc80" <= c <= "\udcff" for c in cellule):
                colonne = nom
                break
    except ValueError:
        pass  # badly quoted as well: the byte is named without its column
    return RefusValidation(TEXTE_INVALIDE, "ligne qui n'est pas du texte UTF-8" + (f" (colonne {colonne})" if colonne else ""),
                           [ErreurChamp(champ=colonne, message=_octet_message(contenu, exc))])


def _ligne_csv(numero: int, contenu: bytes | None, entete: EnteteCsv, limite: int) -> Ligne:
    if contenu is None:
        return Ligne(numero, None, _trop_longue(limite))
    if not contenu.strip():
        return Ligne(numero, None, _vide())
    try:
        texte = contenu.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Ligne(numero, None, _octets_illisibles(contenu, exc, entete))
    try:
        valeurs = _cellules(texte, entete.separateur)
    except ValueError as erreur:
        return Ligne(numero, None, RefusValidation("ligne_malformee", str(erreur)))
    if len(valeurs) != len(entete.noms):
        return Ligne(numero, None, RefusValidation(
            "ligne_malformee", f"{len(valeurs)} valeurs pour {len(entete.noms)} colonnes"))
    return Ligne(numero, json.dumps(entete.table.donnees(valeurs), ensure_ascii=False).encode("utf-8"))


def lignes_csv(chemin: Source, modele: Any, limite: int, deja: int = 0) -> Iterator[Ligne]:
    """Rows as the JSON object each would be, after the first ``deja``."""
    entete = lire_entete(chemin, modele, limite)
    with _ouvrir(chemin) as fichier:
        for physique, contenu in lignes_physiques(fichier, limite):
            numero = physique - 1
            if numero >= 1 and numero > deja:
                yield _ligne_csv(numero, contenu, entete, limite)
