"""File exchange end to end: the worker drops a CSV batch on a real SFTP server, the caisse
answers with an acknowledgement file, the gateway applies it once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import yaml

from passerelle.app import connecteurs_de, livreur_de
from passerelle.acheminement.livraison import livrer_une_fois, relever_accuses
from passerelle.stockage.tables import journal, messages
from tests.catalogue.exemples import exemple_rdc
from tests.connecteurs.serveur_sftp import demarrer_serveur_sftp


def _deposer_par_fichier(passerelle, code: str, parametres: dict) -> None:  # type: ignore[no-untyped-def]
    chemin = passerelle.config / "annuaire" / "organismes.yaml"
    contenu = yaml.safe_load(chemin.read_text())
    for organisme in contenu["organismes"]:
        if organisme["code"] == code:
            organisme["connecteur"] = {"type": "fichier", **parametres}
    chemin.write_text(yaml.safe_dump(contenu, allow_unicode=True))
    passerelle.services.annuaire._intervalle = 0


@pytest.mark.asyncio
async def test_depot_sftp_et_accuses(passerelle, tmp_path) -> None:  # type: ignore[no-untyped-def]
    serveur = await demarrer_serveur_sftp(tmp_path)
    (serveur.racine / "depot").mkdir()
    (serveur.racine / "accuses").mkdir()
    connecteurs = connecteurs_de(passerelle.services)
    try:
        _deposer_par_fichier(passerelle, "cnav-idf", serveur.parametres())
        caf = passerelle.organisme("caf-075")
        jour = passerelle.horloge().date()
        ids = [caf.envoyer("rdc", exemple_rdc(aujourd_hui=jour, code_caf="075", destinataire=None)).donnees["id"] for _ in range(3)]
        assert await livrer_une_fois(livreur_de(passerelle.services), connecteurs) == 3
        fichiers = sorted((serveur.racine / "depot").rglob("*.csv"))
        assert len(fichiers) == 1
        lignes = fichiers[0].read_text(encoding="utf-8").splitlines()
        assert lignes[0].startswith("IdMessage;") and "NIRAssuré" in lignes[0]
        assert sorted(l.split(";")[0] for l in lignes[1:]) == sorted(ids)

        (serveur.racine / "accuses" / "retour.csv").write_text(
            "IdMessage;Statut;Detail\n" + f"{ids[0]};accepte;\n{ids[1]};accepte;\n{ids[2]};rejete;adresse inconnue\n",
            encoding="utf-8",
        )
        assert await relever_accuses(livreur_de(passerelle.services), connecteurs) == 3
        assert await relever_accuses(livreur_de(passerelle.services), connecteurs) == 0  # the file was filed away
        with passerelle.services.moteur.connect() as c:
            statuts = dict(c.execute(sa.select(messages.c.id, messages.c.statut)).all())
            decisions = [r.decision for r in c.execute(sa.select(journal.c.decision).order_by(journal.c.index))]
        assert [statuts[i] for i in ids] == ["acquitte", "acquitte", "rejete"]
        assert decisions.count("livre") == 3 and decisions.count("acquitte") == 2
        assert decisions.count("rejete_par_destinataire") == 1
        assert caf.message(ids[2]).donnees["statut"] == "rejete"
    finally:
        await connecteurs.fermer()
        await serveur.fermer()
