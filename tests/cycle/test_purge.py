"""Retention drill, on both databases: what has been kept long enough is destroyed (its data key
first: crypto-shredding), every destruction is journaled, the journal still verifies, and nothing
that was never acknowledged nor delivered is ever purged by age."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from passerelle.app import purgeur_de, sequenceur_de
from passerelle.conservation.politique import PolitiqueInvalide, charger_politique
from passerelle.conservation.purge import purger
from passerelle.stockage.chiffrement import Chiffre
from passerelle.stockage.tables import idempotence, journal, lots, lots_resultats, messages
from tests.catalogue.exemples import exemple_cloture_rdc, exemple_rdc
from tests.demandes.exemples import exemple_retenue_demande


def _envoyer_rdc(passerelle: Any, cle: str | None = None) -> dict[str, Any]:
    donnees = exemple_rdc(aujourd_hui=passerelle.horloge().date())
    recu = passerelle.organisme("caf-042").envoyer("rdc", donnees, cle_idempotence=cle)
    assert recu.statut == 202, recu.donnees
    return {"id": recu.donnees["id"], "nir": donnees["nir_assure"], "recu": recu}


def _ligne(passerelle: Any, message_id: str) -> sa.Row:
    with passerelle.services.moteur.connect() as c:
        return c.execute(sa.select(messages).where(messages.c.id == message_id)).one()


def _purges(passerelle: Any) -> list[dict[str, Any]]:
    import json

    with passerelle.services.moteur.connect() as c:
        return [json.loads(e) for e in c.execute(sa.select(journal.c.entree).where(journal.c.decision == "purge")).scalars()]


def test_purge_apres_acquittement_par_effacement_cryptographique(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    carsat = passerelle.organisme("carsat-ra")
    acquitte = _envoyer_rdc(passerelle)
    jamais_lu = _envoyer_rdc(passerelle)
    assert carsat.acquitter(acquitte["id"]).statut == 200
    avant = _ligne(passerelle, acquitte["id"])
    assert avant.cle_donnees is not None and len(avant.cle_donnees) == 40  # its own wrapped data key
    copie = Chiffre(avant.cle_chiffrement, bytes(avant.contenu), bytes(avant.cle_donnees))  # a backup, taken now

    passerelle.horloge.avancer(days=89)
    assert sum(purger(purgeur_de(passerelle.services)).messages.values()) == 0  # kept 90 days after its acknowledgement
    passerelle.horloge.avancer(days=1)
    bilan = purger(purgeur_de(passerelle.services))
    assert dict(bilan.messages) == {"rdc": 1}
    assert bilan.retenus["non_acquittes"] == 1  # never read: never purged by age

    apres = _ligne(passerelle, acquitte["id"])
    assert apres.contenu == b"" and apres.cle_donnees is None and apres.purge_le is not None
    assert apres.empreinte == avant.empreinte and apres.statut == "acquitte"
    assert _ligne(passerelle, jamais_lu["id"]).purge_le is None
    # The backup taken before holds a data key wrapped by the at-rest key still in force: it is
    # the rotation of that key (tests/cycle/test_rotation_chiffrement.py) that makes it unreadable.
    assert passerelle.services.coffre.dechiffrer(copie, acquitte["id"].encode())

    [entree] = _purges(passerelle)
    assert entree["message"] == acquitte["id"] and entree["details"]["nature"] == "contenus"
    assert entree["details"]["depuis"] == "acquittement" and entree["details"]["conservation_jours"] == 90
    assert entree["nir"] == avant.nir_index and acquitte["nir"] not in str(entree)

    vue = passerelle.organisme("caf-042").message(acquitte["id"])
    assert vue.statut == 200 and vue.donnees["statut"] == "purge"
    assert vue.donnees["purge_le"] == "2027-02-21T10:00:00.000000Z"
    assert [h["decision"] for h in vue.donnees["historique"]] == ["accepte", "acquitte", "purge"]
    deja = carsat.acquitter(acquitte["id"])
    assert deja.statut == 200 and deja.donnees["deja_acquitte"] and deja.donnees["purge_le"]
    assert [m["id"] for m in carsat.boite().donnees["messages"]] == [jamais_lu["id"]]  # readable as ever

    assert sum(purger(purgeur_de(passerelle.services)).messages.values()) == 0  # idempotent

    # The journal still verifies offline: it never held what was destroyed.
    from passerelle.journal.export import exporter
    from passerelle.journal.sequenceur import cles_verification, sequencer
    from passerelle.journal.verificateur import verifier_export

    sequencer(sequenceur_de(passerelle.services), forcer=True)
    secrets = passerelle.services.secrets
    exporter(passerelle.services.moteur, tmp_path / "export",
             cles_verification(secrets.publiques_signature(), secrets.signature_active,
                               passerelle.services.reglages.origine_journal),
             passerelle.services.reglages.origine_journal, passerelle.horloge())
    rapport = verifier_export(tmp_path / "export")
    assert rapport.ok, rapport.texte()


def test_reponse_a_une_demande_purgee_et_dossier_ouvert_garde(passerelle) -> None:  # type: ignore[no-untyped-def]
    carsat = passerelle.organisme("carsat-ra")
    rdc = _envoyer_rdc(passerelle)
    carsat.acquitter(rdc["id"])
    demande = carsat.envoyer("retenue-demande", exemple_retenue_demande())
    assert demande.statut == 202, demande.donnees
    caf = passerelle.organisme("caf-042")
    assert caf.acquitter(demande.donnees["id"]).statut == 200
    passerelle.horloge.avancer(days=10)  # the case (15 days) still waits for its answer
    passerelle.services.conservation.defaut["contenus"] = 1  # as if its policy were one day
    bilan = purger(purgeur_de(passerelle.services))
    assert dict(bilan.messages) == {"rdc": 1} and bilan.retenus["dossier_ouvert"] == 1
    assert _ligne(passerelle, demande.donnees["id"]).purge_le is None

    # A late answer to a purged request whose rules need nothing of it is still taken.
    reponse = carsat.envoyer("cloture-rdc", exemple_cloture_rdc(en_reponse_a=rdc["id"], nir_assure=rdc["nir"]))
    assert reponse.statut == 202, reponse.donnees


def test_livre_par_poussee_purge_apres_livraison(passerelle) -> None:  # type: ignore[no-untyped-def]
    rdc, morte = _envoyer_rdc(passerelle), _envoyer_rdc(passerelle)
    with passerelle.services.ecriture, passerelle.services.moteur.begin() as c:
        c.execute(sa.update(messages).where(messages.c.id == rdc["id"]).values(statut="livre", remise="http"))
        c.execute(sa.text(
            "INSERT INTO livraisons (message_id, destinataire, connecteur, statut, tentatives, prochaine_tentative, livre_le) "
            "VALUES (:id, 'carsat-ra', 'http', 'livre', 1, :t, :t)"), {"id": rdc["id"], "t": passerelle.horloge()})
        c.execute(sa.update(messages).where(messages.c.id == morte["id"]).values(remise="http"))
        c.execute(sa.text(
            "INSERT INTO livraisons (message_id, destinataire, connecteur, statut, tentatives, prochaine_tentative) "
            "VALUES (:id, 'carsat-ra', 'http', 'morte', 10, :t)"), {"id": morte["id"], "t": passerelle.horloge()})
    passerelle.horloge.avancer(days=91)
    bilan = purger(purgeur_de(passerelle.services))
    assert dict(bilan.messages) == {"rdc": 1} and bilan.retenus["lettres_mortes"] == 1
    [entree] = _purges(passerelle)
    assert entree["message"] == rdc["id"] and entree["details"]["depuis"] == "livraison"
    assert _ligne(passerelle, morte["id"]).purge_le is None


def test_idempotence_et_lots_purges_et_journalises(passerelle) -> None:  # type: ignore[no-untyped-def]
    premier = _envoyer_rdc(passerelle, cle="cle-1")
    caf = passerelle.organisme("caf-042")
    lot = b"\n".join(
        __import__("json").dumps(exemple_rdc(aujourd_hui=passerelle.horloge().date())).encode() for _ in range(2)
    ) + b"\n"
    assert caf.envoyer_lot("rdc", lot, cle_lot="lot-1").statut == 200
    passerelle.horloge.avancer(days=29)
    essai = purger(purgeur_de(passerelle.services), essai=True)
    assert essai.idempotence == 0 and essai.lots == 0
    passerelle.horloge.avancer(days=1)
    essai = purger(purgeur_de(passerelle.services), essai=True)
    assert (essai.idempotence, essai.lots) == (1, 1)
    with passerelle.services.moteur.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(idempotence)).scalar_one() == 1  # a trial destroys nothing
    bilan = purger(purgeur_de(passerelle.services))
    assert (bilan.idempotence, bilan.lots) == (1, 1)
    with passerelle.services.moteur.connect() as c:
        for table in (idempotence, lots, lots_resultats):
            assert c.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0
    natures = {e["details"]["nature"]: e["details"] for e in _purges(passerelle)}
    assert natures["idempotence"]["par_emetteur"] == [{"emetteur": "caf-042", "flux": "rdc", "nombre": 1}]
    assert natures["lots"]["nombre"] == 1 and natures["lots"]["inacheves"] == 0
    # Past its retention, the same key is a new request: the integrators' contract says so.
    donnees = exemple_rdc(aujourd_hui=passerelle.horloge().date())
    neuf = caf.envoyer("rdc", donnees, cle_idempotence="cle-1")
    assert neuf.statut == 202 and neuf.donnees["id"] != premier["id"]


def test_sans_politique_rien_n_est_purge(passerelle) -> None:  # type: ignore[no-untyped-def]
    (passerelle.config / "regles" / "conservation.yaml").unlink()
    politique = charger_politique(passerelle.config / "regles" / "conservation.yaml", passerelle.services.catalogue)
    assert not politique.active
    passerelle.services.conservation = politique
    rdc = _envoyer_rdc(passerelle)
    passerelle.organisme("carsat-ra").acquitter(rdc["id"])
    passerelle.horloge.avancer(days=4000)
    bilan = purger(purgeur_de(passerelle.services))
    assert not bilan.active and bilan.total == 0 and _ligne(passerelle, rdc["id"]).purge_le is None


def test_politique_invalide_nommee(config: Path) -> None:
    from passerelle.catalogue.registre import charger_catalogue

    catalogue = charger_catalogue(config / "flux.yaml")
    chemin = config / "regles" / "conservation.yaml"
    contenu = yaml.safe_load(chemin.read_text())
    contenu["flux"]["rdcc"] = {"contenus": 10}
    chemin.write_text(yaml.safe_dump(contenu))
    with pytest.raises(PolitiqueInvalide, match="rdcc"):
        charger_politique(chemin, catalogue)
    contenu["flux"] = {"rdc": {"contenus": 0}}
    chemin.write_text(yaml.safe_dump(contenu))
    with pytest.raises(PolitiqueInvalide, match="contenus"):
        charger_politique(chemin, catalogue)
    contenu["flux"] = {"rdc": {"contenus": None}}
    chemin.write_text(yaml.safe_dump(contenu))
    politique = charger_politique(chemin, catalogue)
    assert politique.jours("rdc", "contenus") is None and politique.jours("cloture-rdc", "contenus") == 90


def test_commande_purge(exploitation) -> None:  # type: ignore[no-untyped-def]
    passerelle = exploitation.passerelle
    rdc = _envoyer_rdc(passerelle)
    passerelle.organisme("carsat-ra").acquitter(rdc["id"])
    _envoyer_rdc(passerelle)
    passerelle.horloge.avancer(days=100)
    sortie = exploitation.cli("purge", "--essai")
    assert "contenus de messages: 1 (rdc 1)" in sortie and "jamais acquittés (boîte non relevée): 1" in sortie
    assert _ligne(passerelle, rdc["id"]).purge_le is None
    sortie = exploitation.cli("purge")
    assert "détruits" in sortie and _ligne(passerelle, rdc["id"]).purge_le is not None
