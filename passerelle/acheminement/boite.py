"""Pull delivery: an organisme reads its inbox and acknowledges what it has taken in charge.

Reading is an access to personal data, so each message handed out is journaled (``consulte``);
the acknowledgement is the business side's "I have it": exactly one succeeds per message, and
the message then leaves the inbox.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.annuaire.chargement import SourceAnnuaire
from passerelle.erreurs import Introuvable, Refus, citer
from passerelle.habilitations.conventions import Convention
from passerelle.habilitations.minimisation import Livrable, lisible_par, masques_en_boite, remettre
from passerelle.journal.ecriture import Decision, Journal, horodatage_texte
from passerelle.signature.authentification import Appelant
from passerelle.stockage import livraisons, messages
from passerelle.stockage.chiffrement import Coffre
from passerelle.stockage.messages import LigneMessage


@dataclass(frozen=True)
class Boite:
    """What reading and acknowledging the inbox use: the at-rest keys, the journal (each read
    and acknowledgement is journaled), the clock, and the conventions and directory
    (minimisation per key profile)."""

    coffre: Coffre
    journal: Journal
    horloge: Callable[[], datetime]
    conventions: tuple[Convention, ...]
    annuaire: SourceAnnuaire


def curseur_texte(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode("ascii")).rstrip(b"=").decode("ascii")


def lire_curseur(texte: str | None) -> int:
    if not texte:
        return 0
    try:
        brut = base64.urlsafe_b64decode(texte + "=" * (-len(texte) % 4)).decode("ascii")
        if not brut.startswith("s"):
            raise ValueError(brut)
        valeur = int(brut[1:])
        if valeur < 0:
            raise ValueError(brut)
        return valeur
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Refus(code="curseur_invalide", detail="le curseur doit être une valeur curseur_suivant rendue par la boîte") from exc


def _decision(
    boite: Boite, appelant: Appelant, ligne: LigneMessage, decision: str, retenu: dict[str, Any] | None = None
) -> Decision:
    return Decision(
        decision=decision,
        horodatage=boite.horloge(),
        flux=ligne.flux,
        message=ligne.id,
        organisme=appelant.organisme.code,
        destinataire=ligne.destinataire,
        keyid=appelant.cle.keyid,
        agent=appelant.agent,
        robot=appelant.cle.robot,
        empreinte=ligne.empreinte,
        details={"emetteur": ligne.emetteur, **({"retenu": retenu} if retenu else {})},
    )


def livrable(boite: Boite, ligne: LigneMessage, profil: str) -> Livrable:
    """The message decrypted and cut to what a key of ``profil`` may read (minimisation)."""
    contenu = json.loads(boite.coffre.dechiffrer(ligne.contenu, ligne.id.encode("ascii")))
    return remettre(
        boite.conventions,
        boite.annuaire.actuel().organismes,
        convention=ligne.convention,
        flux=ligne.flux,
        emetteur=ligne.emetteur,
        destinataire=ligne.destinataire,
        profil=profil,
        contenu=contenu,
    )


def vue_message(boite: Boite, ligne: LigneMessage, contenu: dict[str, Any] | None = None) -> dict[str, Any]:
    """The message as a reader sees it; ``contenu`` already cut (``livrable``), else whole."""
    if contenu is None:
        contenu = json.loads(boite.coffre.dechiffrer(ligne.contenu, ligne.id.encode("ascii")))
    return {
        "id": ligne.id,
        "flux": ligne.flux,
        "emetteur": ligne.emetteur,
        "destinataire": ligne.destinataire,
        "recu_le": horodatage_texte(ligne.recu_le),
        "reference": ligne.reference,
        "en_reponse_a": ligne.en_reponse_a,
        "empreinte": ligne.empreinte,
        "journal_index": ligne.journal_index,
        "contenu": contenu,
    }


@dataclass(frozen=True)
class PageBoite:
    messages: list[dict[str, Any]]
    curseur_suivant: str | None


def lire_boite(
    boite: Boite, connexion: Connection, appelant: Appelant, curseur: str | None, limite: int
) -> PageBoite:
    apres = lire_curseur(curseur)
    # Flux the key's profile may not read (e.g. fraud signals for a non-fraud key) stay out of
    # its listing, and wait there for a key of the right profile.
    profil = appelant.cle.profil
    masques = masques_en_boite(boite.conventions, appelant.organisme, profil)
    lignes = messages.page_boite(connexion, appelant.organisme.code, apres, limite + 1, exclure=masques)
    suivante = lignes[limite].seq if len(lignes) > limite else None
    page = lignes[:limite]
    vues = []
    for ligne in page:
        part = livrable(boite, ligne, profil)
        if not part.visible:
            continue
        vues.append(vue_message(boite, ligne, part.contenu))
        boite.journal.ecrire(
            connexion, _with_nir(_decision(boite, appelant, ligne, "consulte", part.retenu), ligne)
        )
    # The cursor points after the last message handed out, so a consumer that acknowledges as it
    # goes and one that does not both see every message exactly once per pass.
    return PageBoite(vues, curseur_texte(page[-1].seq) if suivante is not None else None)


def _lisible(boite: Boite, appelant: Appelant, ligne: LigneMessage) -> bool:
    return lisible_par(
        boite.conventions,
        boite.annuaire.actuel().organismes,
        convention=ligne.convention,
        flux=ligne.flux,
        emetteur=ligne.emetteur,
        destinataire=ligne.destinataire,
        profil=appelant.cle.profil,
    )


def _with_nir(decision: Decision, ligne: LigneMessage) -> Decision:
    return Decision(**{**decision.__dict__, "nir_index": ligne.nir_index})


def acquitter(boite: Boite, connexion: Connection, appelant: Appelant, message_id: str) -> dict[str, Any]:
    instant = boite.horloge()
    ligne = messages.lire(connexion, message_id)
    if ligne is None or ligne.destinataire != appelant.organisme.code or not _lisible(boite, appelant, ligne):
        # A key that may not read it (profile) may not take it out of the inbox of those who may.
        raise Introuvable("message_inconnu", f"aucun message {citer(message_id)} n'est adressé à {appelant.organisme.code}")
    premier = messages.acquitter(connexion, message_id, appelant.organisme.code, instant, appelant.agent)
    if premier:
        index = boite.journal.ecrire(connexion, _with_nir(_decision(boite, appelant, ligne, "acquitte"), ligne))
        return {
            "id": message_id,
            "statut": messages.ACQUITTE,
            "acquitte_le": horodatage_texte(instant),
            "acquitte_par": appelant.agent,
            "journal_index": index,
            "deja_acquitte": False,
        }
    relue = messages.lire(connexion, message_id)
    assert relue is not None and relue.acquitte_le is not None
    reponse = {
        "id": message_id,
        "statut": relue.statut,
        "acquitte_le": horodatage_texte(relue.acquitte_le),
        "acquitte_par": relue.acquitte_par,
        "deja_acquitte": True,
    }
    if relue.purge_le is not None:
        reponse["purge_le"] = horodatage_texte(relue.purge_le)  # its payload is gone (retention)
    return reponse


PURGE = "purge"


def statut_global(ligne: LigneMessage, livraison: livraisons.LigneLivraison | None) -> str:
    """received, delivered, acknowledged, failed (retrying), dead or purged — one word for the
    integrator. Purged: acknowledged or delivered, then its payload destroyed at the end of its
    retention (``acquitte_le`` and the history still say what happened before)."""
    if ligne.purge_le is not None:
        return PURGE
    if ligne.statut == messages.ACQUITTE:
        return "acquitte"
    if livraison is not None and livraison.statut == livraisons.MORTE:
        return "mort"
    if livraison is not None and livraison.statut == livraisons.ECHEC:
        return "echec"
    return ligne.statut


def suivre(connexion: Connection, appelant: Appelant, message_id: str) -> dict[str, Any]:
    """Status and history, for the sender or the destination only (others get a plain 404)."""
    ligne = messages.lire(connexion, message_id)
    code = appelant.organisme.code
    if ligne is None or code not in (ligne.emetteur, ligne.destinataire):
        raise Introuvable("message_inconnu", f"aucun message {citer(message_id)} n'est visible de {code}")
    livraison = livraisons.lire(connexion, ligne.id)
    return {
        "id": ligne.id,
        "flux": ligne.flux,
        "emetteur": ligne.emetteur,
        "destinataire": ligne.destinataire,
        "statut": statut_global(ligne, livraison),
        "remise": ligne.remise,
        "livraison": None if livraison is None else {
            "statut": livraison.statut,
            "tentatives": livraison.tentatives,
            "derniere_erreur": livraison.derniere_erreur,
            "livre_le": horodatage_texte(livraison.livre_le) if livraison.livre_le else None,
        },
        "recu_le": horodatage_texte(ligne.recu_le),
        "acquitte_le": horodatage_texte(ligne.acquitte_le) if ligne.acquitte_le else None,
        "purge_le": horodatage_texte(ligne.purge_le) if ligne.purge_le else None,
        "en_reponse_a": ligne.en_reponse_a,
        "reference": ligne.reference,
        "empreinte": ligne.empreinte,
        "journal_index": ligne.journal_index,
        "historique": [
            {
                "journal_index": h["index"],
                "horodatage": horodatage_texte(h["horodatage"]),
                "decision": h["decision"],
                "code": h["code"],
                "organisme": h["organisme"],
            }
            for h in messages.historique(connexion, ligne.id, (ligne.emetteur, ligne.destinataire))
        ],
    }
