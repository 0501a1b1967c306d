"""Drill: rotation of the gateway's signing key, with the commands and restarts an operator does.

Add (published, not signing) → activate (signs receipts; checkpoints cosigned by both keys) →
retire the old one (private half destroyed, public half still published): every receipt ever
issued still verifies against the JWKS, the sequencer's chain of checkpoints stays consistent,
and the exported journal verifies offline across the rotation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from passerelle.app import sequenceur_de
from passerelle.client.client import ReponsePasserelle, cles_jwks
from passerelle.journal.note import analyser_cle_verification, verifier_checkpoint
from passerelle.signature.base import MessageHttp
from passerelle.signature.lecture import lire_signature
from passerelle.signature.verification import verifier_reponse
from passerelle.stockage.tables import journal_checkpoints
from tests.catalogue.exemples import exemple_rdc

ANCIENNE, NOUVELLE = "passerelle-dev-2026", "passerelle-2027-01"


def _envoyer(passerelle: Any) -> ReponsePasserelle:
    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    assert recu.statut == 202, recu.donnees
    return recu


def _verifier(passerelle: Any, recu: ReponsePasserelle) -> str:
    """The receipt checked against the keys the gateway publishes now, as an integrator would."""
    cles = cles_jwks(passerelle.client.get("/.well-known/jwks.json").json())
    keyid = lire_signature(recu.entetes).parametres["keyid"]
    message = MessageHttp(methode="", chemin="", requete="", entetes=recu.entetes, statut=recu.statut)
    return verifier_reponse(message, recu.corps, cles[keyid]).keyid


def _dernier_checkpoint(passerelle: Any) -> str:
    from passerelle.journal.sequenceur import sequencer

    sequencer(sequenceur_de(passerelle.services), forcer=True)
    with passerelle.services.moteur.connect() as c:
        return c.execute(sa.select(journal_checkpoints.c.note).order_by(journal_checkpoints.c.taille.desc())).scalars().first()


def _cles_journal(passerelle: Any) -> list[tuple[str, Any]]:
    texte = passerelle.client.get("/v1/journal/cle").text
    return [analyser_cle_verification(ligne) for ligne in texte.splitlines() if ligne]


def test_rotation_de_la_cle_de_signature(exploitation, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = exploitation.passerelle
    r1 = _envoyer(p)
    _dernier_checkpoint(p)
    [(origine, cle_ancienne)] = _cles_journal(p)

    # 1. add: published everywhere at the restart, nothing signed with it yet.
    exploitation.cli("secrets", "signature", "ajouter", str(exploitation.secrets), "--id", NOUVELLE)
    p = exploitation.redemarrer()
    assert sorted(k["kid"] for k in p.client.get("/.well-known/jwks.json").json()["keys"]) == [NOUVELLE, ANCIENNE]
    r2 = _envoyer(p)
    assert _verifier(p, r2) == ANCIENNE
    cosigne = _dernier_checkpoint(p)
    cles = _cles_journal(p)
    assert cles[0][1].public_bytes_raw() == cle_ancienne.public_bytes_raw() and len(cles) == 2
    cle_nouvelle = cles[1][1]
    # The checkpoints of the overlap carry both signatures: a verifier holding either checks them.
    for cle in (cle_ancienne, cle_nouvelle):
        assert verifier_checkpoint(cosigne, origine, cle, origine).taille >= 2

    # 2. activate: receipts signed by the new key; the old one still cosigns checkpoints.
    exploitation.cli("secrets", "signature", "activer", str(exploitation.secrets), NOUVELLE)
    p = exploitation.redemarrer()
    r3 = _envoyer(p)
    assert _verifier(p, r3) == NOUVELLE
    transition = _dernier_checkpoint(p)
    assert verifier_checkpoint(transition, origine, cle_ancienne, origine).taille >= 3
    assert _cles_journal(p)[0][1].public_bytes_raw() == cle_nouvelle.public_bytes_raw()  # active first

    ancienne_privee = p.services.secrets.cles_signature[ANCIENNE]  # what a thief of the old file holds

    # 3. retire the old one: refused for the active key; the private half goes, the public stays.
    exploitation.cli("secrets", "signature", "retirer", str(exploitation.secrets), NOUVELLE, code=1)
    exploitation.cli("secrets", "signature", "retirer", str(exploitation.secrets), ANCIENNE)
    assert "BEGIN PRIVATE KEY" in exploitation.secrets.read_text()  # the new key's
    p = exploitation.redemarrer()
    assert list(p.services.secrets.cles_signature) == [NOUVELLE]
    jwks = {k["kid"]: k for k in p.client.get("/.well-known/jwks.json").json()["keys"]}
    assert set(jwks) == {NOUVELLE, ANCIENNE} and jwks[ANCIENNE]["retiree_le"] == "2026-11-23T10:00:00.000000Z"
    assert "retiree_le" not in jwks[NOUVELLE]
    assert [_verifier(p, r) for r in (r1, r2, r3)] == [ANCIENNE, ANCIENNE, NOUVELLE]  # old receipts still verify
    # The reference client refuses what the retired key would sign after its retirement.
    import httpx
    import pytest

    from passerelle.client.client import RecuInvalide
    from passerelle.signature.signature import signer_reponse

    corps = b'{"id": "forge"}'
    for decalage, authentique in ((-60, True), (60, False)):
        entetes = {"content-type": "application/json"}
        entetes.update(signer_reponse(statut=202, entetes=entetes, corps=corps, cle=ancienne_privee, keyid=ANCIENNE,
                                      maintenant=int(p.horloge().timestamp()) + decalage))
        faux = httpx.Response(202, headers=entetes, content=corps)
        client = p.organisme("caf-042")
        if authentique:
            assert client.verifier_recu(faux) == ANCIENNE
        else:
            with pytest.raises(RecuInvalide, match="retirée"):
                client.verifier_recu(faux)
    _envoyer(p)
    apres = _dernier_checkpoint(p)  # the sequencer checked the last checkpoint with the retired key
    assert verifier_checkpoint(apres, origine, cle_nouvelle, origine).taille >= 4
    assert f"{ANCIENNE}" in (etat := exploitation.cli("secrets", "etat")) and "retirée le 2026-11-23" in etat

    # The journal, exported now, verifies offline across the whole rotation.
    from passerelle.journal.export import exporter
    from passerelle.journal.sequenceur import cles_verification
    from passerelle.journal.verificateur import verifier_export

    secrets = p.services.secrets
    cles_txt = cles_verification(secrets.publiques_signature(), secrets.signature_active, origine)
    exporter(p.services.moteur, tmp_path / "export", cles_txt, origine, p.horloge())
    rapport = verifier_export(tmp_path / "export")
    assert rapport.ok and rapport.checkpoints_valides >= 4, rapport.texte()
    # A verifier who pinned only the old key checks everything up to the transition, and no more:
    # it takes the new key from GET /v1/journal/cle and checks it against the cosigned checkpoints.
    seule_ancienne = verifier_export(tmp_path / "export", cle_confiance=cles_txt[1] + "\n")
    assert not seule_ancienne.ok and seule_ancienne.taille_prouvee >= 3
