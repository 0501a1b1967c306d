"""The register: the five retirement signals, who sends them, what they answer."""

from __future__ import annotations

import dataclasses

import pytest

from passerelle.catalogue.registre import DefinitionFlux
from tests.catalogue.exemples import catalogue_signaux_retraite
from passerelle.catalogue.signaux_retraite import Enveloppe


def test_les_cinq_signaux() -> None:
    catalogue = catalogue_signaux_retraite()
    assert list(catalogue) == [
        "rdc", "cloture-rdc", "passage-retraite", "avis-depot", "notification-retraite",
    ]  # fmt: skip
    for nom, definition in catalogue.items():
        assert definition.nom == nom
        assert issubclass(definition.modele, Enveloppe)
        assert definition.description


def test_reponses_et_sens_des_echanges() -> None:
    catalogue = catalogue_signaux_retraite()
    assert {nom: d.repond_a for nom, d in catalogue.items()} == {
        "rdc": (),
        "cloture-rdc": ("rdc",),
        "passage-retraite": (),
        "avis-depot": ("passage-retraite",),
        "notification-retraite": ("passage-retraite",),
    }
    for nom in ("rdc", "passage-retraite"):
        assert "carsat" in catalogue[nom].types_destinataires
    for nom in ("cloture-rdc", "avis-depot", "notification-retraite"):
        assert catalogue[nom].types_destinataires == ("caf",)
    for definition in catalogue.values():
        assert set(definition.repond_a) <= set(catalogue)


def test_definition_immuable() -> None:
    definition = catalogue_signaux_retraite()["rdc"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        definition.nom = "autre"  # type: ignore[misc]
    assert DefinitionFlux("x", Enveloppe, "d").repond_a == ()


@pytest.mark.parametrize("definition", catalogue_signaux_retraite().values(), ids=lambda d: d.nom)
def test_modeles_stricts_et_documentes(definition: DefinitionFlux) -> None:
    config = definition.modele.model_config
    assert config["extra"] == "forbid"
    assert config["str_strip_whitespace"] is True
    for nom, champ in definition.modele.model_fields.items():
        assert champ.description and champ.description.startswith(f"{champ.title} — "), nom


def test_registre_incoherent_refuse(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from passerelle.catalogue.registre import RegistreInvalide, charger_catalogue

    def registre(texte: str):  # type: ignore[no-untyped-def]
        chemin = tmp_path / "flux.yaml"
        chemin.write_text(texte)
        return charger_catalogue(chemin)

    modele = "passerelle.catalogue.signaux_retraite:SignalementRdc"
    with pytest.raises(RegistreInvalide, match="introuvable"):
        registre("flux:\n  a-b:\n    modele: passerelle.inexistant:X\n    description: d\n")
    with pytest.raises(RegistreInvalide, match="flux inconnu 'zz'"):
        registre(f"flux:\n  a-b:\n    modele: {modele}\n    description: d\n    repond_a: [zz]\n")
    with pytest.raises(RegistreInvalide, match="repond_a"):
        registre(f"flux:\n  a-b:\n    modele: {modele}\n    description: d\n    reponse: c-d\n"
                 f"  c-d:\n    modele: {modele}\n    description: d\n")
    with pytest.raises(RegistreInvalide, match="a_echeance"):
        registre(f"flux:\n  a-b:\n    modele: {modele}\n    description: d\n    a_echeance: jamais\n")
    with pytest.raises(RegistreInvalide, match="pas un modèle"):
        registre("flux:\n  a-b:\n    modele: pathlib:Path\n    description: d\n")
