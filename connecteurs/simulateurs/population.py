"""Fictional allocataires of the CAF de la Loire, whose retirement signals fall due in a year.

Every person is invented: names drawn from lists of common French names, addresses in real
Loire communes but fictional streets, and a NIR that is *well formed* — sex, birth year and
month, birth département and commune, an order number, and the key computed by the rules of
:mod:`passerelle.catalogue.nir` — without being anyone's. Birth dates are chosen from the
legal-age table (``config/regles/age-legal.yaml``) so that each person's signal falls due on a
day of the simulated year: half of them get their ``rdc`` (30 months before the legal age),
half their ``passage-retraite`` (7 months before). The generation is deterministic (a seed).

How each is sent (annex 1 of the convention: yearly or monthly batches, and singles):

* ``rdc``: in the monthly batch of the month the signal falls due (sent on the 1st), except
  ``unitaire`` people — allocataires whose file opened during the year — sent alone that day;
* ``passage-retraite``: alone, on the day it falls due.

A few batch lines carry a typing error in the NIR key (``erreur_saisie``): the gateway must
refuse exactly those lines (``nir_invalide``) and accept the rest of the batch.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from passerelle.catalogue.age_legal import TableAgeLegal, ajouter_mois
from passerelle.catalogue.nir import calculer_cle

RDC = "rdc"
PASSAGE = "passage-retraite"
LOT = "lot"
UNITAIRE = "unitaire"

NOMS = (
    "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT",
    "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD",
    "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT", "MULLER", "FAURE", "ANDRE", "MERCIER",
    "BLANC", "GUERIN", "BOYER", "GARNIER", "CHEVALIER", "FRANCOIS", "LEGRAND", "GAUTHIER", "GARCIA", "PERRIN",
    "ROBIN", "CLEMENT", "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER", "MASSON", "MARCHAND",
)
PRENOMS_F = ("Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Martine", "Christine", "Françoise",
             "Valérie", "Sandrine", "Véronique", "Patricia", "Brigitte", "Chantal", "Nicole", "Corinne")
PRENOMS_M = ("Philippe", "Patrick", "Christophe", "Pascal", "Thierry", "Éric", "Laurent", "Didier",
             "Frédéric", "Alain", "Bruno", "Gilles", "Jean-Luc", "Dominique", "Serge", "Hervé")
# (INSEE commune code, postal code, name): real communes of the Loire, fictional streets.
COMMUNES = (
    ("42218", "42000", "SAINT-ETIENNE"), ("42187", "42300", "ROANNE"), ("42207", "42400", "SAINT-CHAMOND"),
    ("42095", "42700", "FIRMINY"), ("42147", "42600", "MONTBRISON"), ("42186", "42800", "RIVE-DE-GIER"),
    ("42094", "42110", "FEURS"),
)
VOIES = ("rue de la République", "avenue de la Libération", "rue Victor Hugo", "boulevard Jules Janin",
         "rue des Tilleuls", "chemin des Vignes", "place du Peuple", "rue Pierre Bérard")
# Birth place coded in the NIR: département (or 99, abroad) and commune (or country code).
LIEUX_NAISSANCE = (("42", "218"), ("42", "187"), ("69", "123"), ("43", "157"), ("63", "113"), ("99", "352"),
                   ("99", "350"), ("38", "185"))


@dataclass(frozen=True)
class Allocataire:
    numero: int
    flux: str  # the signal that falls due during the year
    mode: str  # LOT or UNITAIRE
    echeance: date  # when the signal falls due (legal-age table)
    envoi: date  # when the CAF sends it
    naissance: date
    erreur_saisie: bool
    donnees: dict[str, Any] = field(hash=False)

    @property
    def mois_lot(self) -> str:
        return f"{self.envoi:%Y-%m}"


def nir_fictif(sexe: int, naissance: date, departement: str, commune: str, ordre: int) -> str:
    debut = f"{sexe}{naissance.year % 100:02d}{naissance.month:02d}{departement}{commune}{ordre:03d}"
    return f"{debut}{calculer_cle(debut):02d}"


def naissance_pour(table: TableAgeLegal, flux: str, echeance: date) -> date | None:
    """A birth date whose ``flux`` signal falls due on ``echeance`` exactly, if one exists."""
    regle = table.fenetres[flux]
    for generation in table.generations:
        naissance = ajouter_mois(echeance, -(generation.age.en_mois - regle.echeance_avant_age_legal_mois))
        if generation.contient(naissance) and table.fenetre(flux, naissance).echeance == echeance:
            return naissance
    return None


def _ascii(texte: str) -> str:
    return unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode("ascii").lower().replace(" ", "")


def _donnees(hasard: random.Random, numero: int, flux: str, naissance: date, erreur: bool) -> dict[str, Any]:
    femme = hasard.random() < 0.55
    nom = hasard.choice(NOMS)
    prenoms = hasard.sample(PRENOMS_F if femme else PRENOMS_M, 2)
    departement, commune = hasard.choice(LIEUX_NAISSANCE)
    nir = nir_fictif(2 if femme else 1, naissance, departement, commune, 1 + numero % 999)
    if erreur:  # a typing error in the key: well-formed, but the key does not match
        nir = nir[:13] + f"{(int(nir[13:]) % 97) + 1:02d}"
    code_commune, code_postal, localite = hasard.choice(COMMUNES)
    aah = hasard.random() < 0.4
    donnees: dict[str, Any] = {
        "destinataire": "carsat-ra",
        "reference": f"caf042-{flux}-{numero:05d}",
        "code_caf": "042",
        "nir_assure": nir,
        "civilite": "MME" if femme else "M",
        "nom_assure": nom,
        "prenoms_assure": " ".join(prenoms),
        "date_naissance": naissance.isoformat(),
        "type_adresse": "principale",
        "numero_voie": f"{hasard.randint(1, 120)} {hasard.choice(VOIES)}",
        "code_postal": code_postal,
        "code_commune": code_commune,
        "localite": localite,
        "pays": "France",
        "code_pays": "FR",
        "telephone1": f"04 77 {hasard.randint(10, 99)} {hasard.randint(10, 99)} {hasard.randint(10, 99)}",
        "type_allocation": "AAH" if aah else "RSA",
    }
    if femme and hasard.random() < 0.4:
        donnees["nom_marital_assure"] = hasard.choice(NOMS)
    if hasard.random() < 0.5:
        donnees["email"] = f"{_ascii(prenoms[0])}.{_ascii(nom)}{numero}@example.org"
    if aah:
        donnees["taux_incapacite_aah"] = hasard.choice((50, 60, 80, 80, 80, 90))
    return donnees


def generer_population(
    table: TableAgeLegal, debut: date, fin: date, nombre: int, *, graine: int = 2026,
    part_unitaires_rdc: float = 0.15, erreurs: int = 3,
) -> list[Allocataire]:
    """``nombre`` allocataires whose signal falls due in ``[debut, fin)``; ``erreurs`` of the batch
    lines carry a NIR typing error."""
    hasard = random.Random(graine)
    jours = [debut + timedelta(days=n) for n in range((fin - debut).days)]
    possibles: dict[str, list[tuple[date, date]]] = {}
    for flux in (RDC, PASSAGE):
        # Some days are no one's due date: the legal age moves by 3 months per generation.
        possibles[flux] = [(j, n) for j in jours if (n := naissance_pour(table, flux, j)) is not None]
        if not possibles[flux]:
            raise ValueError(f"aucune date de naissance ne fait échoir un signal {flux} entre {debut} et {fin}")
    personnes: list[tuple[int, str, str, date, date]] = []
    for numero in range(1, nombre + 1):
        flux = RDC if numero % 2 else PASSAGE
        echeance, naissance = hasard.choice(possibles[flux])
        if flux == RDC and hasard.random() >= part_unitaires_rdc:
            mode, envoi = LOT, echeance.replace(day=1)
        else:
            mode, envoi = UNITAIRE, echeance
        personnes.append((numero, flux, mode, echeance, naissance))
    en_lot = [p[0] for p in personnes if p[2] == LOT]
    fautifs = set(hasard.sample(en_lot, min(erreurs, len(en_lot))))
    resultat = []
    for numero, flux, mode, echeance, naissance in personnes:
        envoi = echeance.replace(day=1) if mode == LOT else echeance
        erreur = numero in fautifs
        resultat.append(Allocataire(numero, flux, mode, echeance, envoi, naissance, erreur,
                                    _donnees(hasard, numero, flux, naissance, erreur)))
    return resultat
