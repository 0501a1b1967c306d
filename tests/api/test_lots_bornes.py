"""Batches whatever their bytes: each line decided on its own, with its number and a precise
code; the batch itself never a 5xx; memory bounded whatever a line holds.

The first tests are the causes of 500 measured on main by signed fuzzing (issue 9).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import sqlalchemy as sa

from passerelle.catalogue.colonnes import colonnes
from passerelle.erreurs import RefusValidation
from passerelle.reception.lignes import MORCEAU, lignes_physiques, lire_entete
from passerelle.stockage.tables import journal, lots, messages
from tests.catalogue.exemples import catalogue, exemple_rdc

NOMS = [colonne for colonne, _ in colonnes(catalogue()["rdc"].modele)]
CHAMPS = [champ for _, champ in colonnes(catalogue()["rdc"].modele)]
ENTETE = ";".join(NOMS).encode()


def _rdc(passerelle, **surcharges: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return exemple_rdc(aujourd_hui=passerelle.horloge().date(), **surcharges)


def _ligne_csv(donnees: dict[str, Any], **cellules: str) -> bytes:
    """One CSV line of ``donnees`` (no cell of the examples needs quoting); ``cellules``
    replaces the text of named columns as is, quotes and bytes included."""
    texte = [str(donnees.get(champ, "")) for champ in CHAMPS]
    ligne = ";".join(texte).encode()
    if not cellules:
        return ligne
    parties = [t.encode() for t in texte]
    for nom, brut in cellules.items():
        parties[NOMS.index(nom)] = brut.encode("utf-8", "surrogateescape")
    return b";".join(parties)


def _envoyer(passerelle, corps: bytes, cle: str, type_contenu: str = "application/x-ndjson"):  # type: ignore[no-untyped-def]
    reponse = passerelle.organisme("caf-042").envoyer_lot("rdc", corps, cle_lot=cle, type_contenu=type_contenu)
    assert reponse.statut == 200, reponse.donnees
    return reponse.donnees


def _codes(donnees: dict[str, Any]) -> list[str | None]:
    """Per line: None when accepted, else the problem's code; the numbers are checked in order."""
    resultats = donnees["resultats"]
    assert [r["ligne"] for r in resultats] == list(range(1, len(resultats) + 1))
    resume = donnees["resume"]
    assert resume["lignes"] == len(resultats) == resume["acceptees"] + resume["refusees"]
    return [None if "id" in r else r["probleme"]["code"] for r in resultats]


def _journal(passerelle) -> list[sa.Row]:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        return list(c.execute(sa.select(journal).order_by(journal.c.index)))


# --- the five causes of 500 on main ---


def test_csv_cellule_de_plus_de_131072_caracteres(passerelle) -> None:  # type: ignore[no-untyped-def]
    """On main: 500, ``_csv.Error: field larger than field limit``."""
    bon = _ligne_csv(_rdc(passerelle))
    enorme = _ligne_csv(_rdc(passerelle), NomAssuré="M" * 200_000)
    donnees = _envoyer(passerelle, b"\n".join([ENTETE, bon, enorme, bon]), "csv-cellule", "text/csv")
    assert _codes(donnees) == [None, "schema_invalide", None]
    [erreur] = donnees["resultats"][1]["probleme"]["erreurs"]
    assert erreur["champ"] == "nom_assure" and "200000 reçus" in erreur["message"]


def test_csv_octet_non_utf8_au_dela_des_premiers_8_ko(passerelle) -> None:  # type: ignore[no-untyped-def]
    """On main: 500, ``UnicodeDecodeError`` raised by the text reader past its first chunk."""
    bon = _ligne_csv(_rdc(passerelle))
    mauvais = _ligne_csv(_rdc(passerelle), Localité="SAINT-\udce9TIENNE")  # a Latin-1 "É"
    lignes = [bon] * 40 + [mauvais, bon]
    assert len(ENTETE) + sum(len(l) + 1 for l in lignes[:40]) > 8192
    donnees = _envoyer(passerelle, b"\n".join([ENTETE, *lignes]), "csv-8ko", "text/csv")
    assert _codes(donnees) == [None] * 40 + ["texte_invalide", None]
    probleme = donnees["resultats"][40]["probleme"]
    assert probleme["status"] == 422 and "(colonne Localité)" in probleme["detail"]
    assert probleme["erreurs"][0]["champ"] == "Localité" and "0xE9" in probleme["erreurs"][0]["message"]


def test_csv_octet_non_utf8_au_debut_n_est_pas_l_entete(passerelle) -> None:  # type: ignore[no-untyped-def]
    """On main: the whole batch refused ``entete_csv_invalide`` for a byte of line 1."""
    mauvais = _ligne_csv(_rdc(passerelle), NomAssuré="\udcffMARTIN")
    donnees = _envoyer(passerelle, b"\n".join([ENTETE, mauvais, _ligne_csv(_rdc(passerelle))]), "csv-debut", "text/csv")
    assert _codes(donnees) == ["texte_invalide", None]


def test_ndjson_une_ligne_de_demi_paire_ne_fait_pas_tomber_le_lot(passerelle) -> None:  # type: ignore[no-untyped-def]
    """On main: the whole batch a 500 (the surrogate reached the blind index)."""
    bon = json.dumps(_rdc(passerelle)).encode()
    mauvais = json.dumps(_rdc(passerelle, nir_assure="X")).replace('"X"', '"\\ud800"').encode()
    donnees = _envoyer(passerelle, b"\n".join([bon, mauvais, bon, b""]), "ndjson-demi-paire")
    assert _codes(donnees) == [None, "texte_invalide", None]
    assert donnees["resultats"][1]["probleme"]["erreurs"][0]["champ"] == "nir_assure"
    refus = [e for e in _journal(passerelle) if e.decision == "refuse"]
    assert [e.code for e in refus] == ["texte_invalide"] and b"ud800" not in bytes(refus[0].entree)
    assert json.loads(bytes(refus[0].entree))["details"]["ligne"] == 2


# --- each line on its own ---


def test_ligne_enorme_refusee_par_sa_taille_sans_etre_lue_entiere(passerelle) -> None:  # type: ignore[no-untyped-def]
    passerelle.services.reglages.taille_max_corps = 4096
    bon = json.dumps(_rdc(passerelle)).encode()
    enorme = b'{"nom_assure": "' + b"A" * 3_000_000 + b'"}'
    donnees = _envoyer(passerelle, b"\n".join([bon, enorme, bon]) + b"\n", "ligne-enorme")
    assert _codes(donnees) == [None, "corps_trop_volumineux", None]
    assert donnees["resultats"][1]["probleme"]["status"] == 413
    csv = _envoyer(passerelle, b"\n".join([ENTETE, _ligne_csv(_rdc(passerelle), NomAssuré="A" * 10_000), _ligne_csv(_rdc(passerelle))]),
                   "csv-enorme", "text/csv")
    assert _codes(csv) == ["corps_trop_volumineux", None]


def test_lecture_bornee_quelle_que_soit_la_ligne() -> None:
    """A 100 MB line is never held: no read returns more than the limit (plus CR LF) or a chunk."""

    class Espion(io.BytesIO):
        plus_grand = 0

        def readline(self, taille: int | None = -1) -> bytes:  # type: ignore[override]
            ligne = super().readline(taille)
            Espion.plus_grand = max(Espion.plus_grand, len(ligne))
            return ligne

    fichier = Espion(b"a\r\n" + b"x" * 100_000_000 + b"\n\nb")
    assert list(lignes_physiques(fichier, 1024)) == [(1, b"a"), (2, None), (3, b""), (4, b"b")]
    assert Espion.plus_grand <= max(1024 + 2, MORCEAU)
    assert list(lignes_physiques(io.BytesIO(b"\xef\xbb\xbf{}\n\xef\xbb\xbf{}"), 10)) == [(1, b"{}"), (2, b"\xef\xbb\xbf{}")]
    assert list(lignes_physiques(io.BytesIO(b"x" * 10 + b"\r\n" + b"y" * 11 + b"\n"), 10)) == [(1, b"x" * 10), (2, None)]


def test_csv_guillemet_non_ferme_n_avale_pas_la_suite(passerelle) -> None:  # type: ignore[no-untyped-def]
    bon = _ligne_csv(_rdc(passerelle))
    ouvert = _ligne_csv(_rdc(passerelle), NomAssuré='"MARTIN')
    colle = _ligne_csv(_rdc(passerelle), NomAssuré='"MAR"TIN')
    donnees = _envoyer(passerelle, b"\n".join([ENTETE, bon, ouvert, bon, colle, bon]), "csv-guillemets", "text/csv")
    assert _codes(donnees) == [None, "ligne_malformee", None, "ligne_malformee", None]
    assert "guillemet ouvert sans guillemet fermant" in donnees["resultats"][1]["probleme"]["detail"]
    assert "le séparateur est attendu" in donnees["resultats"][3]["probleme"]["detail"]


def test_bom_crlf_et_lignes_vides(passerelle) -> None:  # type: ignore[no-untyped-def]
    bon = json.dumps(_rdc(passerelle)).encode()
    ndjson = b"\xef\xbb\xbf" + bon + b"\r\n\r\n" + bon + b"\r\n   \n" + b"\xef\xbb\xbf" + bon + b"\r\n"
    assert _codes(_envoyer(passerelle, ndjson, "bom-ndjson")) == [None, "ligne_vide", None, "ligne_vide", "json_invalide"]
    ligne = _ligne_csv(_rdc(passerelle))
    csv = b"\xef\xbb\xbf" + ENTETE + b"\r\n" + ligne + b"\r\n\r\n" + ligne + b"\r\n"
    assert _codes(_envoyer(passerelle, csv, "bom-csv", "text/csv")) == [None, "ligne_vide", None]


def test_csv_entier_en_chiffres_exotiques_ou_demesure(passerelle) -> None:  # type: ignore[no-untyped-def]
    """int("²") and a 5,000-digit int() raise: such a cell is text, named by validation."""
    lignes = [_ligne_csv(_rdc(passerelle), TauxIncapacitéAAH=v) for v in ("²", "1" * 5000, "-٣", "80")]
    donnees = _envoyer(passerelle, b"\n".join([ENTETE, *lignes]), "csv-entiers", "text/csv")
    assert _codes(donnees) == ["schema_invalide"] * 3 + [None]


def test_csv_caractere_de_controle_dans_une_cellule(passerelle) -> None:  # type: ignore[no-untyped-def]
    lignes = [_ligne_csv(_rdc(passerelle), NomAssuré=v) for v in ("MAR\x00TIN", "MAR\x1bTIN", "MARTIN\r")]
    donnees = _envoyer(passerelle, b"\n".join([ENTETE, *lignes, b""]), "csv-controle", "text/csv")
    assert _codes(donnees) == ["texte_invalide", "texte_invalide", "ligne_malformee"]
    assert donnees["resultats"][0]["probleme"]["erreurs"][0]["champ"] == "nom_assure"


# --- the header, and only the header, can refuse the batch ---


def _entete_refusee(passerelle, corps: bytes, cle: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    reponse = passerelle.organisme("caf-042").envoyer_lot("rdc", corps, cle_lot=cle, type_contenu="text/csv")
    assert reponse.statut == 422 and reponse.donnees["code"] == "entete_csv_invalide", reponse.donnees
    with passerelle.services.moteur.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(lots)).scalar_one() == 0
    assert _journal(passerelle)[-1].code == "entete_csv_invalide"
    return reponse.donnees


def test_entete_doublons_et_colonnes_inconnues(passerelle) -> None:  # type: ignore[no-untyped-def]
    corps = ENTETE + b";NomAssur\xc3\xa9;Inconnue\x07;" + b"X" * 5000 + b"\n" + _ligne_csv(_rdc(passerelle))
    probleme = _entete_refusee(passerelle, corps, "entete-1")
    assert "colonnes en double: 'NomAssuré'" in probleme["detail"] and "'Inconnue\\x07'" in probleme["detail"]
    assert "(5000 caractères)" in probleme["detail"] and len(probleme["detail"]) < 1000
    champs = {e["champ"]: e["message"] for e in probleme["erreurs"]}
    assert "Inconnue\\u0007" in champs and champs["NomAssuré"].startswith("colonne nommée plusieurs fois")


def test_entete_illisible(passerelle, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert "0xE9" in _entete_refusee(passerelle, b"NIRAssur\xe9;NomAssur\xe9\n1;2\n", "entete-2")["detail"]
    vide = tmp_path / "vide.csv"
    vide.write_bytes(b"")
    with pytest.raises(RefusValidation, match="fichier vide"):  # an empty body has no Content-Type to send
        lire_entete(vide, catalogue()["rdc"].modele, 4096)
    assert "vide" in _entete_refusee(passerelle, b"\xef\xbb\xbf\r\n" + _ligne_csv(_rdc(passerelle)), "entete-4")["detail"]
    assert "guillemet" in _entete_refusee(passerelle, b'"NIRAssur\xc3\xa9;x\n', "entete-5")["detail"]


def test_reprise_apres_coupure_avec_lignes_refusees(passerelle, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Same key, same bytes: resumes after the last committed chunk; each line counted once."""
    import passerelle.reception.lots as module

    passerelle.services.reglages.lot_tranche = 2
    bon = _ligne_csv(_rdc(passerelle))
    lignes = [bon, b"", _ligne_csv(_rdc(passerelle), NomAssuré="\udce9"), bon, b'x;"y', bon, bon]
    corps = b"\xef\xbb\xbf" + b"\r\n".join([ENTETE, *lignes])
    vraie, appels = module._tranche, {"n": 0}

    def coupure(*args, **kwargs):  # type: ignore[no-untyped-def]
        appels["n"] += 1
        if appels["n"] == 3:
            raise RuntimeError("coupure simulée")
        return vraie(*args, **kwargs)

    monkeypatch.setattr(module, "_tranche", coupure)
    coupe = passerelle.organisme("caf-042").envoyer_lot("rdc", corps, cle_lot="reprise-csv", type_contenu="text/csv")
    assert coupe.statut == 500 and coupe.donnees["code"] == "erreur_interne"
    reprise = _envoyer(passerelle, corps, "reprise-csv", "text/csv")
    assert _codes(reprise) == [None, "ligne_vide", "texte_invalide", None, "ligne_malformee", None, None]
    with passerelle.services.moteur.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one() == 4
    decisions = [(e.decision, json.loads(bytes(e.entree)).get("details", {}).get("ligne")) for e in _journal(passerelle)]
    par_ligne = [l for d, l in decisions if d in ("accepte", "refuse")]
    assert sorted(par_ligne) == list(range(1, 8))  # each line journaled exactly once
