"""The pure half of minimisation: cut a payload to a field list, digest what was withheld, find
what a profile may read in a habilitation."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from passerelle.habilitations.conventions import Convention, Habilitation
from passerelle.habilitations.minimisation import (
    champs_pour,
    empreinte_retenue,
    habilitation_du_message,
    lisible_par,
    masques_en_boite,
    minimiser,
    remettre,
)
from tests.catalogue.exemples import CAF_042, CARSAT_RA

DONNEES = {"nir_assure": "264031234567811", "nom_assure": "MARTIN", "taux_incapacite_aah": 80,
           "regimes": ["Régime général", "MSA"], "email": "é@example.org"}


def _habilitation(**profils: object) -> Habilitation:
    return Habilitation.model_validate(
        {"flux": ["rdc"], "emetteurs": {"types": ["caf"]}, "destinataires": {"types": ["carsat"]}, **profils}
    )


def _convention(*habilitations: Habilitation, id_: str = "c-test") -> Convention:
    return Convention.model_validate({
        "id": id_, "intitule": "test", "statut": "en_vigueur", "finalite": "test", "debut": "2019-01-01",
        "habilitations": [h.model_dump() for h in habilitations],
    })


def test_minimiser_coupe_et_rend_ce_qui_est_retenu() -> None:
    coupees, retenues = minimiser(DONNEES, ["nir_assure", "nom_assure", "absent"])
    assert coupees == {"nir_assure": "264031234567811", "nom_assure": "MARTIN"}
    assert retenues == {"taux_incapacite_aah": 80, "regimes": ["Régime général", "MSA"], "email": "é@example.org"}
    assert minimiser(DONNEES, None) == (DONNEES, {})
    assert minimiser(DONNEES, []) == ({}, DONNEES)
    assert minimiser(DONNEES, None)[0] is not DONNEES  # a copy: the stored message is never touched


def test_empreinte_retenue_rfc8785_sha256() -> None:
    retenues = {"taux_incapacite_aah": 80, "email": "é@example.org"}
    # RFC 8785 by hand: keys sorted, no spaces, UTF-8 as is.
    canonique = json.dumps(retenues, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    attendu = "sha-256=:" + base64.b64encode(hashlib.sha256(canonique).digest()).decode() + ":"
    assert empreinte_retenue(retenues) == attendu
    assert empreinte_retenue({"email": "é@example.org", "taux_incapacite_aah": 80}) == attendu  # order-free


def test_champs_par_profil() -> None:
    h = _habilitation(champs_par_profil={"accueil": ["nir_assure", "nom_assure"], "lutte-fraude": "*"})
    assert champs_pour(h, "accueil") == {"nir_assure", "nom_assure"}
    assert champs_pour(h, "lutte-fraude") is None
    assert champs_pour(h, "gestion") == frozenset()  # not named: none of the payload (default deny)
    assert champs_pour(_habilitation(), "accueil") is None  # no list: everything


def test_profil_inconnu_refuse_a_la_lecture_de_la_convention() -> None:
    with pytest.raises(ValueError, match=r"profil\(s\) inconnu\(s\) \['fraude'\]"):
        _habilitation(profils_emetteurs=["fraude"])


def test_remettre_selon_la_convention_du_message() -> None:
    h = _habilitation(champs_par_profil={"accueil": ["nir_assure"], "gestion": "*"}, profils_destinataires=["accueil", "gestion"])
    conventions = (_convention(h),)
    organismes = {"caf-042": CAF_042, "carsat-ra": CARSAT_RA}
    commun = {"flux": "rdc", "emetteur": "caf-042", "destinataire": "carsat-ra", "contenu": DONNEES}
    accueil = remettre(conventions, organismes, convention="c-test", profil="accueil", **commun)
    assert accueil.visible and accueil.contenu == {"nir_assure": "264031234567811"}
    assert accueil.retenu == {"champs": ["email", "nom_assure", "regimes", "taux_incapacite_aah"],
                              "empreinte": empreinte_retenue({k: v for k, v in DONNEES.items() if k != "nir_assure"}),
                              "profil": "accueil"}
    gestion = remettre(conventions, organismes, convention="c-test", profil="gestion", **commun)
    assert gestion.visible and gestion.contenu == DONNEES and gestion.retenu is None
    assert not remettre(conventions, organismes, convention="c-test", profil="lutte-fraude", **commun).visible
    # The gateway's own notices carry no convention: handed out whole.
    assert remettre(conventions, organismes, convention=None, profil="accueil", **commun).contenu == DONNEES
    # A convention that lost the habilitation: the payload is withheld, and the journal says why.
    perdu = remettre(conventions, organismes, convention="c-disparue", profil="gestion", **commun)
    assert perdu.visible and perdu.contenu == {} and perdu.retenu["raison"] == "habilitation_introuvable"  # type: ignore[index]


def test_lecture_et_masques_de_boite() -> None:
    fraude = _habilitation(profils_destinataires=["lutte-fraude"])
    libre = _habilitation()
    conventions = (_convention(fraude, id_="c-fraude"), _convention(libre, id_="c-libre"))
    organismes = {"caf-042": CAF_042, "carsat-ra": CARSAT_RA}
    assert masques_en_boite(conventions, CARSAT_RA, "gestion") == {("c-fraude", "rdc")}
    assert masques_en_boite(conventions, CARSAT_RA, "lutte-fraude") == set()
    assert masques_en_boite(conventions, CAF_042, "gestion") == set()  # not a destination of it
    commun = {"flux": "rdc", "emetteur": "caf-042", "destinataire": "carsat-ra"}
    assert not lisible_par(conventions, organismes, convention="c-fraude", profil="gestion", **commun)
    assert lisible_par(conventions, organismes, convention="c-fraude", profil="lutte-fraude", **commun)
    assert habilitation_du_message(conventions, "c-libre", "rdc", CAF_042, CARSAT_RA) == libre
    assert habilitation_du_message(conventions, "c-libre", "rdc", CARSAT_RA, CAF_042) is None  # wrong direction
