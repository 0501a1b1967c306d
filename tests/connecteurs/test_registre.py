"""Discovery and creation: precise errors for an unknown type or a bad directory entry."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from connecteurs import registre
from connecteurs.base import Connecteur
from connecteurs.boite import ConnecteurBoite
from connecteurs.registre import (
    GROUPE,
    ConnecteurInchargeable,
    ConnecteurInconnu,
    ErreurConnecteur,
    ParametresConnecteurInvalides,
    connecteurs_disponibles,
    creer_connecteur,
)
from tests.connecteurs.outils import contexte


@pytest.fixture
def ctx(cle_passerelle, horloge):
    return lambda parametres, organisme="carsat-ra": contexte(
        parametres, cle=cle_passerelle, horloge=horloge, organisme=organisme
    )


def test_les_trois_connecteurs_integres_sont_declares():
    disponibles = connecteurs_disponibles()
    assert {"boite", "http", "fichier"} <= set(disponibles)
    assert disponibles["http"].value == "connecteurs.http:creer"
    assert disponibles["fichier"].value == "connecteurs.fichier:creer"
    assert disponibles["boite"].value == "connecteurs.boite:creer"


def test_creer_boite_rend_un_connecteur(ctx):
    connecteur = creer_connecteur("boite", ctx({}))
    assert isinstance(connecteur, ConnecteurBoite)
    assert isinstance(connecteur, Connecteur)
    assert connecteur.pousse is False


def test_type_inconnu_nomme_l_organisme_et_les_types_installes(ctx):
    with pytest.raises(ConnecteurInconnu) as erreur:
        creer_connecteur("ftp", ctx({}, organisme="cnav-idf"))
    assert isinstance(erreur.value, ErreurConnecteur)
    message = str(erreur.value)
    assert "cnav-idf" in message and "« ftp »" in message
    assert "http" in erreur.value.disponibles and "fichier" in erreur.value.disponibles


@pytest.mark.parametrize("type_", ["../http", "HTTP", "", "http\x00"])
def test_nom_de_type_hostile_refuse(ctx, type_):
    with pytest.raises(ConnecteurInconnu):
        creer_connecteur(type_, ctx({}))


@pytest.mark.parametrize(
    ("type_", "parametres", "fautif"),
    [
        ("http", {}, "url"),
        ("http", {"url": "https://caisse.example", "time_out": 3}, "time_out"),
        ("http", {"url": "http://caisse.example"}, "url"),
        ("http", {"url": "https://user:mdp@caisse.example"}, "url"),
        ("http", {"url": "https://caisse.example?x=1"}, "url"),
        ("http", {"url": "https://caisse.example", "timeout": 0}, "timeout"),
        ("http", {"url": "https://caisse.example", "certificat_client": "/nulle/part.pem"}, "certificat_client"),
        ("http", {"url": "https://caisse.example", "verify": False}, "verify"),
        ("boite", {"url": "https://caisse.example"}, "url"),
        ("fichier", {"hote": "sftp.example"}, "utilisateur"),
    ],
)
def test_parametres_invalides_nomment_organisme_et_parametre(ctx, type_, parametres, fautif):
    with pytest.raises(ParametresConnecteurInvalides) as erreur:
        creer_connecteur(type_, ctx(parametres, organisme="cnav-idf"))
    assert erreur.value.organisme == "cnav-idf"
    assert erreur.value.type_ == type_
    assert fautif in [nom for nom, _ in erreur.value.erreurs]
    assert "cnav-idf" in str(erreur.value) and fautif in str(erreur.value)


def test_cle_client_sans_certificat_refusee(ctx, tmp_path):
    cle = tmp_path / "cle.pem"
    cle.write_text("x")
    with pytest.raises(ParametresConnecteurInvalides) as erreur:
        creer_connecteur("http", ctx({"url": "https://caisse.example", "cle_client": str(cle)}))
    assert "cle_client sans certificat_client" in str(erreur.value)


def test_certificat_client_illisible_refuse_a_la_creation(ctx, tmp_path):
    faux = tmp_path / "faux.pem"
    faux.write_text("pas un certificat")
    with pytest.raises(ParametresConnecteurInvalides) as erreur:
        creer_connecteur("http", ctx({"url": "https://caisse.example", "certificat_client": str(faux)}))
    assert erreur.value.parametre == "certificat_client"


def test_la_cle_type_de_l_annuaire_est_toleree_si_elle_concorde(ctx):
    assert creer_connecteur("boite", ctx({"type": "boite"})).nom == "boite"
    with pytest.raises(ParametresConnecteurInvalides) as erreur:
        creer_connecteur("boite", ctx({"type": "http"}))
    assert erreur.value.parametre == "type"


def _point(nom: str, valeur: str) -> EntryPoint:
    return EntryPoint(name=nom, value=valeur, group=GROUPE)


def test_fabrique_qui_ne_rend_pas_un_connecteur(ctx, monkeypatch):
    monkeypatch.setattr(
        registre, "connecteurs_disponibles",
        lambda: {"faux": _point("faux", "tests.connecteurs.outils:fabrique_invalide")},
    )
    with pytest.raises(ConnecteurInchargeable, match="protocole Connecteur"):
        creer_connecteur("faux", ctx({}))


def test_module_introuvable(ctx, monkeypatch):
    monkeypatch.setattr(
        registre, "connecteurs_disponibles", lambda: {"faux": _point("faux", "module_qui_n_existe_pas:creer")}
    )
    with pytest.raises(ConnecteurInchargeable, match="import de module_qui_n_existe_pas:creer impossible"):
        creer_connecteur("faux", ctx({}))


def test_erreur_pydantic_d_un_tiers_devient_parametres_invalides(ctx, monkeypatch):
    monkeypatch.setattr(
        registre, "connecteurs_disponibles",
        lambda: {"tiers": _point("tiers", "tests.connecteurs.outils:fabrique_pydantic_brute")},
    )
    with pytest.raises(ParametresConnecteurInvalides) as erreur:
        creer_connecteur("tiers", ctx({"adresse": "x", "secret": "ne-pas-afficher"}, organisme="caf-069"))
    assert erreur.value.parametre == "secret"
    assert "caf-069" in str(erreur.value)
    assert "ne-pas-afficher" not in str(erreur.value)


def test_deux_distributions_pour_un_meme_nom_sont_refusees(monkeypatch):
    monkeypatch.setattr(
        registre, "entry_points",
        lambda group: [_point("http", "connecteurs.http:creer"), _point("http", "malveillant:creer")],
    )
    with pytest.raises(ErreurConnecteur, match="déclaré deux fois"):
        connecteurs_disponibles()


def test_une_meme_declaration_vue_deux_fois_n_est_pas_un_conflit(monkeypatch):
    monkeypatch.setattr(
        registre, "entry_points",
        lambda group: [_point("http", "connecteurs.http:creer"), _point("http", "connecteurs.http:creer")],
    )
    assert list(connecteurs_disponibles()) == ["http"]
