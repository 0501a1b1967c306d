"""The quarterly report from the database and through the CLI, and the Prometheus gauges: the
test quarter's cases give the same figures as the pure computation's vectors."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from passerelle.cli import app
from passerelle.gouvernance.rapport import COLONNES, TrimestreAVenir, etablir, ligne_en_dict
from passerelle.gouvernance.trimestre import Trimestre
from passerelle.stockage import dossiers as stockage_dossiers
from tests.gouvernance.vecteurs import ATTENDU_T3, FIN_T3, MUTUALISATIONS, dossiers_t3, hors_t3



def _inserer(passerelle, dossiers) -> None:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.begin() as c:
        for d in dossiers:
            stockage_dossiers.inserer(c, d)


def _cle(ligne: dict) -> tuple[str, str, str, str]:  # type: ignore[type-arg]
    return (ligne["axe"], ligne["organisme"], ligne["flux"], ligne["mutualisation"])


def _chiffres(ligne: dict) -> tuple[object, ...]:  # type: ignore[type-arg]
    def nombre(nom: str) -> object:
        valeur = ligne[nom]
        return None if valeur in ("", None) else float(valeur)

    return (int(ligne["ouverts"]), int(ligne["repondus"]), int(ligne["repondus_dans_delai"]), nombre("delai_median_jours"),
            nombre("part_dans_delai"), int(ligne["echus_sans_reponse"]), int(ligne["dont_expires"]), int(ligne["en_cours"]))


def test_rapport_du_trimestre(passerelle) -> None:  # type: ignore[no-untyped-def]
    _inserer(passerelle, dossiers_t3() + hors_t3())
    with passerelle.services.moteur.connect() as c:
        rapport = etablir(c, Trimestre.lire("2026T3"), passerelle.horloge(), MUTUALISATIONS)
        assert rapport.arrete_au == FIN_T3 and not rapport.provisoire  # the quarter is over: seen at its end
        en_cours = etablir(c, Trimestre.lire("2026T4"), passerelle.horloge(), MUTUALISATIONS)
        with pytest.raises(TrimestreAVenir):
            etablir(c, Trimestre.lire("2027T1"), passerelle.horloge(), MUTUALISATIONS)
    assert {_cle(d): _chiffres(d) for d in (ligne_en_dict(rapport, l) for l in rapport.lignes)} == ATTENDU_T3
    # the current quarter: provisional, seen now, only the case opened on its first instant
    assert en_cours.provisoire and en_cours.arrete_au == passerelle.horloge()
    assert [(l.axe, l.ouverts, l.echus_sans_reponse) for l in en_cours.lignes] == [("organisme", 1, 1), ("pivot", 1, 1)]


def test_commande_rapport_csv_et_json(passerelle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _inserer(passerelle, dossiers_t3() + hors_t3())
    base = passerelle.services.reglages.base
    commun = ["--base", base, "--config", str(passerelle.config), "--arrete-au", "2026-11-23T10:00:00Z"]
    sortie = CliRunner().invoke(app, ["rapport", "--trimestre", "2026T3", *commun])
    assert sortie.exit_code == 0, sortie.output
    lignes = list(csv.DictReader(io.StringIO(sortie.stdout)))
    assert tuple(lignes[0]) == COLONNES
    assert {_cle(l): _chiffres(l) for l in lignes} == ATTENDU_T3  # pivots from config/flux.yaml (enquete-avpf: avpf)
    assert {l["trimestre"] for l in lignes} == {"2026T3"} and {l["arrete_au"] for l in lignes} == {"2026-10-01T00:00:00.000000Z"}

    fichier = tmp_path / "t3.json"
    sortie = CliRunner().invoke(app, ["rapport", "--trimestre", "2026T3", "--format", "json", "--sortie", str(fichier), *commun])
    assert sortie.exit_code == 0, sortie.output
    document = json.loads(fichier.read_text())
    assert document["provisoire"] is False and document["du"] == "2026-07-01T00:00:00.000000Z"
    assert {_cle(l): _chiffres(l) for l in document["lignes"]} == ATTENDU_T3

    for mauvais in (["--trimestre", "2026t3"], ["--trimestre", "2026T3", "--format", "xml"], ["--trimestre", "2027T2"]):
        refus = CliRunner().invoke(app, ["rapport", *mauvais, *commun])
        assert refus.exit_code == 1, mauvais


def _mesures(passerelle) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:  # type: ignore[no-untyped-def]
    texte = passerelle.client.get("/metrics").text
    return {
        (e.name, tuple(sorted(e.labels.items()))): e.value
        for famille in text_string_to_metric_families(texte)
        for e in famille.samples
        if e.name.startswith(("passerelle_delais", "passerelle_dossiers"))
    }


def test_metriques_prometheus(passerelle) -> None:  # type: ignore[no-untyped-def]
    passerelle.services.reglages.delais_cache = 0
    passerelle.services.reglages.delais_fenetre_jours = 120
    passerelle.horloge.instant = FIN_T3
    _inserer(passerelle, dossiers_t3())
    mesures = _mesures(passerelle)
    assert mesures[("passerelle_delais_lecture_ok", ())] == 1.0
    assert mesures[("passerelle_delais_fenetre_jours", ())] == 120.0
    noms = ("passerelle_delais_dossiers", "passerelle_delais_repondus", "passerelle_delais_repondus_dans_delai")
    for (axe, organisme, flux, mutualisation), attendu in ATTENDU_T3.items():
        if axe != "organisme":
            continue
        etiquettes = tuple(sorted({"organisme": organisme, "flux": flux, "mutualisation": mutualisation}.items()))
        assert [mesures[(nom, etiquettes)] for nom in noms] == list(attendu[:3])
        assert mesures[("passerelle_delais_reponse_mediane_secondes", etiquettes)] == pytest.approx(attendu[3] * 86400, abs=0.005 * 86400)
        assert mesures[("passerelle_delais_part_dans_delai", etiquettes)] == attendu[4]
        assert mesures[("passerelle_delais_echus_sans_reponse", etiquettes)] == attendu[5]
    retards = {k[1]: v for k, v in mesures.items() if k[0] == "passerelle_dossiers_en_retard"}
    assert retards == {(("flux", "enquete-avpf"), ("organisme", "caf-042")): 1.0}  # case 5; case 7 expired

    # reused between scrapes for delais_cache seconds
    passerelle.services.reglages.delais_cache = 3600
    _mesures(passerelle)
    _inserer(passerelle, [replace(dossiers_t3()[0], demande_id="00000000-0000-4000-8000-000000000099")])
    cle = ("passerelle_delais_dossiers", (("flux", "enquete-avpf"), ("mutualisation", "avpf"), ("organisme", "caf-042")))
    assert _mesures(passerelle)[cle] == 6.0
    passerelle.services.reglages.delais_cache = 0
    assert _mesures(passerelle)[cle] == 7.0
