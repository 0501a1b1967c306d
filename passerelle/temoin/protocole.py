"""C2SP tlog-witness ``add-checkpoint`` (https://c2sp.org/tlog-witness): body, checks, decision.

Request body: ``old <size>\\n``, one base64 line per consistency-proof hash, an empty line, then
the signed checkpoint note. The witness cosigns a checkpoint only if it is signed by the log's
known key and provably extends the last checkpoint it cosigned for that origin. Answers, in the
order the spec checks them: 400 malformed (or old size > size), 404 unknown origin, 403 no valid
log signature, 409 ``old`` is not the size it knows (body ``<size>\\n``, ``text/x.tlog.size``),
409 same size but another root, 422 bad consistency proof. The last two are a **split view**:
the refusal is kept with both checkpoints (:mod:`passerelle.stockage.temoin`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import Connection

from passerelle.journal.merkle import RACINE_VIDE, PreuveInvalide, verifier_coherence
from passerelle.journal.note import NoteInvalide, analyser_checkpoint, verifier_note
from passerelle.stockage import temoin as stockage
from passerelle.journal.cosignature_temoin import cosigner, lignes_de_signature

__all__ = ["MEDIA_TAILLE", "RefusTemoin", "corps_demande", "lire_demande", "traiter_demande"]

MEDIA_TAILLE = "text/x.tlog.size"
_LIGNES_MAX = 63
_CORPS_MAX = 1 << 16
_ANCIENNE = re.compile(r"old (0|[1-9][0-9]{0,19})", re.ASCII)


class RefusTemoin(Exception):
    def __init__(self, statut: int, code: str, detail: str, *, taille_connue: int | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.statut, self.code, self.detail, self.taille_connue = statut, code, detail, taille_connue


@dataclass(frozen=True)
class Demande:
    ancienne: int
    chemin: list[bytes]
    note: str
    lignes_preuve: str  # as received, kept with a refusal


def corps_demande(ancienne: int, chemin: Sequence[bytes], note: str) -> bytes:
    lignes = [f"old {ancienne}", *(base64.b64encode(h).decode("ascii") for h in chemin)]
    return ("".join(ligne + "\n" for ligne in lignes) + "\n" + note).encode("utf-8")


def _invalide(detail: str) -> RefusTemoin:
    return RefusTemoin(400, "demande_temoin_invalide", detail)


def lire_demande(corps: bytes) -> Demande:
    if len(corps) > _CORPS_MAX:
        raise _invalide(f"corps de plus de {_CORPS_MAX} octets")
    try:
        texte = corps.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalide("corps non UTF-8") from None
    tete, separe, note = texte.partition("\n\n")
    if not separe:
        raise _invalide("pas de ligne vide entre la preuve et le checkpoint")
    premiere, *lignes = tete.split("\n")
    trouve = _ANCIENNE.fullmatch(premiere)
    if not trouve or int(trouve.group(1)) >= 1 << 64:
        raise _invalide("première ligne : « old <taille> » en décimal attendu")
    if len(lignes) > _LIGNES_MAX:
        raise _invalide(f"preuve de {len(lignes)} lignes, au plus {_LIGNES_MAX}")
    chemin = []
    for numero, ligne in enumerate(lignes, start=2):
        try:
            h = base64.b64decode(ligne.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error, ValueError):
            raise _invalide(f"ligne {numero} : base64 invalide") from None
        if len(h) != 32 or base64.b64encode(h).decode("ascii") != ligne:
            raise _invalide(f"ligne {numero} : hash SHA-256 en base64 canonique attendu")
        chemin.append(h)
    return Demande(int(trouve.group(1)), chemin, note, "".join(ligne + "\n" for ligne in lignes))


def traiter_demande(
    connexion: Connection,
    corps: bytes,
    *,
    nom: str,
    cle: Ed25519PrivateKey,
    journaux: Mapping[str, Sequence[Ed25519PublicKey]],
    instant: datetime,
) -> tuple[str | None, RefusTemoin | None]:
    """Decide in the caller's transaction; (cosignature line, None) or (None, refusal).

    A split-view refusal is *returned*, not raised, so that the caller commits the evidence it
    recorded before answering.
    """
    demande = lire_demande(corps)
    try:
        texte, _ = lignes_de_signature(demande.note)
        point = analyser_checkpoint(texte)
    except NoteInvalide as exc:
        raise _invalide(f"checkpoint : {exc}") from None
    cles = journaux.get(point.origine)
    if not cles:
        raise RefusTemoin(404, "journal_inconnu", f"ce témoin ne suit pas le journal {point.origine!r}")
    if not any(_signe(demande.note, point.origine, publique) for publique in cles):
        raise RefusTemoin(403, "signature_journal_invalide",
                          f"aucune signature valide de la clé connue du journal {point.origine!r}")
    if demande.ancienne > point.taille:
        raise _invalide(f"old {demande.ancienne} dépasse la taille du checkpoint ({point.taille})")
    connu = stockage.etat(connexion, point.origine)
    taille, racine = (connu.taille, connu.racine) if connu else (0, RACINE_VIDE)
    if demande.ancienne != taille:
        raise RefusTemoin(409, "taille_inattendue",
                          f"le dernier checkpoint cosigné de {point.origine!r} est de taille {taille}, pas "
                          f"{demande.ancienne}", taille_connue=taille)
    refus = None
    if point.taille == taille and point.racine != racine:
        refus = RefusTemoin(409, "vue_divergente",
                            f"deux racines pour la taille {taille} du journal {point.origine!r} : vue divergente")
    else:
        try:
            verifier_coherence(taille, point.taille, racine, point.racine, demande.chemin)
        except PreuveInvalide as exc:
            refus = RefusTemoin(422, "preuve_coherence_invalide",
                                f"le checkpoint de taille {point.taille} n'étend pas celui de taille {taille} "
                                f"déjà cosigné : {exc}")
    if refus is not None:
        stockage.consigner_refus(connexion, point.origine, instant, refus.detail, demande.ancienne,
                                 demande.lignes_preuve, connu.note if connu else None, demande.note)
        return None, refus
    stockage.enregistrer(connexion, point.origine, point.taille, point.racine, demande.note, instant,
                         existe=connu is not None)
    return cosigner(texte, nom, cle, int(instant.timestamp())), None


def _signe(note: str, origine: str, publique: Ed25519PublicKey) -> bool:
    try:
        verifier_note(note, origine, publique)
    except NoteInvalide:
        return False
    return True
