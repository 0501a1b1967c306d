"""Drill: rotation of the blind-index key. Searches by NIR keep finding everything during it
(the person is searched under every key), answers to requests indexed under the old key are
still recognised as about the same person, messages and cases are re-indexed (purged ones cannot
be), journal entries keep their old index (immutable), and the old key goes only when nothing
live uses it — after which the entries it indexed are no longer found by NIR, as documented."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from passerelle.app import echeancier_de, purgeur_de, rotation_de
from passerelle.catalogue.nir import normaliser_nir
from passerelle.acheminement.echeances import traiter_echeances
from passerelle.conservation.purge import purger
from passerelle.cycle_cles.reindexation import reindexer, restants
from passerelle.journal.recherche import criteres, rechercher
from passerelle.stockage.tables import dossiers, journal, messages
from tests.demandes.exemples import NIR_RETENUE, exemple_retenue_demande, exemple_retenue_reponse

INITIALE, NOUVELLE = "initiale", "2027-01"


def _demander(passerelle: Any) -> str:
    recu = passerelle.organisme("carsat-ra").envoyer("retenue-demande", exemple_retenue_demande())
    assert recu.statut == 202, recu.donnees
    return recu.donnees["id"]


def _trouves(passerelle: Any, **kwargs: Any) -> set[int]:
    c = criteres(passerelle.services.journal, **kwargs, normaliser_nir=normaliser_nir)
    with passerelle.services.moteur.connect() as connexion:
        page = rechercher(connexion, c, portee=None, limite=200)
    return {e.index for e in page.entrees}


def _indexes_en_base(passerelle: Any, index: str) -> set[int]:
    with passerelle.services.moteur.connect() as c:
        return set(c.execute(sa.select(journal.c.index).where(journal.c.nir_index == index)).scalars())


def test_rotation_de_la_cle_d_index_aveugle(exploitation) -> None:  # type: ignore[no-untyped-def]
    p = exploitation.passerelle
    caf = p.organisme("caf-042")
    ancien = p.services.journal.index_nir(NIR_RETENUE)
    close = _demander(p)
    caf.boite()
    caf.acquitter(close)
    assert caf.envoyer("retenue-reponse", exemple_retenue_reponse(close)).statut == 202
    ouverte = _demander(p)
    p.horloge.avancer(days=10)
    assert traiter_echeances(echeancier_de(p.services)) == 1  # reminders to both parties: notices without a NIR of their own
    p.services.conservation.defaut["contenus"] = 1
    assert dict(purger(purgeur_de(p.services)).messages) == {"retenue-demande": 1}  # the closed request, purged

    exploitation.cli("secrets", "index", "ajouter", str(exploitation.secrets), "--id", NOUVELLE)
    p = exploitation.redemarrer()
    assert p.services.journal.index_nir(NIR_RETENUE) == ancien  # added, not active yet
    exploitation.cli("secrets", "index", "activer", str(exploitation.secrets), NOUVELLE)
    p = exploitation.redemarrer()
    caf = p.organisme("caf-042")
    neuf = p.services.journal.index_nir(NIR_RETENUE)
    assert neuf != ancien and p.services.journal.indexes_nir(NIR_RETENUE) == (neuf, ancien)

    # During the rotation: the answer to a request indexed under the old key is the same person.
    reponse = caf.envoyer("retenue-reponse", exemple_retenue_reponse(ouverte))
    assert reponse.statut == 202, reponse.donnees
    avant = _indexes_en_base(p, ancien)
    apres = _indexes_en_base(p, neuf)
    assert avant and apres
    assert _trouves(p, nir=NIR_RETENUE) == avant | apres  # one person, whenever indexed
    sortie = exploitation.cli("secrets", "index", "retirer", str(exploitation.secrets), INITIALE, code=1)
    assert "sont encore indexés sous initiale" in sortie

    bilan = reindexer(rotation_de(p.services), lot=1)  # one message per transaction: resumable at any point
    assert bilan.transactions >= 2 and bilan.incoherents == 0
    with p.services.moteur.connect() as c:
        assert restants(c, NOUVELLE) == {"messages": 0, "dossiers": 0}
        sous = dict(c.execute(sa.select(messages.c.purge_le.is_(None), messages.c.nir_cle)
                              .where(messages.c.nir_index.is_not(None))).all())
        assert c.execute(sa.select(sa.func.count()).where(dossiers.c.nir_cle != NOUVELLE)).scalar_one() == 0
        avis = c.execute(sa.select(messages.c.nir_index).where(messages.c.flux == "avis-echeance")).scalars().all()
        assert avis and set(avis) == {neuf}  # re-indexed with their request
        purge = c.execute(sa.select(messages.c.nir_index, messages.c.nir_cle).where(messages.c.id == close)).one()
    assert sous == {True: NOUVELLE, False: INITIALE} and tuple(purge) == (ancien, INITIALE)  # purged: nothing to read it from
    assert _indexes_en_base(p, ancien) == avant  # journal entries are immutable
    assert "reindexation" in {d for d in _decisions(p)}
    assert _trouves(p, nir=NIR_RETENUE) >= avant  # still found, through the key kept for search
    assert exploitation.cli("secrets", "reindexer").startswith("0 message(s)")

    etat = exploitation.cli("secrets", "etat")
    assert "gardée pour la recherche" in etat and "1 purgé(s)" in etat
    sortie = exploitation.cli("secrets", "index", "retirer", str(exploitation.secrets), INITIALE)
    assert "ne se retrouveront plus par NIR" in sortie
    p = exploitation.redemarrer()
    # Honest consequence: entries indexed under a retired key are found by their index only.
    assert _trouves(p, nir=NIR_RETENUE) == _indexes_en_base(p, neuf)
    assert _trouves(p, nir_index=ancien) == avant


def _decisions(passerelle: Any) -> list[str]:
    with passerelle.services.moteur.connect() as c:
        return list(c.execute(sa.select(journal.c.decision)).scalars())



def test_rapprochement_apparie_les_acces_d_avant_la_rotation() -> None:
    """A notary line's NIR is indexed under every key: accesses journaled before the rotation
    (old index) pair like the others."""
    from datetime import datetime, timezone

    from passerelle.auditeurs.rapprochement import AccesRobot, apparier, lire_journal_retraite
    from passerelle.journal.ecriture import Journal

    ancienne, nouvelle = b"\x01" * 32, b"\x02" * 32
    journal_ = Journal({NOUVELLE: nouvelle, INITIALE: ancienne}, NOUVELLE)
    avant = Journal(ancienne).index_nir(NIR_RETENUE)
    fichier = f"identifiant_accedant;nir;horodatage\nad-01;{NIR_RETENUE};2026-11-23T10:00:00Z\n".encode()
    lignes, rejetees = lire_journal_retraite(fichier.decode(), journal_)
    assert rejetees == [] and lignes[0].nir_anciens == (avant,)
    acces = AccesRobot(7, datetime(2026, 11, 23, 10, 0, 5, tzinfo=timezone.utc), "ad-01", "tech", "caf-042",
                       avant, "consulte", "rdc")
    paires, seules, orphelins = apparier(lignes, [acces], tolerance=60)
    assert [p.acces.index for p in paires] == [7] and seules == [] and orphelins == []
