"""AVPF enquiries (convention Cnaf-Cnav 2019, art. 2.5): the Carsat asks the CAF about periods
of the *assurance vieillesse des parents au foyer* that look missing from a career.

The periods are normally carried over automatically; the Carsat asks only in the cases of the
procedure agreed by the Cnaf and the Cnav, and says which one: the ``motif``, one of a dated,
versioned list in ``config/regles/motifs-avpf.yaml`` (never a constant here: the joint notice
changes without the code). The enquiry carries the person's département because AVPF work is
mutualised: the gateway routes it to the pivot CAF designated for that département
(``config/mutualisation.yaml``), which the Carsat does not have to know.

Periods are asked as days (``{debut, fin}``, both included), not as years: AVPF rights are
reported per year, but a benefit may open or close mid-year, and a whole year is simply
01-01 → 12-31. The answer repeats each period asked and says, for it, whether an AVPF
affiliation exists, its spans inside that period and the benefit that opened each of them, or
that no period was found; it answers exactly the periods asked, no more, no fewer.

Rules are small pure functions declared on the models (``regles_du_flux``), run after the
common rules of :mod:`passerelle.catalogue.regles`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from passerelle.catalogue.champs import Booleen, Date, Departement, champ, texte
from passerelle.catalogue.demandes import Periode, Regle, periodes_inversees
from passerelle.catalogue.nir import Nir
from passerelle.catalogue.regles import Manquement
from passerelle.catalogue.signaux_retraite import Enveloppe, Nom

if TYPE_CHECKING:
    from passerelle.catalogue.registre import DefinitionFlux
    from passerelle.catalogue.validation import ContexteValidation

MAX_PERIODES = 50
CodeMotif = texte(64)


# --- the configured list of motives -------------------------------------------------------


class Motif(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    libelle: str = Field(min_length=1)


class MotifsAvpf(BaseModel):
    """The motives for which a Carsat may open an AVPF enquiry, as agreed in the joint notice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    en_vigueur_le: date
    source: str = Field(min_length=1)
    avertissement: str | None = None
    motifs: tuple[Motif, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes_uniques(self) -> MotifsAvpf:
        doubles = sorted(code for code, n in Counter(m.code for m in self.motifs).items() if n > 1)
        if doubles:
            raise ValueError(f"motif(s) en double : {', '.join(doubles)}")
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.motifs)


class MotifsInvalides(ValueError):
    pass


def charger_motifs_avpf(chemin: Path) -> MotifsAvpf | None:
    """Read and check the list; None when the file is absent (then every enquiry is refused)."""
    if not chemin.exists():
        return None
    try:
        return MotifsAvpf.model_validate(yaml.safe_load(chemin.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise MotifsInvalides(f"{chemin}: {exc}") from exc


# --- enums (their docstrings are published in schemas/) -----------------------------------


class PrestationAvpf(StrEnum):
    """Prestation familiale qui a ouvert l'affiliation à l'AVPF (code de la sécurité sociale,
    art. L. 381-1) : AF allocations familiales ; CF complément familial ; APJE allocation pour
    jeune enfant (avant la PAJE) ; PAJE_AB allocation de base de la PAJE ; APE allocation
    parentale d'éducation (avant 2004) ; CLCA complément de libre choix d'activité de la PAJE ;
    PREPARE prestation partagée d'éducation de l'enfant ; AES allocation d'éducation spéciale
    (avant 2006) ; AEEH allocation d'éducation de l'enfant handicapé ; APP allocation de
    présence parentale (avant 2006) ; AJPP allocation journalière de présence parentale ;
    AIDANT aide à un adulte ou un enfant handicapé (aidant familial, hors prestation)."""

    AF = "AF"
    CF = "CF"
    APJE = "APJE"
    PAJE_AB = "PAJE_AB"
    APE = "APE"
    CLCA = "CLCA"
    PREPARE = "PREPARE"
    AES = "AES"
    AEEH = "AEEH"
    APP = "APP"
    AJPP = "AJPP"
    AIDANT = "AIDANT"


# --- rules of the enquiry -----------------------------------------------------------------


def regle_motif_avpf(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """The motive is one of the configured list: the Carsat asks only in the agreed cases."""
    motif = cast("EnqueteAvpf", modele).motif
    liste = contexte.motifs_avpf
    if liste is None:
        return [
            Manquement(
                "motif_inconnu",
                "motif",
                "aucune liste de motifs d'enquête AVPF n'est configurée sur la passerelle "
                "(config/regles/motifs-avpf.yaml) : l'exploitant doit la publier",
            )
        ]
    if motif in liste.codes:
        return []
    return [
        Manquement(
            "motif_inconnu",
            "motif",
            f"motif d'enquête AVPF inconnu ; motifs admis (liste version {liste.version}) : "
            + ", ".join(f"« {code} »" for code in liste.codes),
        )
    ]


def regle_periodes_demandees(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """Periods asked are real (start before end), past, and distinct: the answer is given per
    period, so two overlapping ones would get two answers about the same days."""
    periodes = cast("EnqueteAvpf", modele).periodes
    manquements = periodes_inversees((f"periodes.{i}", p) for i, p in enumerate(periodes))
    for i, periode in enumerate(periodes):
        if periode.fin > contexte.aujourd_hui:
            manquements.append(
                Manquement(
                    "periode_future",
                    f"periodes.{i}.fin",
                    f"la période {periode} n'est pas encore écoulée le "
                    f"{contexte.aujourd_hui.isoformat()} : une enquête porte sur des périodes "
                    "passées manquantes au relevé de carrière",
                )
            )
        for j in range(i):
            if periode.fin >= periode.debut and periodes[j].chevauche(periode):
                manquements.append(
                    Manquement(
                        "periodes_chevauchantes",
                        f"periodes.{i}",
                        f"la période {periode} recouvre la période {periodes[j]} (periodes.{j}) : "
                        "chaque jour n'est demandé qu'une fois",
                    )
                )
                break
    return manquements


# --- rules of the answer ------------------------------------------------------------------


def _periodes_de_la_demande(contexte: ContexteValidation) -> list[tuple[str, str]] | None:
    donnees = contexte.demande_donnees
    if donnees is None or not isinstance(donnees.get("periodes"), list):
        return None
    return [(str(p.get("debut")), str(p.get("fin"))) for p in donnees["periodes"] if isinstance(p, dict)]


def regle_periodes_repondues(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """The answer covers exactly the periods asked: each once, none forgotten, none added."""
    demandees = _periodes_de_la_demande(contexte)
    if demandees is None:
        return []
    resultats = cast("ReponseAvpf", modele).resultats
    manquements = []
    vues: Counter[tuple[str, str]] = Counter()
    for i, resultat in enumerate(resultats):
        cle = resultat.periode.cle
        vues[cle] += 1
        if cle not in demandees:
            manquements.append(
                Manquement(
                    "periode_non_demandee",
                    f"resultats.{i}.periode",
                    f"la période {resultat.periode} n'a pas été demandée par l'enquête : "
                    "reprendre à l'identique (debut, fin) chaque période de l'enquête",
                )
            )
        elif vues[cle] == 2:
            manquements.append(
                Manquement(
                    "periode_repondue_deux_fois",
                    f"resultats.{i}.periode",
                    f"la période {resultat.periode} a déjà un résultat : un seul par période demandée",
                )
            )
    oubliees = [f"du {debut} au {fin}" for debut, fin in demandees if (debut, fin) not in vues]
    if oubliees:
        manquements.append(
            Manquement(
                "periode_non_repondue",
                "resultats",
                f"{len(oubliees)} période(s) demandée(s) sans résultat : {', '.join(oubliees)} ; "
                "répondre pour chacune (affiliation_avpf false si aucune période n'est trouvée)",
            )
        )
    return manquements


def regle_affiliations(
    definition: DefinitionFlux, modele: Enveloppe, contexte: ContexteValidation
) -> list[Manquement]:
    """``affiliation_avpf`` and the spans agree, and every span lies inside the period asked
    (only what was asked is sent: minimisation)."""
    manquements = []
    for i, resultat in enumerate(cast("ReponseAvpf", modele).resultats):
        ici = f"resultats.{i}"
        if resultat.affiliation_avpf and not resultat.periodes_avpf:
            manquements.append(
                Manquement(
                    "periode_avpf_manquante",
                    f"{ici}.periodes_avpf",
                    "affiliation_avpf vaut true : donner la ou les périodes d'affiliation et la "
                    "prestation qui les a ouvertes",
                )
            )
        if not resultat.affiliation_avpf and resultat.periodes_avpf:
            manquements.append(
                Manquement(
                    "champ_incompatible",
                    f"{ici}.periodes_avpf",
                    "affiliation_avpf vaut false (aucune période trouvée) : periodes_avpf doit être vide",
                )
            )
        spans = [(f"{ici}.periodes_avpf.{j}", p) for j, p in enumerate(resultat.periodes_avpf)]
        manquements.extend(periodes_inversees([(f"{ici}.periode", resultat.periode), *spans]))
        for chemin, periode in spans:
            if periode.fin >= periode.debut and not resultat.periode.contient(periode):
                manquements.append(
                    Manquement(
                        "periode_hors_demande",
                        chemin,
                        f"la période d'affiliation {periode} déborde la période demandée "
                        f"{resultat.periode} : la restreindre aux jours demandés",
                    )
                )
    return manquements


# --- the models ---------------------------------------------------------------------------


class EnqueteAvpf(Enveloppe):
    """Carsat → pivot CAF AVPF: periods that look missing, and why the Carsat asks."""

    regles_du_flux: ClassVar[tuple[Regle, ...]] = (regle_motif_avpf, regle_periodes_demandees)

    nir_assure: Nir = champ(
        "NIRAssuré",
        "NIR de l'assuré dont la carrière est en cause : 15 caractères (13 et une clé de 2 "
        "chiffres), sans espace ; les numéros temporaires (NIA) sont refusés",
    )
    nom_assure: Nom = champ("NomAssuré", "nom de naissance de l'assuré")
    prenoms_assure: Nom = champ("PrénomsAssuré", "prénoms de l'assuré, dans l'ordre de l'état civil")
    nom_marital_assure: Nom | None = champ(
        "NomMaritalAssuré", "nom marital ou d'usage, s'il aide la CAF à retrouver le dossier", default=None
    )
    date_naissance: Date = champ("DateNaissance", "date de naissance (AAAA-MM-JJ)")
    departement: Departement = champ(
        "Département",
        "département de résidence de l'assuré : désigne la CAF pivot AVPF qui traite "
        "l'enquête (table de mutualisation de la passerelle) ; ne pas nommer de destinataire",
    )
    periodes: list[Periode] = champ(
        "Périodes",
        "périodes en cause (jours de début et de fin inclus ; une année entière : du 01-01 au "
        "12-31), passées, sans chevauchement ; 1 à 50",
        min_length=1,
        max_length=MAX_PERIODES,
    )
    motif: CodeMotif = champ(
        "Motif",
        "motif de l'enquête : un des cas de la procédure commune Cnaf-Cnav, code de la liste "
        "publiée par la passerelle (config/regles/motifs-avpf.yaml)",
    )

    @classmethod
    def version_des_regles(cls, contexte: ContexteValidation) -> str | None:
        """The motives list version, recorded with the decision like the legal-age table's."""
        return f"motifs-avpf {contexte.motifs_avpf.version}" if contexte.motifs_avpf else None


class PeriodeAvpf(Periode):
    """Période d'affiliation à l'AVPF trouvée par la CAF, et la prestation qui l'a ouverte."""

    prestation: PrestationAvpf = champ("Prestation", "prestation qui a ouvert l'affiliation à l'AVPF")


class ResultatPeriode(BaseModel):
    """Résultat de la CAF pour une période demandée."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    periode: Periode = champ(
        "PériodeDemandée", "la période de l'enquête à laquelle ce résultat répond, reprise à l'identique"
    )
    affiliation_avpf: Booleen = champ(
        "AffiliationAVPF", "true si une affiliation à l'AVPF existe sur tout ou partie de la période ; false : aucune période trouvée"
    )
    periodes_avpf: list[PeriodeAvpf] = champ(
        "PériodesAVPF",
        "périodes d'affiliation trouvées, comprises dans la période demandée, avec leur "
        "prestation ; vide quand affiliation_avpf vaut false",
        default_factory=list,
        max_length=MAX_PERIODES,
    )


class ReponseAvpf(Enveloppe):
    """Pivot CAF → Carsat: one result per period asked (answers an enquete-avpf)."""

    regles_du_flux: ClassVar[tuple[Regle, ...]] = (regle_periodes_repondues, regle_affiliations)

    nir_assure: Nir = champ(
        "NIRAssuré",
        "NIR de l'assuré de l'enquête : la passerelle vérifie que c'est celui de l'enquête à "
        "laquelle ce message répond",
    )
    resultats: list[ResultatPeriode] = champ(
        "Résultats", "un résultat par période demandée, ni plus ni moins", min_length=1, max_length=MAX_PERIODES
    )
