"""Safe names and CSV cells, checked alone and against arbitrary input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from connecteurs._accuses import AccuseIllisible, lire_fichier_accuses
from connecteurs._noms import base_lot, dossier_sur, joindre, nom_temporaire, segment_sur
from connecteurs._tableau import cellule, colonnes_flux
from tests.catalogue.exemples import catalogue_signaux_retraite


@pytest.mark.parametrize("valeur", ["..", "../x", "a/b", "a\\b", "a\x00", ".cache", "", "é", "a..b", "x" * 201])
def test_segments_refuses(valeur):
    with pytest.raises(ValueError):
        segment_sur(valeur)


@given(st.text())
def test_un_segment_accepte_ne_peut_pas_sortir_du_dossier(valeur):
    try:
        resultat = segment_sur(valeur)
    except ValueError:
        return
    assert "/" not in resultat and "\\" not in resultat and "\x00" not in resultat
    assert ".." not in resultat and not resultat.startswith(".")


@given(st.text(), st.text())
def test_joindre_reste_sous_le_dossier(dossier, nom):
    try:
        chemin = joindre(dossier, nom)
    except ValueError:
        return
    assert ".." not in chemin.split("/") and "\x00" not in chemin
    assert chemin.endswith("/" + nom)


@pytest.mark.parametrize("valeur", ["../x", "a/../b", "a//b", "", "a\x00"])
def test_dossiers_refuses(valeur):
    with pytest.raises(ValueError):
        dossier_sur(valeur)


@pytest.mark.parametrize(("valeur", "attendu"), [("/srv/depot/", "/srv/depot"), ("depot", "depot"), (".", "."), ("/", "/")])
def test_dossiers_admis(valeur, attendu):
    assert dossier_sur(valeur) == attendu


def test_nom_de_lot_et_temporaire():
    lot = uuid.UUID("12345678-1234-4234-8234-123456789abc")
    base = base_lot(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), lot)
    assert base == "20260102T030405Z-12345678-1234-4234-8234-123456789abc"
    temporaire = nom_temporaire(f"depot/rdc/{base}.csv")
    assert temporaire.startswith(f"depot/rdc/.{base}.csv.") and temporaire.endswith(".tmp")


def test_tous_les_flux_du_catalogue_ont_des_noms_de_fichier_surs_et_des_colonnes():
    for nom, definition in catalogue_signaux_retraite().items():
        assert segment_sur(nom) == nom
        assert colonnes_flux(definition.modele)


def test_colonnes_lues_dans_les_descriptions():
    class Modele(BaseModel):
        nir_assure: str = Field(description="NIRAssuré — le NIR")
        montant: str = Field(title="Autre", description="MontantTotal — en euros")

    assert [c.nom for c in colonnes_flux(Modele)] == ["NIRAssuré", "MontantTotal"]

    class SansNom(BaseModel):
        nir_assure: str = Field(description="le NIR, sans nom d'annexe")

    with pytest.raises(ValueError, match="nom de l'annexe"):
        colonnes_flux(SansNom)


@pytest.mark.parametrize(
    ("valeur", "attendu"),
    [(None, ""), (True, "true"), (False, "false"), (80, "80"), (12.5, "12.5"), ("a|b", "a|b"),
     (["a", "b|c", "d\\e"], "a|b\\|c|d\\\\e"), ([], "")],
)
def test_cellules(valeur, attendu):
    assert cellule(valeur) == attendu


@pytest.mark.parametrize(
    "contenu",
    [
        b"IdMessage;Statut\nm-1;accepte\n",
        b"IdMessage;Statut;Detail\nm-1;accepte\n",
        b"IdMessage;Statut;Detail\n../x;accepte;\n",
        b"IdMessage;Statut;Detail\nm-1;ok;\n",
        b"IdMessage;Statut;Detail\nm-1;accepte;\xff\n",
        b"",
    ],
)
def test_fichiers_d_accuses_refuses_en_entier(contenu):
    with pytest.raises(AccuseIllisible):
        lire_fichier_accuses(contenu)


def test_champs_d_enveloppe_publies_aux_connecteurs_egaux_a_ceux_du_contrat():
    """Connectors read the envelope fields from their own protocol, never from the gateway's
    models: the two lists must stay the same."""
    from connecteurs.base import CHAMPS_ENVELOPPE
    from passerelle.catalogue.signaux_retraite import Enveloppe

    assert CHAMPS_ENVELOPPE == frozenset(Enveloppe.model_fields)
