"""Auditors' accounts: secrets stored only hashed, one refusal code, an explicit scope."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from passerelle.auditeurs import comptes
from passerelle.cli import app
from passerelle.erreurs import RefusAuthentification
from passerelle.stockage.base import migrer, ouvrir
from passerelle.stockage.tables import auditeurs, journal

INSTANT = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def moteur(url_base: str):  # type: ignore[no-untyped-def]
    moteur = ouvrir(url_base)
    migrer(moteur)
    yield moteur
    moteur.dispose()


def test_le_secret_n_est_stocke_que_hache(moteur) -> None:  # type: ignore[no-untyped-def]
    with moteur.begin() as c:
        auditeur, secret = comptes.creer(c, "a-durand", "Anne Durand, CNIL", ["caf-042", "carsat-ra"], INSTANT)
    assert len(secret) >= 40 and auditeur.portee == ("caf-042", "carsat-ra") and auditeur.actif
    with moteur.connect() as c:
        ligne = c.execute(sa.select(auditeurs)).one()
    assert secret not in repr(tuple(ligne))
    nom, n, r, p, sel, empreinte = ligne.secret.split("$")
    assert (nom, int(n), int(r), int(p)) == ("scrypt", 2**15, 8, 1)
    assert comptes.verifier_secret(secret, ligne.secret)
    assert not comptes.verifier_secret(secret + "x", ligne.secret)
    # Two accounts with the same secret would still have different hashes (per-account salt).
    assert comptes.hacher_secret(secret) != ligne.secret


def test_un_seul_code_de_refus_quelle_que_soit_la_faute(moteur) -> None:  # type: ignore[no-untyped-def]
    with moteur.begin() as c:
        _, secret = comptes.creer(c, "a-durand", "Anne Durand", None, INSTANT)
        comptes.creer(c, "b-martin", "Bruno Martin", ["caf-042"], INSTANT)
    with moteur.begin() as c:
        assert comptes.authentifier(c, "a-durand", secret).tous
        autre = secret[:-1] + ("A" if secret[-1] != "A" else "B")
        fautes = [("a-durand", autre), ("inconnu", secret), ("b-martin", secret), ("a.durand", secret), ("", "")]
        for identifiant, essai in fautes:
            with pytest.raises(RefusAuthentification) as refus:
                comptes.authentifier(c, identifiant, essai)
            assert refus.value.code == "identifiants_invalides" and refus.value.statut == 401
            assert refus.value.entetes["WWW-Authenticate"].startswith("Bearer")
        comptes.desactiver(c, "a-durand", INSTANT)
        with pytest.raises(RefusAuthentification):
            comptes.authentifier(c, "a-durand", secret)


def test_portee_explicite_et_controlee(moteur) -> None:  # type: ignore[no-untyped-def]
    connus = ["caf-042", "carsat-ra"]
    with moteur.begin() as c:
        for identifiant, organismes, message in [
            ("x", None, "identifiant"),
            ("avec.point", None, "sans point"),
            ("vide", [], "portée vide"),
            ("vide2", [" ", ""], "portée vide"),
            ("inconnu", ["caf-999"], "absents de l'annuaire"),
            ("invalide", ["CAF 42"], "code d'organisme invalide"),
        ]:
            with pytest.raises(comptes.CompteInvalide, match=message):
                comptes.creer(c, identifiant, "Nom", organismes, INSTANT, organismes_connus=connus)
        a, _ = comptes.creer(c, "portee", "Nom", ["carsat-ra", "caf-042", "caf-042"], INSTANT, organismes_connus=connus)
        assert a.organismes == ("caf-042", "carsat-ra") and not a.tous
        assert a.voit(("caf-042", None)) and a.voit((None, "carsat-ra")) and not a.voit(("caf-069", "cnav-idf"))
        with pytest.raises(comptes.CompteInvalide, match="existe déjà"):
            comptes.creer(c, "portee", "Nom", None, INSTANT)


def test_lecture_du_jeton_bearer() -> None:
    assert comptes.lire_jeton("Bearer a-durand.s3cr-et_") == ("a-durand", "s3cr-et_")
    assert comptes.lire_jeton("bearer  a-durand.x.y") == ("a-durand", "x.y")
    for mauvais in (None, "", "Basic abc", "Bearer", "Bearer a-durand", "Bearer .secret", "Bearer a-durand."):
        with pytest.raises(RefusAuthentification):
            comptes.lire_jeton(mauvais)


def test_cli_creer_lister_desactiver(url_base: str, config: Path) -> None:
    runner = CliRunner()
    options = ["--base", url_base, "--config", str(config), "--developpement"]
    ambigu = runner.invoke(app, ["auditeurs", "creer", "a-durand", "--nom", "Anne Durand", *options])
    assert ambigu.exit_code == 2 and "--tous" in ambigu.output  # usage
    cree = runner.invoke(app, ["auditeurs", "creer", "a-durand", "--nom", "Anne Durand", "--organismes", "caf-042,carsat-ra", *options])
    assert cree.exit_code == 0, cree.output
    jeton = cree.stdout.strip().splitlines()[-1]
    identifiant, secret = jeton.split(".", 1)
    assert identifiant == "a-durand" and len(secret) >= 40
    inconnu = runner.invoke(app, ["auditeurs", "creer", "b-b", "--nom", "B", "--organismes", "caf-999", *options])
    assert inconnu.exit_code == 1 and "caf-999" in inconnu.output
    tous = runner.invoke(app, ["auditeurs", "creer", "cnil-1", "--nom", "Contrôleur", "--tous", *options])
    assert tous.exit_code == 0, tous.output
    liste = runner.invoke(app, ["auditeurs", "lister", *options])
    assert liste.exit_code == 0 and "a-durand" in liste.output and "caf-042, carsat-ra" in liste.output
    assert "tous les organismes" in liste.output and secret not in liste.output
    fin = runner.invoke(app, ["auditeurs", "desactiver", "a-durand", *options])
    assert fin.exit_code == 0, fin.output
    assert "désactivé le" in runner.invoke(app, ["auditeurs", "lister", *options]).output
    assert runner.invoke(app, ["auditeurs", "desactiver", "a-durand", *options]).exit_code == 1
    moteur = ouvrir(url_base)
    with moteur.connect() as c:
        decisions = [r.decision for r in c.execute(sa.select(journal.c.decision).order_by(journal.c.index))]
        entrees = b"".join(r.entree for r in c.execute(sa.select(journal.c.entree)))
    moteur.dispose()
    assert decisions == ["auditeur_cree", "auditeur_cree", "auditeur_desactive"]
    assert secret.encode() not in entrees
