"""Offline check of an exchange's evidence bundle (format in passerelle/journal/preuve_echange.py).

No database, no configuration: the file, and optionally the keys the auditor trusts (the journal
key obtained from the gateway, a witness list with a quorum). The first fault stops the check
and is named by its JSON path (``entrees[2].preuve[5]``, ``checkpoint``, ``cles.temoins[0]``…).

What is proved when it passes: the checkpoint is signed by the journal key (and, with
``--quorum k``, cosigned by k trusted witnesses); each entry's bytes are a leaf of the tree that
checkpoint signs, at its index; the entries speak of the bundle's messages. The redundant fields
(``feuille``, ``etapes``) must agree too, and the file must be in its one canonical form, so that
no byte of it can change unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from passerelle.journal.merkle import hash_feuille, hash_noeud, noeuds_inclusion
from passerelle.journal.note import NoteInvalide, analyser_checkpoint, analyser_cle_verification, id_cle, verifier_note
from passerelle.journal.preuve_echange import FORMAT, VERSION, directions, serialiser
from passerelle.journal.cosignature_temoin import analyser_cle_temoin, lignes_de_signature, verifier_cosignature

__all__ = ["Faute", "RapportPreuve", "verifier_preuve"]

_CLES = ("format", "version", "origine", "message", "messages", "cles", "checkpoint", "entrees")
_CLES_ENTREE = ("index", "octets", "feuille", "preuve", "etapes")


class Faute(Exception):
    def __init__(self, lieu: str, detail: str) -> None:
        super().__init__(f"{lieu} : {detail}")
        self.lieu, self.detail = lieu, detail


@dataclass
class RapportPreuve:
    ok: bool = False
    lieu: str | None = None
    detail: str | None = None
    lignes: list[str] = field(default_factory=list)

    def texte(self) -> str:
        fin = ["PREUVE VÉRIFIÉE"] if self.ok else [f"PREUVE REFUSÉE — {self.lieu} : {self.detail}"]
        return "".join(ligne + "\n" for ligne in [*self.lignes, *fin])


def _objet(valeur: Any, lieu: str, cles: Sequence[str]) -> dict[str, Any]:
    if not isinstance(valeur, dict):
        raise Faute(lieu or "document", "objet JSON attendu")
    for cle in cles:
        if cle not in valeur:
            raise Faute(f"{lieu}.{cle}".lstrip("."), "champ absent")
    for cle in valeur:
        if cle not in cles:
            raise Faute(f"{lieu}.{cle}".lstrip("."), "champ inconnu du format")
    return valeur


def _chaine(valeur: Any, lieu: str) -> str:
    if not isinstance(valeur, str) or not valeur:
        raise Faute(lieu, "chaîne non vide attendue")
    return valeur


def _liste(valeur: Any, lieu: str) -> list[Any]:
    if not isinstance(valeur, list):
        raise Faute(lieu, "liste attendue")
    return valeur


def _octets(valeur: Any, lieu: str, longueur: int | None = None) -> bytes:
    texte = _chaine(valeur, lieu)
    try:
        brut = base64.b64decode(texte.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise Faute(lieu, "base64 invalide") from None
    if base64.b64encode(brut).decode("ascii") != texte:
        raise Faute(lieu, "base64 non canonique")
    if longueur is not None and len(brut) != longueur:
        raise Faute(lieu, f"{len(brut)} octets, {longueur} attendus")
    return brut


def _lire(brut: bytes) -> dict[str, Any]:
    try:
        texte = brut.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Faute(f"octet {exc.start}", "UTF-8 invalide") from None
    try:
        document = json.loads(texte)
    except json.JSONDecodeError as exc:
        raise Faute(f"octet {exc.pos} (ligne {exc.lineno}, colonne {exc.colno})", f"JSON invalide : {exc.msg}") from None
    _objet(document, "", _CLES)
    try:
        canonique = serialiser(document)
    except (TypeError, ValueError):
        canonique = b""
    if canonique != brut:
        position = next((i for i, (a, b) in enumerate(zip(canonique, brut)) if a != b), min(len(canonique), len(brut)))
        raise Faute(f"octet {position}", "le fichier n'est pas sous la forme canonique du format (un octet changé ?)")
    return document


def _cles_journal(document: dict[str, Any], origine: str, confiance: str | None) -> list[tuple[str, Ed25519PublicKey]]:
    liste = _liste(document["cles"]["journal"], "cles.journal")
    if not liste:
        raise Faute("cles.journal", "aucune clé du journal")
    cles = []
    for i, texte in enumerate(liste):
        try:
            nom, publique = analyser_cle_verification(texte)
        except NoteInvalide as exc:
            raise Faute(f"cles.journal[{i}]", str(exc)) from None
        if nom != origine:
            raise Faute(f"cles.journal[{i}]", f"clé nommée {nom!r}, pas l'origine {origine!r}")
        cles.append((nom, publique))
    if confiance is not None and confiance.strip() not in liste:
        raise Faute("cles.journal", "aucune clé du paquet n'est la clé du journal que vous avez donnée (--cle)")
    return cles


def _temoins(document: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    temoins: dict[str, Ed25519PublicKey] = {}
    for i, texte in enumerate(_liste(document["cles"]["temoins"], "cles.temoins")):
        try:
            nom, publique = analyser_cle_temoin(texte)
        except NoteInvalide as exc:
            raise Faute(f"cles.temoins[{i}]", str(exc)) from None
        if nom in temoins:
            raise Faute(f"cles.temoins[{i}]", f"témoin {nom} listé deux fois")
        temoins[nom] = publique
    return temoins


def _checkpoint(note: str, origine: str, cles: list[tuple[str, Ed25519PublicKey]],
                temoins: dict[str, Ed25519PublicKey], rapport: RapportPreuve) -> tuple[int, bytes, set[str]]:
    """Journal signature, then every other line must be a valid cosignature of a listed witness."""
    texte = None
    for nom, publique in cles:
        try:
            texte = verifier_note(note, nom, publique)
            break
        except NoteInvalide as exc:
            erreur = str(exc)
    if texte is None:
        raise Faute("checkpoint", f"signature du journal invalide ({erreur})")
    point = analyser_checkpoint(texte)
    if point.origine != origine:
        raise Faute("checkpoint", f"checkpoint du journal {point.origine!r}, pas {origine!r}")
    cosignataires: set[str] = set()
    _, lignes = lignes_de_signature(note)
    for ligne in lignes:
        if ligne.nom == origine:  # the journal's own lines: each must be a valid signature of a listed key
            _signature_journal(texte, ligne, cles)
            continue
        if ligne.nom not in temoins:
            raise Faute("checkpoint", f"ligne de signature {ligne.numero} : {ligne.nom} n'est pas dans cles.temoins")
        try:
            horodatage = verifier_cosignature(texte, ligne, ligne.nom, temoins[ligne.nom])
        except NoteInvalide as exc:
            raise Faute("checkpoint", str(exc)) from None
        cosignataires.add(ligne.nom)
        rapport.lignes.append(f"  cosigné par le témoin {ligne.nom} (horodatage {horodatage})")
    return point.taille, point.racine, cosignataires


def _signature_journal(texte: str, ligne: Any, cles: list[tuple[str, Ed25519PublicKey]]) -> None:
    for nom, publique in cles:
        if ligne.identifiant == id_cle(nom, publique.public_bytes_raw()):
            try:
                publique.verify(ligne.brute, texte.encode("utf-8"))
            except InvalidSignature:
                break
            return
    raise Faute("checkpoint", f"ligne de signature {ligne.numero} : pas une signature valide d'une clé de cles.journal")


def _entree(i: int, entree: Any, taille: int, racine: bytes, precedent: int) -> tuple[int, bytes]:
    lieu = f"entrees[{i}]"
    _objet(entree, lieu, _CLES_ENTREE)
    index = entree["index"]
    if type(index) is not int or not 0 <= index < taille:
        raise Faute(f"{lieu}.index", f"entier de [0, {taille}) attendu (taille du checkpoint)")
    if index <= precedent:
        raise Faute(f"{lieu}.index", "les index doivent croître strictement")
    octets = _octets(entree["octets"], f"{lieu}.octets")
    donnee = _octets(entree["feuille"], f"{lieu}.feuille", 32)
    preuve = [_octets(h, f"{lieu}.preuve[{k}]", 32) for k, h in enumerate(_liste(entree["preuve"], f"{lieu}.preuve"))]
    attendu = len(noeuds_inclusion(index, taille))
    if len(preuve) != attendu:
        raise Faute(f"{lieu}.preuve", f"{len(preuve)} hashes, {attendu} attendus pour l'index {index} et la taille {taille}")
    donnees = [_octets(h, f"{lieu}.etapes[{k}]", 32) for k, h in enumerate(_liste(entree["etapes"], f"{lieu}.etapes"))]
    if len(donnees) != len(preuve):
        raise Faute(f"{lieu}.etapes", f"{len(donnees)} étapes pour {len(preuve)} hashes de preuve")
    sens = directions(index, taille, len(preuve))

    def pas(courant: bytes, k: int, gauche: bool) -> bytes:
        return hash_noeud(preuve[k], courant) if gauche else hash_noeud(courant, preuve[k])

    def chaine(courant: bytes, depuis: int) -> bool:
        """From ``courant`` (the hash before step ``depuis``), do the given steps reach the root?"""
        for k in range(depuis, len(preuve)):
            courant = pas(courant, k, sens[k])
            if courant != donnees[k]:
                return False
        return courant == racine

    feuille = hash_feuille(octets)
    if chaine(feuille, 0) and feuille == donnee:
        return index, octets
    # Not proved. Name the place, assuming a single alteration.
    if feuille != donnee:
        if chaine(donnee, 0):
            raise Faute(f"{lieu}.octets", "ces octets ne sont pas ceux de la feuille prouvée (SHA-256(0x00 ‖ octets) diffère)")
        if chaine(feuille, 0) or not preuve:
            raise Faute(f"{lieu}.feuille", "ne correspond pas à SHA-256(0x00 ‖ octets)")
    courant = feuille
    for k in range(len(preuve)):
        calcule = pas(courant, k, sens[k])
        if calcule == donnees[k]:
            courant = calcule
            continue
        if pas(courant, k, not sens[k]) == donnees[k]:
            raise Faute(f"{lieu}.index", "les étapes de la preuve correspondent à une autre position dans l'arbre")
        if (k + 1 < len(preuve) and chaine(calcule, k + 1)) or (k + 1 == len(preuve) and calcule == racine):
            raise Faute(f"{lieu}.etapes[{k}]", "étape intermédiaire altérée")
        raise Faute(f"{lieu}.preuve[{k}]", "ce hash ne mène pas à la racine signée")
    raise Faute(lieu, f"la preuve mène à {courant.hex()}, pas à la racine signée {racine.hex()}")


def verifier_preuve(
    brut: bytes, *, cle_journal: str | None = None, temoins_confiance: Sequence[str] = (), quorum: int = 0
) -> RapportPreuve:
    """Check a bundle's bytes; ``temoins_confiance``: witness keys the auditor trusts, ``quorum`` of them."""
    rapport = RapportPreuve()
    try:
        document = _lire(brut)
        if document["format"] != FORMAT:
            raise Faute("format", f"{FORMAT!r} attendu")
        if document["version"] != VERSION or type(document["version"]) is not int:
            raise Faute("version", f"version {document['version']!r} inconnue (ce vérificateur lit la version {VERSION})")
        origine = _chaine(document["origine"], "origine")
        message = _chaine(document["message"], "message")
        messages = [_chaine(m, f"messages[{i}]") for i, m in enumerate(_liste(document["messages"], "messages"))]
        if not messages or messages[0] != message:
            raise Faute("message", "doit être le premier élément de « messages »")
        _objet(document["cles"], "cles", ("journal", "temoins"))
        cles = _cles_journal(document, origine, cle_journal)
        temoins = _temoins(document)
        note = _chaine(document["checkpoint"], "checkpoint")
        rapport.lignes.append(f"Preuve de l'échange {message} — journal {origine!r}")
        try:
            taille, racine, cosignataires = _checkpoint(note, origine, cles, temoins, rapport)
        except NoteInvalide as exc:
            raise Faute("checkpoint", str(exc)) from None
        rapport.lignes.insert(1, f"  checkpoint de taille {taille} signé par {cles[0][0]}")
        if quorum:
            _quorum(temoins, temoins_confiance, cosignataires, quorum)
            rapport.lignes.append(f"  quorum de {quorum} témoin(s) de confiance atteint")
        entrees = _liste(document["entrees"], "entrees")
        if not entrees:
            raise Faute("entrees", "aucune entrée")
        precedent, cites = -1, set()
        for i, entree in enumerate(entrees):
            precedent, octets = _entree(i, entree, taille, racine, precedent)
            try:
                cite = json.loads(octets).get("message")
            except (ValueError, AttributeError):
                raise Faute(f"entrees[{i}].octets", "l'entrée n'est pas un objet JSON") from None
            if cite not in messages:
                raise Faute("messages", f"l'entrée {precedent} parle du message {cite!r}, absent de « messages »")
            cites.add(cite)
        for i, m in enumerate(messages):
            if m not in cites:
                raise Faute(f"messages[{i}]", "aucune entrée du paquet ne parle de ce message")
        rapport.lignes.append(f"  {len(entrees)} entrée(s) incluse(s) dans l'arbre signé")
        rapport.ok = True
    except Faute as faute:
        rapport.lieu, rapport.detail = faute.lieu, faute.detail
    return rapport


def _quorum(temoins: dict[str, Ed25519PublicKey], confiance: Sequence[str], cosignataires: set[str], quorum: int) -> None:
    """k of the witnesses the auditor trusts (not those the bundle lists) must have cosigned."""
    fiables = set()
    for texte in confiance:
        nom, publique = analyser_cle_temoin(texte)
        if nom in cosignataires and temoins.get(nom) is not None and temoins[nom].public_bytes_raw() == publique.public_bytes_raw():
            fiables.add(nom)
    if len(fiables) < quorum:
        raise Faute("checkpoint", f"{len(fiables)} cosignature(s) de témoins de confiance, quorum de {quorum} exigé")
