"""The one access decision, as pure functions: each refusal code, from facts, a count, an instant."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passerelle.annuaire.modeles import Cle, Organisme
from passerelle.annuaire.robots import Robot
from passerelle.erreurs import Refus
from passerelle.habilitations.autorisation import AppelantAutorise, autoriser, autoriser_appelant
from passerelle.habilitations.conventions import Convention
from passerelle.habilitations.robots import minute_de
from passerelle.signature.authentification import Appelant
from passerelle.signature.verification import SignatureVerifiee
from tests.robots.outils import MATIN, SOIR, SOIRS_DE_SEMAINE, TECHNICIEN, WEEK_END

CAF_042 = Organisme(code="caf-042", type="caf", nom="CAF de la Loire", departements=("42",))
CAF_069 = Organisme(code="caf-069", type="caf", nom="CAF du Rhône", departements=("69",))
CARSAT_RA = Organisme(code="carsat-ra", type="carsat", nom="Carsat Rhône-Alpes", departements=("42", "69"))
MSA = Organisme(code="msa-01", type="msa", nom="MSA Ain-Rhône", departements=("01",))
ROBOT = Robot(id="ad-caf042-09", organisme="caf-042", responsable="Hélène Vidal", plages=(SOIRS_DE_SEMAINE, WEEK_END),
              debit_par_minute=2)
JOUR = date(2026, 6, 1)


def appelant(*, robot: str | None = None, agent: str = TECHNICIEN, profil: str = "gestion",
             organisme: Organisme = CAF_042) -> Appelant:
    keyid = f"{organisme.code}-test"
    cle = Cle(keyid=keyid, organisme=organisme.code, publique=Ed25519PrivateKey.generate().public_key(),
              valide_du=SOIR - timedelta(days=1), robot=robot, profil=profil)
    signature = SignatureVerifiee(keyid=keyid, created=0, nonce="n", expires=None, composants=(), etiquette="sig")
    return Appelant(organisme=organisme, cle=cle, agent=agent, signature=signature)


class Compteur:
    """The storage primitive's contract: one more per call, per (name, window)."""

    def __init__(self) -> None:
        self.comptes: dict[tuple[str, int], int] = {}

    def __call__(self, nom: str, fenetre: int) -> int:
        self.comptes[(nom, fenetre)] = self.comptes.get((nom, fenetre), 0) + 1
        return self.comptes[(nom, fenetre)]


def refus(fonction: Any, *arguments: Any) -> Refus:
    with pytest.raises(Refus) as erreur:
        fonction(*arguments)
    return erreur.value


# --- the caller -------------------------------------------------------------------------------


def test_un_agent_humain_passe_sans_rien_compter() -> None:
    compteur = Compteur()
    admis = autoriser_appelant(appelant(), {}, MATIN, compteur)
    assert admis == AppelantAutorise(appelant=admis.appelant) and compteur.comptes == {}


def test_robot_dans_son_accord_compte_par_minute() -> None:
    compteur = Compteur()
    robot = appelant(robot=ROBOT.id)
    assert autoriser_appelant(robot, {ROBOT.id: ROBOT}, SOIR, compteur).requetes_minute == 1
    assert autoriser_appelant(robot, {ROBOT.id: ROBOT}, SOIR, compteur).robot == ROBOT
    assert compteur.comptes == {(ROBOT.id, minute_de(SOIR)): 2}


def test_robot_plus_declare() -> None:
    assert refus(autoriser_appelant, appelant(robot="disparu"), {}, SOIR, Compteur()).code == "cle_inconnue"


def test_robot_sans_technicien_refuse_avant_d_etre_compte() -> None:
    compteur = Compteur()
    erreur = refus(autoriser_appelant, appelant(robot=ROBOT.id, agent=ROBOT.id), {ROBOT.id: ROBOT}, SOIR, compteur)
    assert (erreur.code, erreur.statut) == ("technicien_absent", 403)
    assert compteur.comptes == {}


def test_robot_hors_plage_refuse_avant_d_etre_compte() -> None:
    compteur = Compteur()
    erreur = refus(autoriser_appelant, appelant(robot=ROBOT.id), {ROBOT.id: ROBOT}, MATIN, compteur)
    assert (erreur.code, erreur.statut) == ("hors_plage_robot", 403)
    assert compteur.comptes == {}


def test_robot_au_dela_de_son_debit() -> None:
    compteur = Compteur()
    robot, robots = appelant(robot=ROBOT.id), {ROBOT.id: ROBOT}
    for _ in range(ROBOT.debit_par_minute):
        autoriser_appelant(robot, robots, SOIR, compteur)
    erreur = refus(autoriser_appelant, robot, robots, SOIR, compteur)
    assert (erreur.code, erreur.statut, erreur.entetes) == ("debit_robot_depasse", 429, {"Retry-After": "60"})
    assert autoriser_appelant(robot, robots, SOIR + timedelta(minutes=1), compteur).requetes_minute == 1


# --- the exchange -----------------------------------------------------------------------------


def convention(id: str = "nationale", habilitation: dict[str, Any] | None = None, **champs: Any) -> Convention:
    donnees: dict[str, Any] = {
        "id": id, "intitule": id, "statut": "en_vigueur", "finalite": "aspa-rsa-65-ans", "debut": date(2019, 4, 18),
        "habilitations": [{"flux": ["rdc"], "emetteurs": {"types": ["caf"]}, "destinataires": {"types": ["carsat"]},
                           **(habilitation or {})}],
    }
    donnees.update(champs)
    return Convention.model_validate(donnees)


def admis(**options: Any) -> Appelant:
    return appelant(**options)


def test_convention_en_vigueur_donne_son_code() -> None:
    autorisation = autoriser(admis(), CARSAT_RA, "rdc", JOUR, (convention(),))
    assert (autorisation.convention, autorisation.finalite) == ("nationale", "aspa-rsa-65-ans")


@pytest.mark.parametrize(
    ("conventions", "emetteur", "destinataire", "code"),
    [
        ((), CAF_042, CARSAT_RA, "convention_absente"),
        ((convention(statut="brouillon"),), CAF_042, CARSAT_RA, "convention_hors_vigueur"),
        ((convention(statut="caduque"),), CAF_042, CARSAT_RA, "convention_caduque"),
        ((convention(),), CAF_042, MSA, "destinataire_non_autorise"),
        ((convention(),), CARSAT_RA, CAF_069, "sens_non_autorise"),
        ((convention(habilitation={"profils_emetteurs": ["lutte-fraude"]}),), CAF_042, CARSAT_RA, "profil_non_autorise"),
    ],
)
def test_chaque_refus_de_l_echange(conventions: tuple[Convention, ...], emetteur: Organisme, destinataire: Organisme,
                                   code: str) -> None:
    erreur = refus(autoriser, admis(organisme=emetteur), destinataire, "rdc", JOUR, conventions)
    assert (erreur.code, erreur.statut) == (code, 403)


def test_la_coupe_de_minimisation_refuse_les_champs_non_permis() -> None:
    autorisation = autoriser(admis(), CARSAT_RA, "rdc", JOUR, (convention(habilitation={"champs_emis": ["a", "b"]}),))
    autorisation.couper({"a": 1})
    erreur = refus(autorisation.couper, {"a": 1, "z": 2, "c": 3})
    assert (erreur.code, erreur.statut) == ("champ_non_autorise", 403)
    assert [e.champ for e in erreur.erreurs] == ["c", "z"]
    autoriser(admis(), CARSAT_RA, "rdc", JOUR, (convention(),)).couper({"tout": 1})  # no list: every field

