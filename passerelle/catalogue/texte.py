"""The input boundary: text the gateway cannot carry is refused once, before anything reads it.

JSON lets a string hold what no field admits and what several layers cannot carry. A lone
surrogate escape (``"\\ud800"``) is valid JSON grammar but not Unicode: it cannot be encoded in
UTF-8, so the blind index, the database, the journal and even the refusal quoting it would fail.
NUL cuts C strings and PostgreSQL text. The other C0 controls and DEL are admitted by no field of
any flux or consultation (``champs.MOTIF_TEXTE``: one line, no control character).

:func:`verifier_json` runs inside ``validation.lire_json`` — for a message, a batch line and a
consultation alike — right after the JSON is read: before routing, lookups, the blind index,
storage or any message quote a value. Each faulty string is named by its path (keys included),
never by its content. :func:`faute_octets` does the same for bytes that arrive outside JSON
(a CSV cell, a percent-decoded path or query parameter), where UTF-8 itself may be broken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from passerelle.erreurs import ErreurChamp, RefusValidation

CODE = "texte_invalide"
ERREURS_MAX = 20  # listed in one problem; the detail gives the total

# The same class as champs.MOTIF_TEXTE, plus the surrogate range no UTF-8 text can hold.
_INTERDIT = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_NOMS = {0x00: "NUL", 0x09: "tabulation", 0x0A: "saut de ligne", 0x0D: "retour chariot", 0x7F: "DEL"}
LONGUEUR_NOM = 64


def raison(caractere: str) -> str:
    """Why one character cannot be carried, in the integrator's words."""
    point = ord(caractere)
    if 0xD800 <= point <= 0xDFFF:
        return (
            f"demi-paire de substitution isolée U+{point:04X} (séquence \\u{point:04x} sans son autre "
            "moitié) : ce n'est pas du texte Unicode, il ne peut pas être transmis"
        )
    nom = f" ({_NOMS[point]})" if point in _NOMS else ""
    return f"caractère de contrôle U+{point:04X}{nom} interdit : les textes tiennent sur une ligne, sans caractère de contrôle"


def echapper(texte: str, longueur: int = LONGUEUR_NOM) -> str:
    """``texte`` with each forbidden character written as its JSON escape, cut at ``longueur``:
    what the caller wrote, in a form every layer can carry (used for field names)."""
    coupe = texte[:longueur]
    propre = _INTERDIT.sub(lambda m: f"\\u{ord(m.group()):04x}", coupe)
    return propre + ("…" if len(texte) > longueur else "")


def faute_texte(texte: str, champ: str) -> ErreurChamp | None:
    """The first character of ``texte`` the gateway cannot carry, as an error on ``champ``."""
    trouve = _INTERDIT.search(texte)
    if trouve is None:
        return None
    return ErreurChamp(champ=champ, message=f"{raison(trouve.group())} (caractère {trouve.start() + 1})")


def _joindre(chemin: str, partie: str) -> str:
    return f"{chemin}.{partie}" if chemin else partie


def _fautes(objet: Any) -> Iterator[ErreurChamp]:
    """Every faulty string of a decoded JSON value, in document order; iterative (a deeply
    nested body the decoder accepted must not exhaust the stack here)."""
    pile: list[tuple[str, Any]] = [("", objet)]
    while pile:
        chemin, valeur = pile.pop()
        if isinstance(valeur, str):
            faute = faute_texte(valeur, chemin)
            if faute is not None:
                yield faute
        elif isinstance(valeur, dict):
            suivants = []
            for cle, sous in valeur.items():
                trouve = _INTERDIT.search(cle)
                if trouve is not None:
                    yield ErreurChamp(champ=_joindre(chemin, echapper(cle)), message="nom de champ : " + raison(trouve.group()))
                else:
                    suivants.append((_joindre(chemin, cle), sous))
            pile.extend(reversed(suivants))
        elif isinstance(valeur, list):
            pile.extend(reversed([(_joindre(chemin, str(i)), sous) for i, sous in enumerate(valeur)]))


def verifier_json(objet: Any, texte: str) -> None:
    """Refuse (422 ``texte_invalide``) a decoded body whose strings or keys the gateway cannot
    carry. ``texte`` is the JSON text ``objet`` was read from: strict JSON refuses raw control
    characters in strings and UTF-8 cannot hold a surrogate, so only an escape (a backslash) or a
    raw DEL can bring one in — a body with neither, the usual case, costs two scans of memchr."""
    if "\\" not in texte and "\x7f" not in texte:
        return
    fautes = list(_fautes(objet))
    if fautes:
        raise RefusValidation(
            CODE,
            f"{len(fautes)} chaîne(s) du corps contiennent un caractère que la passerelle ne transmet pas "
            "(demi-paire de substitution isolée, NUL ou autre caractère de contrôle) : "
            + ("chacune est nommée dans erreurs" if len(fautes) <= ERREURS_MAX else f"les {ERREURS_MAX} premières sont nommées dans erreurs"),
            fautes[:ERREURS_MAX],
        )


def faute_octets(octets: bytes, champ: str) -> ErreurChamp | None:
    """The first fault of raw bytes meant as one line of text: not UTF-8, or a character
    :func:`faute_texte` refuses. A broken byte is placed by its byte rank (as in the caller's
    file or URL), a forbidden character by its character rank."""
    try:
        texte = octets.decode("utf-8")
    except UnicodeDecodeError as erreur:
        octet = octets[erreur.start]
        return ErreurChamp(
            champ=champ,
            message=f"octet 0x{octet:02X} (octet {erreur.start + 1}) qui ne forme pas de texte UTF-8 valide : "
            "le texte s'envoie en UTF-8",
        )
    return faute_texte(texte, champ)


# A raw path or query without '%', control or non-ASCII bytes is text as it stands (the usual case).
_OCTETS_A_EXAMINER = re.compile(rb"[%\x00-\x1f\x7f-\xff]")


def fautes_adresse(chemin: bytes, requete: bytes) -> list[ErreurChamp]:
    """What of the request's address the gateway cannot carry, before routing reads it: a
    path segment or a query parameter (name or value) whose percent-decoded bytes are not UTF-8
    or hold a control character. Servers decode such bytes to U+FFFD or to NUL, which would
    reach lookups, the journal and the messages quoting them."""
    fautes: list[ErreurChamp] = []
    if _OCTETS_A_EXAMINER.search(chemin):
        for rang, segment in enumerate(chemin.split(b"/")[1:], start=1):
            faute = faute_octets(unquote_to_bytes(segment), "path")
            if faute is not None:
                fautes.append(ErreurChamp(champ="path", message=f"segment {rang} du chemin : {faute.message}"))
    if requete and _OCTETS_A_EXAMINER.search(requete):
        for paire in requete.split(b"&"):
            nom, _, valeur = paire.partition(b"=")
            nom_octets = unquote_to_bytes(nom.replace(b"+", b" "))
            faute = faute_octets(nom_octets, "query")
            if faute is not None:
                fautes.append(ErreurChamp(champ="query", message=f"nom de paramètre : {faute.message}"))
                continue
            champ = "query." + echapper(nom_octets.decode("utf-8"))
            faute = faute_octets(unquote_to_bytes(valeur.replace(b"+", b" ")), champ)
            if faute is not None:
                fautes.append(faute)
    return fautes[:ERREURS_MAX]
