"""The gateway asks its witnesses to cosign its latest checkpoint (docs/temoins.md).

Witnesses are listed in ``<config>/temoins.yaml``::

    delai_secondes: 5
    temoins:
      - nom: temoin.carsat-ra.exemple
        url: https://temoin.carsat-ra.exemple
        cle: temoin.carsat-ra.exemple+89abcdef+BD…     # its cosignature/v1 verifier key

After each checkpoint it signs, the gateway sends each witness ``add-checkpoint`` with the
consistency proof from the last size that witness cosigned (0 at first); on a 409 it retries
once from the size the witness says it knows. A cosignature is kept only once verified with the
witness's configured key. Nothing here can block acceptance: it runs beside the sequencer, each
witness has its timeout, and every failure is logged and retried at the next checkpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
import httpx
import structlog
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Engine

from passerelle.journal.note import NoteInvalide
from passerelle.journal.preuves import preuve_coherence_stockee
from passerelle.stockage.base import lecture
from passerelle.stockage.cosignatures import derniere_taille_cosignee, enregistrer_cosignature
from passerelle.stockage.tuiles import dernier_checkpoint_taille
from passerelle.journal.cosignature_temoin import analyser_cle_temoin, lignes_de_signature, verifier_cosignature
from passerelle.temoin.protocole import MEDIA_TAILLE, corps_demande

__all__ = ["ConfigTemoins", "Envoi", "Resultat", "TemoinConfigure", "charger_temoins", "envoyer_http",
           "faire_cosigner", "lancer_cosignatures"]

journal_technique = structlog.get_logger("passerelle.temoins")


@dataclass(frozen=True)
class TemoinConfigure:
    nom: str
    url: str
    cle: str
    publique: Ed25519PublicKey


@dataclass(frozen=True)
class ConfigTemoins:
    temoins: tuple[TemoinConfigure, ...] = ()
    delai: float = 5.0


@dataclass(frozen=True)
class Resultat:
    temoin: str
    taille: int
    ok: bool
    detail: str


Envoi = Callable[[TemoinConfigure, bytes, float], tuple[int, str, bytes]]
"""POST the body to the witness's add-checkpoint; (status, content type, body). Raises on I/O."""


def charger_temoins(dossier_config: Path) -> ConfigTemoins:
    """``<config>/temoins.yaml``; absent means no witness. A malformed file is refused loudly."""
    chemin = dossier_config / "temoins.yaml"
    if not chemin.exists():
        return ConfigTemoins()
    try:
        brut = yaml.safe_load(chemin.read_text("utf-8")) or {}
        temoins = []
        for entree in brut.get("temoins") or []:
            nom, publique = analyser_cle_temoin(str(entree["cle"]))
            if nom != entree["nom"]:
                raise ValueError(f"la clé du témoin {entree['nom']!r} est nommée {nom!r}")
            temoins.append(TemoinConfigure(nom, str(entree["url"]).rstrip("/"), str(entree["cle"]), publique))
        delai = float(brut.get("delai_secondes", 5))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, NoteInvalide) as exc:
        raise ValueError(f"{chemin} : {exc}") from None
    return ConfigTemoins(tuple(temoins), delai)


def envoyer_http(temoin: TemoinConfigure, corps: bytes, delai: float) -> tuple[int, str, bytes]:
    reponse = httpx.post(f"{temoin.url}/add-checkpoint", content=corps, timeout=delai,
                         headers={"content-type": "text/plain; charset=utf-8"})
    return reponse.status_code, reponse.headers.get("content-type", ""), reponse.content


def _un_temoin(moteur: Engine, temoin: TemoinConfigure, envoyer: Envoi, delai: float,
               horloge: Callable[[], datetime]) -> Resultat:
    with lecture(moteur) as connexion:
        dernier = dernier_checkpoint_taille(connexion)
        if dernier is None:
            return Resultat(temoin.nom, 0, False, "aucun checkpoint signé")
        taille, note = dernier
        cosignee = derniere_taille_cosignee(connexion, temoin.nom)
    if cosignee is not None and cosignee >= taille:
        return Resultat(temoin.nom, taille, True, "déjà cosigné")
    ancienne = cosignee or 0
    for _ in range(2):  # a 409 tells the size the witness knows: one retry from there
        with lecture(moteur) as connexion:  # no transaction held while the witness answers
            chemin = preuve_coherence_stockee(connexion, ancienne, taille).chemin
        statut, type_contenu, corps = envoyer(temoin, corps_demande(ancienne, chemin, note), delai)
        if statut == 409 and type_contenu.startswith(MEDIA_TAILLE):
            connue = int(corps.decode("ascii").strip() or -1)
            if 0 <= connue <= taille and connue != ancienne:
                ancienne = connue
                continue
        break
    if statut != 200:
        return Resultat(temoin.nom, taille, False, f"HTTP {statut} : {corps[:300].decode('utf-8', 'replace')}")
    texte, _ = lignes_de_signature(note)
    lignes = corps.decode("utf-8").splitlines(keepends=True)
    for ligne in lignes:
        _, signatures = lignes_de_signature(texte + "\n" + ligne)
        if signatures[0].nom != temoin.nom:
            continue
        verifier_cosignature(texte, signatures[0], temoin.nom, temoin.publique)
        with moteur.begin() as connexion:
            enregistrer_cosignature(connexion, taille, temoin.nom, temoin.cle, ligne, horloge())
        return Resultat(temoin.nom, taille, True, "cosigné")
    return Resultat(temoin.nom, taille, False, "aucune ligne de cosignature du témoin dans la réponse")


def faire_cosigner(moteur: Engine, config: ConfigTemoins, horloge: Callable[[], datetime],
                   envoyer: Envoi = envoyer_http) -> list[Resultat]:
    """Ask every configured witness about the latest checkpoint; never raises."""
    resultats = []
    for temoin in config.temoins:
        try:
            resultat = _un_temoin(moteur, temoin, envoyer, config.delai, horloge)
        except (httpx.HTTPError, OSError, ValueError, NoteInvalide) as exc:
            resultat = Resultat(temoin.nom, -1, False, f"{type(exc).__name__} : {exc}")
        except Exception as exc:  # noqa: BLE001 — a witness must never stop the gateway
            journal_technique.exception("temoin_echec_inattendu", temoin=temoin.nom)
            resultat = Resultat(temoin.nom, -1, False, f"{type(exc).__name__} : {exc}")
        if resultat.ok:
            journal_technique.info("cosignature", temoin=resultat.temoin, taille=resultat.taille, detail=resultat.detail)
        else:
            journal_technique.warning("cosignature_echec", temoin=resultat.temoin, taille=resultat.taille,
                                      detail=resultat.detail)
        resultats.append(resultat)
    return resultats


_EN_COURS: set[asyncio.Task[list[Resultat]]] = set()


def lancer_cosignatures(moteur: Engine, config_dossier: Path, horloge: Callable[[], datetime]) -> None:
    """From the sequencer's loop (its ``apres_checkpoint``): ask the witnesses in the background,
    one round at a time."""
    if _EN_COURS:
        return  # the previous round is still waiting for a slow witness; the next checkpoint retries
    try:
        config = charger_temoins(config_dossier)
    except ValueError as exc:
        journal_technique.error("temoins_configuration_invalide", detail=str(exc))
        return
    if not config.temoins:
        return
    tache = asyncio.get_running_loop().create_task(
        asyncio.to_thread(faire_cosigner, moteur, config, horloge))
    _EN_COURS.add(tache)
    tache.add_done_callback(_EN_COURS.discard)
