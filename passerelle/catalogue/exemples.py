"""Ready bodies for every flux of the register, valid on a given day, for a fictional person.

Dates move: a retirement signal is accepted only inside a window computed from the birth date
and the legal-age table (``config/regles/age-legal.yaml``), so a body written once goes stale.
These builders take the day (``aujourd_hui``) and the table and choose the birth date inside
the flux's window, then build the NIR from it (sex, year, month, Saint-Étienne, key). The same
functions feed ``passerelle exemple FLUX`` (what an integrator runs on the first day), the
ready files of ``docs/exemples/`` and the test suite, so a body the tests accept is the body the
documentation shows.

Every person here is fictional: the NIRs are well formed and coherent with the birth date,
nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from passerelle.catalogue.age_legal import TableAgeLegal, ajouter_mois
from passerelle.catalogue.nir import calculer_cle

ABSENT: Any = object()
"""Pass as a field's value to remove the field from the payload."""


def nir_fictif(
    naissance: date,
    *,
    sexe: int = 2,
    departement: str = "42",
    commune: str = "218",
    ordre: str = "123",
) -> str:
    """A well-formed NIR coherent with ``naissance`` (default: a woman born in Saint-Étienne)."""
    debut = f"{sexe}{naissance.year % 100:02d}{naissance.month:02d}{departement}{commune}{ordre}"
    return f"{debut}{calculer_cle(debut):02d}"


def naissance_dans_fenetre(table: TableAgeLegal, flux: str, aujourd_hui: date) -> date:
    """A birth date whose ``flux`` window holds ``aujourd_hui`` — when possible as its due date."""
    regle = table.fenetres[flux]
    for generation in table.generations:
        mois = generation.age.en_mois - regle.echeance_avant_age_legal_mois
        naissance = ajouter_mois(aujourd_hui, -mois)
        if generation.contient(naissance) and table.fenetre(flux, naissance).contient(aujourd_hui):
            return naissance
    # No generation is due today (the legal age rises by steps, so some due days belong to no
    # one): take the middle of the first run of birth dates whose window holds today, so the
    # body stays valid as long as possible on both sides.
    naissance = ajouter_mois(aujourd_hui, -12 * 70)
    while not table.fenetre(flux, naissance).contient(aujourd_hui):
        naissance += timedelta(days=1)
    premiere = naissance
    while table.fenetre(flux, naissance + timedelta(days=1)).contient(aujourd_hui):
        naissance += timedelta(days=1)
    return premiere + (naissance - premiere) // 2


def appliquer(donnees: dict[str, Any], surcharges: dict[str, Any]) -> dict[str, Any]:
    """``donnees`` with ``surcharges`` applied (``ABSENT`` removes a field)."""
    for champ, valeur in surcharges.items():
        if valeur is ABSENT:
            donnees.pop(champ, None)
        else:
            donnees[champ] = valeur
    return donnees


# --- the CAF's signals (rdc, passage-retraite) ------------------------------------------------


def coordonnees(flux: str, aujourd_hui: date, table: TableAgeLegal, naissance: date | None = None,
                ordre: str = "123") -> dict[str, Any]:
    """A signal from caf-042 about Claire Martin, every annex-1 field filled, in window today."""
    naissance = naissance or naissance_dans_fenetre(table, flux, aujourd_hui)
    return {
        "destinataire": "carsat-ra",
        "code_caf": "042",
        "nir_assure": nir_fictif(naissance, ordre=ordre),
        "civilite": "MME",
        "nom_assure": "MARTIN",
        "prenoms_assure": "Claire Marie Josette",
        "date_naissance": naissance.isoformat(),
        "nom_marital_assure": "DURAND",
        "type_adresse": "principale",
        "raison_sociale": "Foyer d'accueil médicalisé Les Tilleuls",
        "nom_communication": "DURAND",
        "prenom_communication": "Claire",
        "zone_adresse1": "Résidence Les Tilleuls",
        "zone_adresse2": "Bâtiment B",
        "complement": "Appartement 12",
        "numero_voie": "12 rue de la République",
        "lieu_dit": "Le Soleil",
        "code_postal": "42000",
        "code_commune": "42218",
        "localite": "SAINT-ETIENNE",
        "pays": "France",
        "code_pays": "FR",
        "telephone1": "04 77 00 00 00",
        "telephone2": "+33 6 00 00 00 00",
        "email": "claire.durand@example.org",
        "type_allocation": "AAH",
        "taux_incapacite_aah": 80,
    }


# --- the Carsat's answers (cloture-rdc, avis-depot, notification-retraite) --------------------


def cloture_rdc(en_reponse_a: str, nir: str, aujourd_hui: date) -> dict[str, Any]:
    return {
        "destinataire": "caf-042",
        "en_reponse_a": en_reponse_a,
        "nir_assure": nir,
        "code_carsat": "RA",
        "statut_rdc": "repondu",
        "date_taux_plein": ajouter_mois(aujourd_hui.replace(day=1), 50).isoformat(),
        "regimes_affiliation": ["Régime général", "MSA salariés"],
    }


def avis_depot(en_reponse_a: str, nir: str, aujourd_hui: date) -> dict[str, Any]:
    return {
        "destinataire": "caf-042",
        "en_reponse_a": en_reponse_a,
        "nir_assure": nir,
        "type_demande": "droit_propre",
        "reception_demande": True,
        "date_reception_demande": (aujourd_hui - timedelta(days=20)).isoformat(),
        "mode_liquidation": "liquidation unique des régimes alignés",
        "transfert_regime": ["MSA salariés"],
    }


def notification_retraite(en_reponse_a: str, nir: str, aujourd_hui: date) -> dict[str, Any]:
    return {
        "destinataire": "caf-042",
        "en_reponse_a": en_reponse_a,
        "nir_assure": nir,
        "type_demande": "droit_propre",
        "date_effet": ajouter_mois(aujourd_hui.replace(day=1), 5).isoformat(),
        "statut_demande": "attribution",
        "montant_total": "1234.10",
        "type_montant": "mensuel_brut",
        "montant": 987.65,
    }


# --- requests with a deadline (retention, AVPF, subrogation) and the fraud signal --------------

NIR_RETENUE = nir_fictif(date(1964, 9, 3), sexe=1)
NAISSANCE_AVPF = date(1968, 5, 12)
NIR_AVPF = nir_fictif(NAISSANCE_AVPF, departement="69", commune="381")
NIR_INVALIDITE = nir_fictif(date(1979, 2, 20), departement="30", commune="189")
NIR_FRAUDE = nir_fictif(date(1958, 11, 7), sexe=1, ordre="457")
PERIODES_AVPF = ({"debut": "1995-01-01", "fin": "1995-12-31"}, {"debut": "1998-03-01", "fin": "1999-08-31"})


def retenue_demande(aujourd_hui: date) -> dict[str, Any]:
    """carsat-ra → caf-042: notified a week ago, after its date of effect (the first of the
    month before): a late notification, so a retention form is due."""
    notification = aujourd_hui - timedelta(days=7)
    return {
        "destinataire": "caf-042",
        "reference": "RET-2026-000123",
        "nir_assure": NIR_RETENUE,
        "date_notification": notification.isoformat(),
        "date_effet": ajouter_mois(notification.replace(day=1), -1).isoformat(),
        "montant_rappel_disponible": "1850.40",
    }


def retenue_reponse(en_reponse_a: str, nir: str = NIR_RETENUE) -> dict[str, Any]:
    return {"en_reponse_a": en_reponse_a, "nir_assure": nir, "montant_retenue": "612.35"}


def enquete_avpf() -> dict[str, Any]:
    """carsat-ra → the AVPF pivot of the Rhône (no destinataire: routed by mutualisation)."""
    return {
        "reference": "AVPF-2026-0042",
        "nir_assure": NIR_AVPF,
        "nom_assure": "BERNARD",
        "prenoms_assure": "Sophie Anne",
        "nom_marital_assure": "ROUX",
        "date_naissance": NAISSANCE_AVPF.isoformat(),
        "departement": "69",
        "periodes": [dict(p) for p in PERIODES_AVPF],
        "motif": "report_absent",
    }


def reponse_avpf(en_reponse_a: str, nir: str = NIR_AVPF) -> dict[str, Any]:
    """The pivot's answer to :func:`enquete_avpf`: AVPF found on the first period, none on the second."""
    return {
        "en_reponse_a": en_reponse_a,
        "nir_assure": nir,
        "resultats": [
            {
                "periode": dict(PERIODES_AVPF[0]),
                "affiliation_avpf": True,
                "periodes_avpf": [{"debut": "1995-01-01", "fin": "1995-12-31", "prestation": "CF"}],
            },
            {"periode": dict(PERIODES_AVPF[1]), "affiliation_avpf": False, "periodes_avpf": []},
        ],
    }


def subrogation_demande(aujourd_hui: date) -> dict[str, Any]:
    """cpam-030 → caf-030 (no destinataire: the CAF of the CPAM's territory); the back-pay
    covers the twelve months ending two months before this one."""
    fin = ajouter_mois(aujourd_hui.replace(day=1), -1) - timedelta(days=1)
    return {
        "nir_assure": NIR_INVALIDITE,
        "periode": {"debut": ajouter_mois(fin + timedelta(days=1), -12).isoformat(), "fin": fin.isoformat()},
        "montant_rappel_invalidite": "4820.00",
    }


def subrogation_reponse(en_reponse_a: str, nir: str = NIR_INVALIDITE) -> dict[str, Any]:
    return {"en_reponse_a": en_reponse_a, "nir_assure": nir, "montant_a_subroger": "3150.00"}


def suspicion_fraude(aujourd_hui: date) -> dict[str, Any]:
    """caf-042 (a lutte-fraude key) → carsat-ra: a suspicion over the last eighteen months."""
    return {
        "destinataire": "carsat-ra",
        "reference": "CTRL-2026-0412",
        "nir_assure": NIR_FRAUDE,
        "nature": "non_residence",
        "periode_debut": ajouter_mois(aujourd_hui.replace(day=1), -18).isoformat(),
        "montant_en_jeu": "8420.50",
        "description": "courriers retournés NPAI depuis dix-huit mois, retraite versée sur un compte à l'étranger",
    }


def avis_echeance(aujourd_hui: date) -> dict[str, Any]:
    """What the gateway itself sends both parties of a case before its deadline (read only)."""
    return {
        "evenement": "rappel",
        "demande": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
        "flux_demande": "retenue-demande",
        "flux_reponse": "retenue-reponse",
        "demandeur": "carsat-ra",
        "repondant": "caf-042",
        "echeance": f"{(aujourd_hui + timedelta(days=3)).isoformat()}T00:00:00Z",
        "convention": "cnaf-cnav-2019",
        "consequence": "sans réponse le 3e jour, la demande expire et la Carsat ne retient rien",
    }


def suspension_convention(aujourd_hui: date) -> dict[str, Any]:
    """What the gateway itself sends the parties of a convention suspended on a breach (read only)."""
    return {
        "evenement": "suspension",
        "convention": "caf-042-carsat-ra-aspa",
        "intitule": "Partenariat local CAF de la Loire – Carsat Rhône-Alpes, ASPA des allocataires du RSA",
        "suspendue_le": f"{aujourd_hui.isoformat()}T09:30:00Z",
        "motif": "manquement aux obligations de protection des données (art. 3.3) : audit en cours",
        "par": "claire.martin",
        "organisme": "cnaf",
        "consequence": "tout échange autorisé par cette convention est refusé (403 convention_suspendue) jusqu'à la reprise",
    }


# --- one entry point per flux ----------------------------------------------------------------


@dataclass(frozen=True)
class Exemple:
    """How to build a body of one flux, and who sends it in the example configuration.

    ``repond_a``: the flux of the message this one answers (its id goes in ``en_reponse_a``,
    its NIR is reused); ``emetteur``: a development key of ``config/`` allowed to send it;
    ``lecture_seule``: emitted by the gateway alone, shown so an integrator knows what arrives.
    """

    flux: str
    emetteur: str | None
    construire: Callable[[date, TableAgeLegal, str | None, str | None, int], dict[str, Any]]
    repond_a: str | None = None
    lecture_seule: bool = False


def _signal(flux: str) -> Callable[[date, TableAgeLegal, str | None, str | None, int], dict[str, Any]]:
    dernier: list[Any] = [None, None, None]  # table, day, birth date: a batch asks the same day N times

    def construire(jour: date, table: TableAgeLegal, _id: str | None, _nir: str | None, rang: int) -> dict[str, Any]:
        if dernier[0] is not table or dernier[1] != jour:
            dernier[:] = [table, jour, naissance_dans_fenetre(table, flux, jour)]
        naissance: date = dernier[2]
        if rang:  # a batch: distinct persons, birth dates spread inside the window
            for decalage in (-rang, rang):
                autre = naissance + timedelta(days=decalage)
                if table.fenetre(flux, autre).contient(jour):
                    naissance = autre
                    break
        donnees = coordonnees(flux, jour, table, naissance, ordre=f"{123 + rang:03d}")
        if rang:
            donnees["reference"] = f"LOT-{jour:%Y%m%d}-{rang:04d}"
        return donnees

    return construire


def _nir_du_signal(flux: str, jour: date, table: TableAgeLegal) -> str:
    return nir_fictif(naissance_dans_fenetre(table, flux, jour))


EXEMPLES: dict[str, Exemple] = {
    e.flux: e
    for e in (
        Exemple("rdc", "caf-042-dev-2026", _signal("rdc")),
        Exemple("passage-retraite", "caf-042-dev-2026", _signal("passage-retraite")),
        Exemple("cloture-rdc", "carsat-ra-dev-2026", repond_a="rdc",
                construire=lambda j, t, i, n, r: cloture_rdc(i or "", n or _nir_du_signal("rdc", j, t), j)),
        Exemple("avis-depot", "carsat-ra-dev-2026", repond_a="passage-retraite",
                construire=lambda j, t, i, n, r: avis_depot(i or "", n or _nir_du_signal("passage-retraite", j, t), j)),
        Exemple("notification-retraite", "carsat-ra-dev-2026", repond_a="passage-retraite",
                construire=lambda j, t, i, n, r: notification_retraite(
                    i or "", n or _nir_du_signal("passage-retraite", j, t), j)),
        Exemple("retenue-demande", "carsat-ra-dev-2026", lambda j, t, i, n, r: retenue_demande(j)),
        Exemple("retenue-reponse", "caf-042-dev-2026", repond_a="retenue-demande",
                construire=lambda j, t, i, n, r: retenue_reponse(i or "", n or NIR_RETENUE)),
        Exemple("enquete-avpf", "carsat-ra-dev-2026", lambda j, t, i, n, r: enquete_avpf()),
        Exemple("reponse-avpf", "caf-042-dev-2026", repond_a="enquete-avpf",
                construire=lambda j, t, i, n, r: reponse_avpf(i or "", n or NIR_AVPF)),
        Exemple("subrogation-demande", "cpam-030-dev-2026", lambda j, t, i, n, r: subrogation_demande(j)),
        Exemple("subrogation-reponse", "caf-030-dev-2026", repond_a="subrogation-demande",
                construire=lambda j, t, i, n, r: subrogation_reponse(i or "", n or NIR_INVALIDITE)),
        Exemple("suspicion-fraude", "caf-042-fraude-dev-2026", lambda j, t, i, n, r: suspicion_fraude(j)),
        Exemple("avis-echeance", None, lambda j, t, i, n, r: avis_echeance(j), lecture_seule=True),
        Exemple("suspension-convention", None, lambda j, t, i, n, r: suspension_convention(j), lecture_seule=True),
    )
}


class ExempleImpossible(ValueError):
    """No example can be written as asked; the message says what to give instead."""


def exemple(flux: str, aujourd_hui: date, table: TableAgeLegal, *, en_reponse_a: str | None = None,
            nir: str | None = None, rang: int = 0) -> dict[str, Any]:
    """A body of ``flux`` valid on ``aujourd_hui``. An answer needs the id of the message it
    answers (``en_reponse_a``); its NIR defaults to the one of that day's example request."""
    try:
        modele = EXEMPLES[flux]
    except KeyError:
        raise ExempleImpossible(
            f"aucun exemple pour le flux {flux!r}; flux connus: {', '.join(sorted(EXEMPLES))}"
        ) from None
    if modele.repond_a and not en_reponse_a:
        raise ExempleImpossible(
            f"{flux} répond à un message {modele.repond_a}: donnez son id avec --en-reponse-a "
            "(l'« id » de l'accusé de réception ou de la boîte)"
        )
    return modele.construire(aujourd_hui, table, en_reponse_a, nir, rang)
