"""Putting a decided message in place for its destination: the encrypted row, and for a push
destination the outbox row, in the caller's transaction. Every message — an organisme's or one
the gateway emits itself (deadline notices) — goes through here."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.annuaire.modeles import Organisme
from passerelle.stockage import livraisons, messages
from passerelle.stockage.chiffrement import Coffre


def enregistrer_message(
    coffre: Coffre,
    connexion: Connection,
    *,
    message_id: str,
    flux: str,
    emetteur: str,
    destinataire: Organisme,
    keyid: str,
    agent: str,
    donnees: dict[str, Any],
    empreinte: str,
    instant: datetime,
    journal_index: int,
    nir_index: str | None,
    nir_cle: str | None = None,
    reference: str | None = None,
    en_reponse_a: str | None = None,
    regles_version: str | None = None,
    convention: str | None = None,
) -> None:
    contenu = json.dumps(donnees, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    messages.inserer(
        connexion,
        messages.LigneMessage(
            seq=0,
            id=message_id,
            flux=flux,
            emetteur=emetteur,
            destinataire=destinataire.code,
            keyid=keyid,
            agent=agent,
            reference=reference,
            en_reponse_a=en_reponse_a,
            nir_index=nir_index,
            empreinte=empreinte,
            recu_le=instant,
            statut=messages.RECU,
            acquitte_le=None,
            acquitte_par=None,
            contenu=coffre.chiffrer(contenu, message_id.encode("ascii")),
            journal_index=journal_index,
            regles_version=regles_version,
            remise=destinataire.connecteur,
            convention=convention,
            nir_cle=nir_cle if nir_index is not None else None,
        ),
    )
    if destinataire.connecteur != messages.REMISE_BOITE:
        livraisons.programmer(connexion, message_id, destinataire.code, destinataire.connecteur, instant)
