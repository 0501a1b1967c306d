"""Offline verification of a journal export: no database, no gateway, only RFC 9162 and C2SP.

An export (see ``docs/journal.md``) holds the entries' exact bytes, the leaf hashes the gateway
stored when it integrated them, every signed checkpoint and the note verifier key. Nothing in
it is trusted but the key (which an auditor compares with the one the deployment publishes):

* every leaf is recomputed from the entry bytes and the tree is rebuilt, append by append;
* every checkpoint signature is checked, sizes must strictly increase, and each checkpoint's
  root must equal the recomputed root at its size. Two checkpoints that are both roots of the
  same recomputed append-only log are consistent with each other, so this also proves that
  the gateway never forked its log between them;
* to *name* an altered entry rather than only the checkpoint interval it sits in, the stored
  leaf hashes are used as hints — and only once authenticated: when the recomputed tree misses
  a checkpoint but the tree of the hints hits it, the hints are what was signed, and each entry
  whose hash differs from its hint is exactly an altered entry. A hint is never believed on its
  own; when both trees miss, the report gives the interval and nothing more precise.

The loop over entries does nothing but hash and fold (1M entries verify in seconds): the carry
below is :meth:`ArbreCompact.ajouter` without the record of created nodes, and every root that
is compared goes through :class:`ArbreCompact` itself.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from passerelle.journal.merkle import ArbreCompact
from passerelle.journal.note import (
    Checkpoint,
    NoteInvalide,
    analyser_cle_verification,
    verifier_checkpoint,
)
from passerelle.journal.rapport import Alteration, Rapport

__all__ = [
    "FICHIER_CHECKPOINTS",
    "FICHIER_CLE",
    "FICHIER_ENTREES",
    "FICHIER_FEUILLES",
    "FICHIER_MANIFESTE",
    "FORMAT",
    "VERSION",
    "Alteration",
    "Rapport",
    "verifier",
    "verifier_export",
]

FICHIER_ENTREES = "entrees.jsonl"
FICHIER_FEUILLES = "feuilles.bin"
FICHIER_CHECKPOINTS = "checkpoints.jsonl"
FICHIER_CLE = "cle.txt"
FICHIER_MANIFESTE = "manifeste.json"
FORMAT = "passerelle-journal-export"
VERSION = 1

_TAILLE_HASH = 32
_BLOC_FEUILLES = _TAILLE_HASH * 8192


# --------------------------------------------------------------------------- keys, checkpoints


@dataclass(frozen=True)
class _Signe:
    """A checkpoint whose signature checked out; ``nom`` says where it came from, for reports."""

    nom: str
    checkpoint: Checkpoint


def _lignes_texte(brut: bytes, fichier: str, rapport: Rapport, objet: str) -> list[str | None]:
    """Strict framing: every line ends with LF and is UTF-8, so that no byte is slack.

    A line that cannot be read is reported under its own number and given as None, so that
    the other lines are still checked and a bad line is named rather than the whole file.
    """
    if not brut:
        return []
    morceaux = brut.split(b"\n")
    if morceaux[-1]:
        rapport.signaler(objet, len(morceaux), f"{fichier}, ligne {len(morceaux)} : ne finit pas par un saut de ligne")
    lignes: list[str | None] = []
    for numero, morceau in enumerate(morceaux[:-1], start=1):
        try:
            lignes.append(morceau.decode("utf-8"))
        except UnicodeDecodeError as exc:
            rapport.signaler(objet, numero, f"{fichier}, ligne {numero} : UTF-8 invalide à l'octet {exc.start}")
            lignes.append(None)
    return lignes


def _cles(brut: bytes, rapport: Rapport, fichier: str) -> list[tuple[str, Ed25519PublicKey]]:
    lignes = _lignes_texte(brut, fichier, rapport, "cle")
    cles = []
    for numero, ligne in enumerate(lignes, start=1):
        if ligne is None:
            continue
        try:
            cles.append(analyser_cle_verification(ligne))
            rapport.cles.append(ligne)
        except NoteInvalide as exc:
            rapport.signaler("cle", numero, f"{fichier}, ligne {numero} : clé de vérification invalide ({exc})")
    if not cles:
        rapport.signaler("cle", None, f"{fichier} : aucune clé de vérification utilisable")
    return cles


def _verifier_note(note: str, cles: list[tuple[str, Ed25519PublicKey]]) -> Checkpoint:
    erreurs = []
    for nom, publique in cles:
        try:
            return verifier_checkpoint(note, nom, publique, nom)
        except NoteInvalide as exc:
            erreurs.append(str(exc))
    raise NoteInvalide("; ".join(dict.fromkeys(erreurs)) or "aucune clé pour la vérifier")


def _checkpoints(brut: bytes, cles: list[tuple[str, Ed25519PublicKey]], rapport: Rapport) -> list[_Signe]:
    """The bundle's checkpoints whose signature checks out, in strictly increasing sizes."""
    lignes = _lignes_texte(brut, FICHIER_CHECKPOINTS, rapport, "checkpoint")
    valides: list[_Signe] = []
    for numero, ligne in enumerate(lignes, start=1):
        nom = f"checkpoint n°{numero}"
        if ligne is None:
            continue
        try:
            note = json.loads(ligne)
            if not isinstance(note, str) or json.dumps(note, ensure_ascii=False) != ligne:
                raise ValueError("pas une chaîne JSON écrite comme l'exporteur l'écrit")
        except ValueError as exc:
            rapport.signaler("checkpoint", numero, f"{nom} : ligne illisible dans {FICHIER_CHECKPOINTS} ({exc})")
            continue
        try:
            checkpoint = _verifier_note(note, cles)
        except NoteInvalide as exc:
            rapport.signaler("checkpoint", numero, f"{nom} : signature ou contenu invalide — {exc}")
            continue
        if valides and checkpoint.taille <= valides[-1].checkpoint.taille:
            rapport.signaler(
                "checkpoint", numero,
                f"{nom} (taille {checkpoint.taille}) : tailles non strictement croissantes après "
                f"{valides[-1].nom} (taille {valides[-1].checkpoint.taille}) — checkpoints réordonnés ou dupliqués",
            )
            continue
        valides.append(_Signe(f"{nom} (taille {checkpoint.taille})", checkpoint))
    rapport.checkpoints_valides = len(valides)
    return valides


def _fusionner(internes: list[_Signe], externes: Sequence[bytes], cles: list[tuple[str, Ed25519PublicKey]],
               rapport: Rapport) -> list[_Signe]:
    """Add checkpoints obtained elsewhere (from the gateway, a witness): they catch a log cut
    short together with its last checkpoints, which the bundle alone cannot show."""
    par_taille = {s.checkpoint.taille: s for s in internes}
    for numero, brut in enumerate(externes, start=1):
        nom = f"checkpoint externe n°{numero}"
        try:
            checkpoint = _verifier_note(brut.decode("utf-8"), cles)
        except (NoteInvalide, UnicodeDecodeError) as exc:
            rapport.signaler("checkpoint", None, f"{nom} : invalide — {exc}")
            continue
        deja = par_taille.get(checkpoint.taille)
        if deja is not None and deja.checkpoint.racine != checkpoint.racine:
            rapport.signaler(
                "checkpoint", None,
                f"{nom} et {deja.nom} : deux checkpoints signés de même taille {checkpoint.taille} avec des "
                "racines différentes — le journal a bifurqué",
            )
        elif deja is None:
            par_taille[checkpoint.taille] = _Signe(f"{nom} (taille {checkpoint.taille})", checkpoint)
    return [par_taille[t] for t in sorted(par_taille)]


# --------------------------------------------------------------------------- the tree


def _racine(taille: int, frontiere: list[bytes]) -> bytes:
    return ArbreCompact(taille, tuple(frontiere)).racine()


def _plages(positions: list[int]) -> list[tuple[int, int]]:
    plages: list[tuple[int, int]] = []
    for p in positions:
        if plages and plages[-1][1] == p:
            plages[-1] = (plages[-1][0], p + 1)
        else:
            plages.append((p, p + 1))
    return plages


def _decrire(debut: int, fin: int) -> str:
    return f"entrée {debut}" if fin == debut + 1 else f"entrées {debut} à {fin - 1} ({fin - debut} entrées)"


class _Arbre:
    """The recomputed tree and, only while entries and hints disagree, the tree of the hints."""

    def __init__(self, rapport: Rapport, cibles: list[_Signe]) -> None:
        self.rapport = rapport
        self.cibles = cibles
        self.suivante = 0  # next checkpoint to reach
        self.taille = 0
        self.frontiere: list[bytes] = []
        self.indices: list[bytes] | None = None  # frontier of the hints' tree, when it differs
        self.ecarts: list[int] = []  # entries whose hash differs from its hint, since last proof
        self.rompu = False
        self.prouvee = 0
        while self.suivante < len(cibles) and cibles[self.suivante].checkpoint.taille == 0:
            self._evaluer()

    def _evaluer(self) -> None:
        signe = self.cibles[self.suivante]
        self.suivante += 1
        if self.rompu:
            return
        attendue = signe.checkpoint.racine
        avant, self.prouvee = self.prouvee, self.taille
        if _racine(self.taille, self.frontiere) == attendue:
            for debut, fin in _plages(self.ecarts):
                self.rapport.signaler(
                    "feuille", debut,
                    f"{FICHIER_FEUILLES} : hash de feuille modifié pour l'{_decrire(debut, fin)} — les entrées "
                    f"elles-mêmes sont intactes (prouvées par le {signe.nom})", fin,
                )
        elif self.indices is not None and _racine(self.taille, self.indices) == attendue:
            for debut, fin in _plages(self.ecarts):
                self.rapport.signaler(
                    "entree", debut,
                    f"{_decrire(debut, fin)} altérée(s) : le hash recalculé ne correspond pas à celui que "
                    f"signe le {signe.nom}", fin,
                )
            self.frontiere = list(self.indices)
        else:
            self.rompu = True
            self.prouvee = avant
            suspects = "".join(f"; hash différent de {FICHIER_FEUILLES} : {_decrire(d, f)}" for d, f in _plages(self.ecarts)[:5])
            self.rapport.signaler(
                "entree", avant,
                f"{signe.nom} : racine différente de l'arbre recalculé — une entrée d'index {avant} à "
                f"{self.taille - 1} a été modifiée, insérée, supprimée ou déplacée, avec son hash de feuille"
                f"{suspects}; les checkpoints suivants ne peuvent plus être rattachés à l'export",
                self.taille,
            )
        self.indices = None
        self.ecarts = []

    def ajouter(self, feuille: bytes, indice: bytes | None) -> None:
        """Append one leaf (and its hint); evaluate the checkpoint of the new size, if any."""
        sha256 = hashlib.sha256
        if indice is not None and indice != feuille and self.indices is None:
            self.indices = list(self.frontiere)
        if self.indices is not None:
            if indice != feuille:
                self.ecarts.append(self.taille)
            h, n = indice if indice is not None else feuille, self.taille
            while n & 1:
                h = sha256(b"\x01" + self.indices.pop() + h).digest()
                n >>= 1
            self.indices.append(h)
        h, n = feuille, self.taille
        while n & 1:
            h = sha256(b"\x01" + self.frontiere.pop() + h).digest()
            n >>= 1
        self.frontiere.append(h)
        self.taille += 1
        while self.suivante < len(self.cibles) and self.cibles[self.suivante].checkpoint.taille == self.taille:
            self._evaluer()


# --------------------------------------------------------------------------- verification


def _lire_feuilles(feuilles: BinaryIO, rapport: Rapport) -> Iterator[bytes]:
    position = 0
    while bloc := feuilles.read(_BLOC_FEUILLES):
        for debut in range(0, len(bloc) - _TAILLE_HASH + 1, _TAILLE_HASH):
            yield bloc[debut : debut + _TAILLE_HASH]
        position += len(bloc)
        if len(bloc) % _TAILLE_HASH:  # only the file's last read can be short (read() fills)
            rapport.signaler("feuille", position // _TAILLE_HASH,
                             f"{FICHIER_FEUILLES} : {position} octets, pas un multiple de {_TAILLE_HASH}")
            yield bloc[len(bloc) - len(bloc) % _TAILLE_HASH :].ljust(_TAILLE_HASH, b"\xff")


def verifier(
    entrees: BinaryIO,
    feuilles: BinaryIO,
    checkpoints: bytes,
    cles: bytes,
    manifeste: bytes | None = None,
    *,
    cle_confiance: str | None = None,
    checkpoints_externes: Sequence[bytes] = (),
) -> Rapport:
    """Check an export given as streams and bytes; the report lists every alteration found.

    ``cle_confiance``: the verifier key(s) obtained out of band (one per line); without it the
    bundle's own ``cle.txt`` is used, and the report prints it for the auditor to compare.
    """
    rapport = Rapport()
    if cle_confiance is not None:
        confiance = _cles(cle_confiance.encode("utf-8"), rapport, "clé de confiance")
        fournies = set((cles.decode("utf-8", "replace")).splitlines())
        for confiee in rapport.cles:
            if confiee not in fournies:
                rapport.signaler("cle", None, f"{FICHIER_CLE} ne contient pas la clé de confiance {confiee}")
        liste_cles = confiance
    else:
        liste_cles = _cles(cles, rapport, FICHIER_CLE)
    rapport.origine = liste_cles[0][0] if liste_cles else None
    cibles = _fusionner(_checkpoints(checkpoints, liste_cles, rapport), checkpoints_externes, liste_cles, rapport)

    arbre = _Arbre(rapport, cibles)
    indices = _lire_feuilles(feuilles, rapport)
    sha256 = hashlib.sha256
    dernier = b"\n"
    sans_indice = 0
    for ligne in entrees:
        dernier = ligne
        octets = ligne[:-1] if ligne.endswith(b"\n") else ligne
        indice = next(indices, None)
        if indice is None:
            sans_indice += 1
        arbre.ajouter(sha256(b"\x00" + octets).digest(), indice)
    reste = sum(1 for _ in indices)
    rapport.entrees = n = arbre.taille
    rapport.taille_prouvee = arbre.prouvee
    if not dernier.endswith(b"\n"):
        rapport.signaler("entree", n - 1, f"{FICHIER_ENTREES} : la dernière ligne (entrée {n - 1}) ne finit pas "
                         "par un saut de ligne")
    if reste:
        rapport.signaler("feuille", n, f"{FICHIER_FEUILLES} compte {reste} hash(es) de plus que {FICHIER_ENTREES} "
                         f"({n} entrées) : des entrées ont été retirées ou fusionnées", n + reste)
    if sans_indice:
        rapport.signaler("feuille", n - sans_indice, f"{FICHIER_FEUILLES} compte {sans_indice} hash(es) de moins que "
                         f"{FICHIER_ENTREES} ({n} entrées) : des entrées ont été ajoutées ou coupées en deux", n)
    _fin_de_flux(rapport, arbre, cibles, n)
    _manifeste(manifeste, rapport, n, len((checkpoints.decode("utf-8", "replace")).splitlines()))
    return rapport


def _fin_de_flux(rapport: Rapport, arbre: _Arbre, cibles: list[_Signe], n: int) -> None:
    """What the stream alone cannot see: a log cut short, entries no checkpoint covers."""
    for signe in cibles[arbre.suivante :]:
        rapport.signaler(
            "checkpoint", None,
            f"journal tronqué : le {signe.nom} signe {signe.checkpoint.taille} entrées, l'export n'en contient "
            f"que {n}",
        )
    couverte = cibles[arbre.suivante - 1].checkpoint.taille if arbre.suivante else 0
    if n > couverte:
        ecarts = [e for e in arbre.ecarts if e >= couverte]
        rapport.signaler(
            "entree", couverte,
            f"{_decrire(couverte, n)} au-delà du dernier checkpoint valide (taille {couverte}) : aucune "
            "signature ne les couvre — ajoutées, ou checkpoint final altéré"
            + (f"; hash différent de {FICHIER_FEUILLES} pour l'entrée {ecarts[0]}" if ecarts else ""),
            n,
        )


def _manifeste(brut: bytes | None, rapport: Rapport, entrees: int, checkpoints: int) -> None:
    """The manifest is not signed: it is only checked to agree with the files it describes."""
    if brut is None:
        rapport.signaler("manifeste", None, f"{FICHIER_MANIFESTE} absent : export incomplet")
        return
    try:
        donnees = json.loads(brut)
        if not isinstance(donnees, dict):
            raise ValueError("objet JSON attendu")
    except ValueError as exc:
        rapport.signaler("manifeste", None, f"{FICHIER_MANIFESTE} illisible ({exc})")
        return
    attendu = {"format": FORMAT, "version": VERSION, "entrees": entrees, "checkpoints": checkpoints,
               "origine": rapport.origine}
    for cle, valeur in attendu.items():
        if donnees.get(cle) != valeur:
            rapport.signaler("manifeste", None, f"{FICHIER_MANIFESTE} : {cle} = {donnees.get(cle)!r}, les fichiers "
                             f"disent {valeur!r}")


def verifier_export(
    dossier: Path, *, cle_confiance: str | None = None, checkpoints_externes: Sequence[bytes] = ()
) -> Rapport:
    """Verify an export directory; a missing file is reported like any other alteration."""
    manquants = [f for f in (FICHIER_ENTREES, FICHIER_FEUILLES, FICHIER_CHECKPOINTS, FICHIER_CLE)
                 if not (dossier / f).is_file()]
    if manquants:
        rapport = Rapport()
        for f in manquants:
            rapport.signaler("export", None, f"{dossier / f} : fichier absent")
        return rapport
    manifeste = dossier / FICHIER_MANIFESTE
    with open(dossier / FICHIER_ENTREES, "rb", buffering=1 << 20) as entrees, \
            open(dossier / FICHIER_FEUILLES, "rb", buffering=1 << 20) as feuilles:
        return verifier(
            entrees,
            feuilles,
            (dossier / FICHIER_CHECKPOINTS).read_bytes(),
            (dossier / FICHIER_CLE).read_bytes(),
            manifeste.read_bytes() if manifeste.is_file() else None,
            cle_confiance=cle_confiance,
            checkpoints_externes=checkpoints_externes,
        )


def main(arguments: Sequence[str] | None = None) -> int:
    """``python -m passerelle.journal.verificateur EXPORT [--cle FICHIER] [--checkpoint FICHIER]...``"""
    import argparse

    parseur = argparse.ArgumentParser(description="Vérifier hors ligne un export du journal de la passerelle")
    parseur.add_argument("export", type=Path)
    parseur.add_argument("--cle", type=Path, help="clé(s) de vérification obtenue(s) hors de l'export")
    parseur.add_argument("--checkpoint", type=Path, action="append", default=[],
                         help="checkpoint signé obtenu ailleurs (GET /v1/journal/checkpoint, témoin)")
    args = parseur.parse_args(arguments)
    rapport = verifier_export(
        args.export,
        cle_confiance=args.cle.read_text("utf-8") if args.cle else None,
        checkpoints_externes=[c.read_bytes() for c in args.checkpoint],
    )
    sys.stdout.write(rapport.texte())
    return 0 if rapport.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
