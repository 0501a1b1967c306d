"""The sequencer on SQLite and PostgreSQL: batches, stored nodes, checkpoints due every N entries
or T seconds, the advisory lock, and the refusal to sign a checkpoint that forks the log."""

from __future__ import annotations

import base64
import hashlib
import threading

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from passerelle.journal.merkle import (
    ArbreCompact,
    adresses_frontiere,
    hash_feuille,
    racine,
)
from passerelle.journal.note import analyser_checkpoint, verifier_checkpoint
from passerelle.journal.sequenceur import IncoherenceJournal, integrer
from passerelle.stockage.tables import (
    journal,
    journal_checkpoints,
    journal_integration,
    journal_noeuds,
)
from tests.journal_api.conftest import envoyer_rdc, sequencer


def _entrees(passerelle) -> list[bytes]:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        return [bytes(e) for e in c.execute(sa.select(journal.c.entree).order_by(journal.c.index)).scalars()]


def _checkpoints(passerelle) -> list[tuple[int, bytes, str]]:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        lignes = c.execute(sa.select(journal_checkpoints).order_by(journal_checkpoints.c.taille)).all()
    return [(int(l.taille), bytes(l.racine), l.note) for l in lignes]


def _publique(passerelle) -> bytes:  # type: ignore[no-untyped-def]
    cle = passerelle.services.secrets.cle_signature.public_key()
    return cle.public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_lots_noeuds_et_checkpoints_dus(passerelle) -> None:  # type: ignore[no-untyped-def]
    envoyer_rdc(passerelle, 5)
    assert len(_entrees(passerelle)) == 5

    premier = sequencer(passerelle, lot_max=2, toutes_entrees=3)
    assert (premier.taille_avant, premier.taille) == (0, 2)
    assert premier.checkpoint is not None and premier.checkpoint.taille == 2, "le premier passage signe toujours"

    second = sequencer(passerelle, lot_max=2, toutes_entrees=3)
    assert (second.taille, second.checkpoint) == (4, None), "2 entrées de plus < 3: rien à signer"
    troisieme = sequencer(passerelle, lot_max=2, toutes_entrees=3)
    assert troisieme.taille == 5 and troisieme.checkpoint is not None and troisieme.checkpoint.taille == 5
    assert sequencer(passerelle, toutes_entrees=3).integrees == 0

    # T seconds: one more entry, not due by count, due once the clock has moved on
    envoyer_rdc(passerelle, 1)
    assert sequencer(passerelle, toutes_entrees=3, toutes_secondes=10).checkpoint is None
    passerelle.horloge.avancer(seconds=10)
    dernier = sequencer(passerelle, toutes_entrees=3, toutes_secondes=10)
    assert dernier.integrees == 0 and dernier.checkpoint is not None and dernier.checkpoint.taille == 6

    entrees = _entrees(passerelle)
    feuilles = [hash_feuille(e) for e in entrees]
    assert [(t, r) for t, r, _ in _checkpoints(passerelle)] == [
        (2, racine(feuilles[:2])), (5, racine(feuilles[:5])), (6, racine(feuilles))
    ]
    _, crees = ArbreCompact().ajouter(feuilles)
    with passerelle.services.moteur.connect() as c:
        stockes = {(n, i): bytes(h) for n, i, h in c.execute(sa.select(journal_noeuds))}
        assert c.execute(sa.select(journal_integration.c.taille)).scalar_one() == 6
    assert stockes == {(n.niveau, n.index): n.hash for n in crees}, "chaque sous-arbre complet, une fois"


def test_premier_passage_signe_l_arbre_vide(passerelle) -> None:  # type: ignore[no-untyped-def]
    resultat = sequencer(passerelle)
    assert resultat.checkpoint is not None and resultat.checkpoint.taille == 0
    assert resultat.checkpoint.racine == hashlib.sha256(b"").digest()
    assert sequencer(passerelle).checkpoint is None, "rien de neuf: pas de second checkpoint de taille 0"


def test_checkpoint_est_une_note_c2sp_avec_l_id_de_la_specification(passerelle) -> None:  # type: ignore[no-untyped-def]
    envoyer_rdc(passerelle, 3)
    note = sequencer(passerelle).note
    assert note is not None
    origine = passerelle.services.reglages.origine_journal
    publique = _publique(passerelle)

    # Independent of passerelle.journal.note: the spec's layout, key id and signed bytes.
    texte, signatures = note.split("\n\n")
    texte += "\n"
    origine_lue, taille, racine_b64 = texte.splitlines()
    assert (origine_lue, taille) == (origine, "3")
    assert base64.b64decode(racine_b64) == racine([hash_feuille(e) for e in _entrees(passerelle)])
    [ligne] = signatures.splitlines()
    assert ligne.startswith("\u2014 " + origine + " ")
    brute = base64.b64decode(ligne.rsplit(" ", 1)[1])
    attendu = hashlib.sha256(origine.encode() + b"\n" + b"\x01" + publique).digest()[:4]
    assert brute[:4] == attendu and len(brute) == 4 + 64
    passerelle.services.secrets.cle_signature.public_key().verify(brute[4:], texte.encode("utf-8"))

    # and with our own verifier, from the key string the gateway publishes
    cle = passerelle.client.get("/v1/journal/cle").text.splitlines()[0]
    cle_b64 = base64.b64encode(bytes([1]) + publique).decode()
    assert cle == f"{origine}+{attendu.hex()}+{cle_b64}"
    checkpoint = verifier_checkpoint(note, origine, passerelle.services.secrets.cle_signature.public_key(), origine)
    assert checkpoint.taille == 3


@pytest.fixture
def postgresql_seulement(url_base: str) -> None:
    if not url_base.startswith("postgresql"):
        pytest.skip("verrou consultatif: PostgreSQL seulement (SQLite sérialise par BEGIN IMMEDIATE)")


def test_verrou_consultatif_un_seul_sequenceur(passerelle, postgresql_seulement) -> None:  # type: ignore[no-untyped-def]
    envoyer_rdc(passerelle, 3)
    services = passerelle.services
    origine = services.reglages.origine_journal
    cle = services.secrets.cle_signature

    def une_fois(connexion):  # type: ignore[no-untyped-def]
        return integrer(connexion, cle, origine, origine, services.horloge(), lot_max=100)

    with services.moteur.begin() as premiere:
        tient = une_fois(premiere)
        with services.moteur.begin() as seconde:  # a second replica while the first one holds the lock
            autre = une_fois(seconde)
    assert tient.verrou and tient.integrees == 3 and tient.checkpoint is not None
    assert not autre.verrou and autre.checkpoint is None

    # truly concurrent: two threads start together; every leaf integrated once, no duplicate node
    envoyer_rdc(passerelle, 4)
    depart = threading.Barrier(2)
    resultats = []

    def replique() -> None:
        depart.wait()
        with services.moteur.begin() as connexion:
            resultats.append(une_fois(connexion))

    fils = [threading.Thread(target=replique) for _ in range(2)]
    for f in fils:
        f.start()
    for f in fils:
        f.join()
    assert sum(r.integrees for r in resultats if r.verrou) == 4
    with services.moteur.connect() as c:
        assert c.execute(sa.select(journal_integration.c.taille)).scalar_one() == 7


def _modifier_noeud(passerelle, niveau: int, index: int) -> None:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.begin() as c:
        c.execute(
            sa.update(journal_noeuds)
            .where(journal_noeuds.c.niveau == niveau, journal_noeuds.c.index == index)
            .values(hash=b"\x42" * 32)
        )


def test_jamais_deux_checkpoints_incoherents(passerelle) -> None:  # type: ignore[no-untyped-def]
    envoyer_rdc(passerelle, 6)
    assert sequencer(passerelle).checkpoint.taille == 6  # type: ignore[union-attr]
    envoyer_rdc(passerelle, 1)
    # A node of the right edge rewritten behind the sequencer's back: the new root would fork.
    gauche, _droite = adresses_frontiere(6)
    _modifier_noeud(passerelle, gauche.niveau, gauche.index)
    with pytest.raises(IncoherenceJournal, match="n'étend pas le checkpoint signé de taille 6"):
        sequencer(passerelle, forcer=True)
    assert [t for t, _, _ in _checkpoints(passerelle)] == [6], "rien n'a été signé ni intégré"
    with passerelle.services.moteur.connect() as c:
        assert c.execute(sa.select(journal_integration.c.taille)).scalar_one() == 6


def test_racine_du_checkpoint_stocke_alteree(passerelle) -> None:  # type: ignore[no-untyped-def]
    envoyer_rdc(passerelle, 2)
    sequencer(passerelle)
    envoyer_rdc(passerelle, 1)
    with passerelle.services.moteur.begin() as c:
        c.execute(sa.update(journal_checkpoints).values(racine=b"\x00" * 32))
    with pytest.raises(IncoherenceJournal, match="ne correspond pas à sa note signée"):
        sequencer(passerelle, forcer=True)
    # and a forged note (root edited inside the text) is not a gateway signature
    with passerelle.services.moteur.begin() as c:
        note = c.execute(sa.select(journal_checkpoints.c.note)).scalar_one()
        lignes = note.split("\n")
        lignes[2] = base64.b64encode(b"\x00" * 32).decode()
        c.execute(sa.update(journal_checkpoints).values(note="\n".join(lignes)))
    with pytest.raises(IncoherenceJournal, match="n'est pas une note signée"):
        sequencer(passerelle, forcer=True)


def test_taille_integree_reculee(passerelle) -> None:  # type: ignore[no-untyped-def]
    envoyer_rdc(passerelle, 4)
    sequencer(passerelle)
    with passerelle.services.moteur.begin() as c:
        c.execute(sa.update(journal_integration).values(taille=2))
    with pytest.raises((IncoherenceJournal, sa.exc.IntegrityError)):
        sequencer(passerelle, forcer=True)
    with passerelle.services.moteur.begin() as c:
        c.execute(sa.update(journal_integration).values(taille=12))
    with pytest.raises(IncoherenceJournal, match="frontière de l'arbre de taille 12 incomplète"):
        sequencer(passerelle, forcer=True)


def test_checkpoint_signe_lisible(passerelle) -> None:  # type: ignore[no-untyped-def]
    envoyer_rdc(passerelle, 2)
    resultat = sequencer(passerelle)
    assert analyser_checkpoint(resultat.note.split("\n\n")[0] + "\n") == resultat.checkpoint  # type: ignore[union-attr]


def test_sequenceur_de_fond_de_l_application(url_base, config, horloge) -> None:  # type: ignore[no-untyped-def]
    """The lifespan task integrates and signs without anyone calling it."""
    import time as temps

    from fastapi.testclient import TestClient

    from passerelle.app import create_app
    from passerelle.journal.ecriture import Decision
    from passerelle.reglages import Mode, Reglages
    from passerelle.services import construire_services

    reglages = Reglages(mode=Mode.developpement, base=url_base, config=config, sequenceur_intervalle=0.05)
    services = construire_services(reglages, horloge=horloge)
    try:
        with TestClient(create_app(services=services)):
            with services.moteur.begin() as c:
                for _ in range(3):
                    services.journal.ecrire(c, Decision(decision="essai", horodatage=horloge()))
            horloge.avancer(seconds=reglages.checkpoint_toutes_secondes)  # due by time, whatever ran before
            limite = temps.monotonic() + 30  # generous: CI machines are shared
            tailles: list[int] = []
            while temps.monotonic() < limite and 3 not in tailles:
                temps.sleep(0.05)
                with services.moteur.connect() as c:
                    tailles = list(c.execute(sa.select(journal_checkpoints.c.taille)).scalars())
            assert 3 in tailles, tailles
    finally:
        services.moteur.dispose()
