"""The input boundary through the API: text the gateway cannot carry gets a precise 4xx, is
journaled without that text, and never reaches routing, lookups, the blind index or a message.

Each of the first tests is a cause of a 500 measured on main by signed fuzzing (issue 9).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from passerelle.stockage.tables import journal, messages
from tests.catalogue.exemples import exemple_cloture_rdc, exemple_rdc
from tests.consultations.test_consultations import question_carriere
from tests.demandes.exemples import exemple_enquete_avpf

MARQUE = "REMPLACER-ICI"


def _avec(donnees: dict[str, Any], echappement: str) -> bytes:
    """``donnees`` as JSON where the value ``MARQUE`` is replaced by a raw JSON escape."""
    return json.dumps(donnees).replace(f'"{MARQUE}"', f'"{echappement}"').encode()


def _derniere(passerelle) -> sa.Row:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        return c.execute(sa.select(journal).order_by(journal.c.index.desc()).limit(1)).one()


def _nombre(passerelle, table) -> int:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _texte_invalide(passerelle, reponse, champ: str, *, absent: bytes = b"") -> dict:  # type: ignore[no-untyped-def]
    """422 texte_invalide naming ``champ``, nothing stored, the refusal journaled without the text."""
    assert reponse.statut == 422, reponse.donnees
    assert reponse.entetes["content-type"].startswith("application/problem+json")
    probleme = reponse.donnees
    assert probleme["code"] == "texte_invalide" and probleme["type"].endswith("texte_invalide")
    assert [e["champ"] for e in probleme["erreurs"]] == [champ]
    derniere = _derniere(passerelle)
    assert derniere.decision == "refuse" and derniere.code == "texte_invalide"
    entree = bytes(derniere.entree)
    assert b"\\ud8" not in entree.lower() and b"\\u0000" not in entree
    if absent:
        assert absent not in entree and absent not in reponse.corps
    return probleme


def test_demi_paire_dans_en_reponse_a(passerelle) -> None:  # type: ignore[no-untyped-def]
    """On main: 500 from stockage/messages.py (the lookup of the answered message)."""
    corps = _avec(exemple_cloture_rdc(en_reponse_a=MARQUE), "\\ud800")
    reponse = passerelle.organisme("carsat-ra").envoyer("cloture-rdc", corps)
    _texte_invalide(passerelle, reponse, "en_reponse_a")
    assert "U+D800" in reponse.donnees["erreurs"][0]["message"]


def test_demi_paire_dans_nir_assure_refus_journalise(passerelle) -> None:  # type: ignore[no-untyped-def]
    """On main: 500 from journal/index_aveugle.py, and the refusal was not journaled at all."""
    avant = _nombre(passerelle, journal)
    corps = _avec(exemple_rdc(aujourd_hui=passerelle.horloge().date(), nir_assure=MARQUE), "1620542\\udc00")
    reponse = passerelle.organisme("caf-042").envoyer("rdc", corps)
    _texte_invalide(passerelle, reponse, "nir_assure", absent=b"1620542")
    assert _nombre(passerelle, journal) == avant + 1 and _nombre(passerelle, messages) == 0
    assert _derniere(passerelle).nir_index is None  # no blind index of text that is no NIR


def test_demi_paire_d_un_champ_cite_dans_un_refus(passerelle) -> None:  # type: ignore[no-untyped-def]
    """On main: 500 in api/problemes.py, the département echoed in the refusal's detail."""
    corps = _avec(exemple_enquete_avpf(departement=MARQUE), "69\\ud800")
    reponse = passerelle.organisme("carsat-ra").envoyer("enquete-avpf", corps)
    _texte_invalide(passerelle, reponse, "departement")


def test_demi_paire_dans_un_nom_de_champ_et_en_double(passerelle) -> None:  # type: ignore[no-untyped-def]
    caf = passerelle.organisme("caf-042")
    donnees = exemple_rdc(aujourd_hui=passerelle.horloge().date())
    cle = caf.envoyer("rdc", json.dumps({**donnees, MARQUE: 1}).replace(MARQUE, "x\\udbff").encode())
    _texte_invalide(passerelle, cle, "x\\udbff")
    double = caf.envoyer("rdc", b'{"\\ud800": 1, "\\ud800": 2}')  # main: 500 (the duplicate echoed)
    assert double.statut == 422 and double.donnees["code"] == "json_invalide"
    assert "\\ud800" in double.donnees["detail"] and _derniere(passerelle).code == "json_invalide"


@pytest.mark.parametrize("echappement", ["\\u0000", "A\\u0007B", "A\\tB", "\\u001b[31m"])
def test_caracteres_de_controle(passerelle, echappement: str) -> None:  # type: ignore[no-untyped-def]
    corps = _avec(exemple_rdc(aujourd_hui=passerelle.horloge().date(), nom_assure=MARQUE), echappement)
    _texte_invalide(passerelle, passerelle.organisme("caf-042").envoyer("rdc", corps), "nom_assure")


def test_consultation(passerelle) -> None:  # type: ignore[no-untyped-def]
    """The same boundary, before the consultation is routed (no destination needed)."""
    corps = _avec(question_carriere(reference=MARQUE), "\\ud800")
    _texte_invalide(passerelle, passerelle.organisme("caf-042").consulter("periodes-carriere", corps), "reference")


# --- the address: path and query, percent-decoded ---


@pytest.mark.parametrize(
    ("methode", "chemin", "champ"),
    [
        ("GET", "/v1/messages/%00", "path"),  # main: 500 on PostgreSQL (NUL in a text parameter)
        ("POST", "/v1/boite/%00/acquittement", "path"),  # main: 500 on PostgreSQL
        ("GET", "/v1/messages/%ff%fe", "path"),  # main: 404 quoting U+FFFD
        ("POST", "/v1/flux/rdc%00", "path"),  # main: 500 on PostgreSQL (the flux journaled)
        ("GET", "/v1/journal/entrees/%ed%a0%80", "path"),
        ("GET", "/v1/boite?curseur=%00", "query.curseur"),
        ("GET", "/v1/boite?limite=%ff", "query.limite"),
        ("GET", "/v1/boite?%c0=1", "query"),
    ],
)
def test_adresse_intransmissible(passerelle, methode: str, chemin: str, champ: str) -> None:  # type: ignore[no-untyped-def]
    caf = passerelle.organisme("caf-042")
    avant = _nombre(passerelle, journal)
    reponse = passerelle.client.request(methode, chemin, auth=caf._auth, content=b"{}" if methode == "POST" else None,
                                        headers={"Content-Type": "application/json"} if methode == "POST" else None)
    assert reponse.status_code == 400, reponse.text
    assert reponse.headers["content-type"].startswith("application/problem+json")
    probleme = reponse.json()
    assert probleme["code"] == "parametre_invalide" and probleme["requete"] == reponse.headers["x-request-id"]
    assert [e["champ"] for e in probleme["erreurs"]] == [champ]
    assert "\ufffd" not in reponse.text and "\x00" not in reponse.text
    assert _nombre(passerelle, journal) == avant  # decided before routing, like any parameter error


def test_flux_de_nom_demesure(passerelle) -> None:  # type: ignore[no-untyped-def]
    """On main: 500 on PostgreSQL, the refused flux name longer than the journal's column."""
    nom = "x" * 300
    reponse = passerelle.organisme("caf-042").envoyer(nom, b"{}")
    assert reponse.statut == 404 and reponse.donnees["code"] == "flux_inconnu"
    assert nom not in reponse.donnees["detail"] and "(300 caractères)" in reponse.donnees["detail"]
    derniere = _derniere(passerelle)
    assert derniere.code == "flux_inconnu" and derniere.flux == nom[:64]
    lot = passerelle.organisme("caf-042").envoyer_lot(nom, b"{}\n", cle_lot="lot-nom-long")
    assert lot.statut == 404 and lot.donnees["code"] == "flux_inconnu"


def test_texte_valide_non_refuse(passerelle) -> None:  # type: ignore[no-untyped-def]
    """Accents, escapes of ordinary characters and a surrogate *pair* go through as before."""
    corps = _avec(exemple_rdc(aujourd_hui=passerelle.horloge().date(), nom_assure=MARQUE), "\\u00c9LO\\u00cfSE \\ud83d\\ude00")
    reponse = passerelle.organisme("caf-042").envoyer("rdc", corps)
    assert reponse.statut in (202, 422), reponse.donnees
    assert reponse.donnees.get("code") != "texte_invalide"


def test_formulaires_de_la_console(passerelle) -> None:  # type: ignore[no-untyped-def]
    """On main: 500 on PostgreSQL, a NUL of a search form reaching the journal query."""
    from tests.auditeurs.outils import creer_auditeur
    from tests.console.outils import connecter, jeton

    page = connecter(passerelle, creer_auditeur(passerelle, "cnil-entrees"))
    for chemin, champ in [("/console/recherche", "agent"), ("/console/recherche", "nir_index"),
                          ("/console/chronologie", "message"), ("/console/export", "flux")]:
        donnees = {champ: "a\x00b", "jeton": jeton(page)}
        if champ == "nir_index":
            donnees["garder_personne"] = "1"
        reponse = passerelle.client.post(chemin, data=donnees)
        assert reponse.status_code == 400, (chemin, reponse.status_code)
        assert _derniere(passerelle).code == "criteres_invalides"
