"""Drill: rotation of the at-rest key. Add, activate, re-encrypt (resumable, journaled; only the
data keys are re-wrapped, rows from before envelopes get one), see that the old key is no longer
used, retire it — and then a backup taken before the rotation reads nothing, purged or not."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from passerelle.app import purgeur_de, rotation_de
from passerelle.cycle_cles.rechiffrement import rechiffrer
from passerelle.stockage.chiffrement import Chiffre, CleInconnue
from passerelle.stockage.tables import journal, messages
from tests.catalogue.exemples import exemple_rdc

ANCIENNE, NOUVELLE = "dev-2026", "2027-01"


def _envoyer(passerelle: Any) -> str:
    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    assert recu.statut == 202, recu.donnees
    return recu.donnees["id"]


def _ligne(passerelle: Any, ident: str) -> sa.Row:
    with passerelle.services.moteur.connect() as c:
        return c.execute(sa.select(messages).where(messages.c.id == ident)).one()


def _sans_enveloppe(passerelle: Any, ident: str) -> None:
    """Make the row as the gateway wrote it before envelopes: payload directly under the key."""
    ligne = _ligne(passerelle, ident)
    coffre = passerelle.services.coffre
    clair = coffre.dechiffrer(Chiffre(ligne.cle_chiffrement, ligne.contenu, ligne.cle_donnees), ident.encode())
    nonce = os.urandom(12)
    ancien = nonce + AESGCM(passerelle.services.secrets.cles_chiffrement[ANCIENNE]).encrypt(nonce, clair, ident.encode())
    with passerelle.services.moteur.begin() as c:
        c.execute(sa.update(messages).where(messages.c.id == ident).values(contenu=ancien, cle_donnees=None))


def test_rotation_de_la_cle_au_repos(exploitation) -> None:  # type: ignore[no-untyped-def]
    p = exploitation.passerelle
    enveloppe, ancien, purge = _envoyer(p), _envoyer(p), _envoyer(p)
    _sans_enveloppe(p, ancien)
    sauvegarde = {i: _ligne(p, i) for i in (enveloppe, ancien, purge)}  # a backup of the table, before
    carsat = p.organisme("carsat-ra")
    carsat.acquitter(purge)
    p.horloge.avancer(days=91)
    from passerelle.conservation.purge import purger

    assert sum(purger(purgeur_de(p.services)).messages.values()) == 1

    exploitation.cli("secrets", "chiffrement", "ajouter", str(exploitation.secrets), "--id", NOUVELLE)
    p = exploitation.redemarrer()
    exploitation.cli("secrets", "chiffrement", "activer", str(exploitation.secrets), NOUVELLE)
    p = exploitation.redemarrer()
    neuf = _envoyer(p)
    assert _ligne(p, neuf).cle_chiffrement == NOUVELLE
    etat = exploitation.cli("secrets", "etat")
    assert "2 message(s) (1 sans clé de données) — encore utilisée par 2 message(s)" in etat
    sortie = exploitation.cli("secrets", "chiffrement", "retirer", str(exploitation.secrets), ANCIENNE, code=1)
    assert "rien n'a été écrit: 2 message(s) sont encore chiffrés sous dev-2026" in sortie

    # Resumable: one row, then the rest from the command; each transaction journaled.
    premier = rechiffrer(rotation_de(p.services), limite=1)
    assert premier.messages == 1 and premier.par_cle == {ANCIENNE: 1}
    sortie = exploitation.cli("secrets", "rechiffrer")
    assert sortie.startswith("1 message(s) mis sous la clé 2027-01")
    assert rechiffrer(rotation_de(p.services)).messages == 0
    with p.services.moteur.connect() as c:
        entrees = [json.loads(e) for e in c.execute(sa.select(journal.c.entree).where(journal.c.decision == "rechiffrement")).scalars()]
    assert sum(e["details"]["messages"] for e in entrees) == 2
    assert sum(e["details"]["enveloppes_creees"] for e in entrees) == 1
    assert all(e["details"]["cle"] == NOUVELLE and e["details"]["avant"] == {ANCIENNE: 1} for e in entrees)
    apres = _ligne(p, enveloppe)
    assert apres.contenu == sauvegarde[enveloppe].contenu  # the payload was not rewritten: its key was
    assert apres.cle_donnees != sauvegarde[enveloppe].cle_donnees and apres.cle_chiffrement == NOUVELLE
    assert _ligne(p, ancien).cle_donnees is not None and _ligne(p, purge).cle_chiffrement == ANCIENNE

    assert "plus utilisée par aucun message: peut être retirée" in exploitation.cli("secrets", "etat")
    exploitation.cli("secrets", "chiffrement", "retirer", str(exploitation.secrets), ANCIENNE)
    p = exploitation.redemarrer()
    assert set(p.services.secrets.cles_chiffrement) == {NOUVELLE}
    lus = {m["id"]: m["contenu"] for m in p.organisme("carsat-ra").boite().donnees["messages"]}
    assert set(lus) == {enveloppe, ancien, neuf} and all(c["nir_assure"] for c in lus.values())

    # The backup taken before the rotation now reads nothing: its data keys were wrapped by the
    # retired key — the purged message's included, though its row was then still whole.
    for ident, ligne in sauvegarde.items():
        with pytest.raises(CleInconnue):
            p.services.coffre.dechiffrer(Chiffre(ligne.cle_chiffrement, ligne.contenu, ligne.cle_donnees), ident.encode())
