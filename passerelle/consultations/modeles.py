"""The questions and answers of the synchronous consultations (convention 2019, art. 2.2, 2.4).

A question carries only what the destination needs to answer it (minimisation): the NIR and
the period or birth date that the purpose requires. An answer is held to its model as strictly
as a question (``extra="forbid"``): a destination cannot pass more personal data through the
gateway than the consultation type allows, and a malformed answer never reaches the caller.

Rules that need the day or the question (a period not in the future, an answer about the period
asked) are methods, ``manquements``, returning every fault at once like the flux rules.
Enum docstrings are in French: they are published in the OpenAPI document.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from passerelle.catalogue.age_legal import ajouter_mois
from passerelle.catalogue.champs import Booleen, CodeOrganisme, Date, champ, texte
from passerelle.catalogue.nir import Nir, nir_coherent_avec_naissance
from passerelle.erreurs import ErreurChamp

Reference = texte(64)


class DemandeConsultation(BaseModel):
    """What every question may carry besides its own fields."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    destinataire: CodeOrganisme | None = Field(
        default=None,
        title="destinataire",
        description="destinataire — code de l'organisme interrogé (par exemple « carsat-ra ») ; "
        "facultatif : sinon, l'organisme du type attendu qui couvre le territoire de l'émetteur",
    )
    reference: Reference | None = Field(
        default=None,
        title="reference",
        description="reference — référence du dossier chez l'émetteur (64 caractères au plus), "
        "rendue telle quelle dans la réponse",
    )

    def manquements(self, jour: date) -> list[ErreurChamp]:
        """Business rules beyond the model, on the day of the question; none by default."""
        return []


class ReponseConsultation(BaseModel):
    """What every answer is: only the fields of its model, nothing more."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def manquements(self, demande: DemandeConsultation) -> list[str]:
        """Why this answer cannot be the answer to ``demande``; none by default."""
        return []


# --- periodes-carriere: careers for PreParE / CLCA rights (art. 2.4) ----------------------------


class Prestation(StrEnum):
    """Prestation dont le droit s'apprécie : PreParE (prestation partagée d'éducation de
    l'enfant) ou CLCA (complément de libre choix d'activité, enfants nés avant 2015)."""

    PREPARE = "prepare"
    CLCA = "clca"


class NaturePeriode(StrEnum):
    """Nature de la période : activité salariée ou indépendante, ou période assimilée
    (chômage indemnisé, maladie-maternité, AVPF, service national, autre)."""

    ACTIVITE_SALARIEE = "activite_salariee"
    ACTIVITE_INDEPENDANTE = "activite_independante"
    CHOMAGE_INDEMNISE = "chomage_indemnise"
    MALADIE_MATERNITE = "maladie_maternite"
    AVPF = "avpf"
    SERVICE_NATIONAL = "service_national"
    AUTRE_ASSIMILEE = "autre_assimilee"


class Regime(StrEnum):
    """Régime de base qui a validé la période."""

    REGIME_GENERAL = "regime_general"
    MSA_SALARIES = "msa_salaries"
    MSA_NON_SALARIES = "msa_non_salaries"
    INDEPENDANTS = "independants"
    FONCTION_PUBLIQUE = "fonction_publique"
    AUTRE = "autre"


class TypeEmployeur(StrEnum):
    """Nature de l'employeur : entreprise privée, employeur public, particulier employeur ;
    sans objet pour une activité indépendante ou une période assimilée."""

    ENTREPRISE_PRIVEE = "entreprise_privee"
    EMPLOYEUR_PUBLIC = "employeur_public"
    PARTICULIER_EMPLOYEUR = "particulier_employeur"


ANNEES_MAX_PERIODE = 5  # the PreParE right looks back 2, 4 or 5 years (1, 2, 3+ children)


class DemandePeriodesCarriere(DemandeConsultation):
    nir_assure: Nir = champ("NIRAssuré", "NIR de la personne dont on demande les périodes")
    prestation: Prestation = champ("Prestation", "prestation dont le droit est examiné")
    du: Date = champ("Du", "premier jour de la période examinée (AAAA-MM-JJ)")
    au: Date = champ("Au", "dernier jour de la période examinée, inclus (AAAA-MM-JJ)")

    def manquements(self, jour: date) -> list[ErreurChamp]:
        erreurs = []
        if self.au < self.du:
            erreurs.append(ErreurChamp("au", "la fin de la période (au) précède son début (du)"))
        elif ajouter_mois(self.du, 12 * ANNEES_MAX_PERIODE) <= self.au:
            erreurs.append(ErreurChamp(
                "au",
                f"période de {ANNEES_MAX_PERIODE} ans au plus : le droit à la PreParE ou au CLCA "
                "s'apprécie sur les 2, 4 ou 5 dernières années, rien de plus n'est communiqué",
            ))
        if self.au > jour:
            erreurs.append(ErreurChamp("au", "période dans le futur : la carrière n'est connue que jusqu'à aujourd'hui"))
        return erreurs


class Periode(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    du: Date = champ("Du", "premier jour de la période")
    au: Date = champ("Au", "dernier jour de la période, inclus")
    nature: NaturePeriode = champ("Nature", "activité ou période assimilée")
    regime: Regime = champ("Régime", "régime de base qui a validé la période")
    type_employeur: TypeEmployeur | None = champ(
        "TypeEmployeur", "nature de l'employeur (activité salariée seulement)", default=None
    )
    trimestres: int = champ("Trimestres", "trimestres validés sur la période", ge=0, strict=True)

    @model_validator(mode="after")
    def _coherente(self) -> "Periode":
        if self.au < self.du:
            raise ValueError("la fin de la période (au) précède son début (du)")
        if self.trimestres > 4 * (self.au.year - self.du.year + 1):
            raise ValueError("plus de 4 trimestres validés par année civile de la période")
        return self


class SourceCarriere(StrEnum):
    """Référentiel des carrières interrogé : SNGC (système national de gestion des carrières)
    ou RGCU (répertoire de gestion des carrières unique, qui le remplace)."""

    SNGC = "sngc"
    RGCU = "rgcu"


class ReponsePeriodesCarriere(ReponseConsultation):
    periodes: list[Periode] = champ(
        "Périodes", "périodes d'activité ou assimilées qui recoupent la période demandée", max_length=200
    )
    source: SourceCarriere = champ("Source", "référentiel des carrières qui a répondu")

    def manquements(self, demande: DemandeConsultation) -> list[str]:
        assert isinstance(demande, DemandePeriodesCarriere)
        return [
            f"periodes.{i} : hors de la période demandée"
            for i, p in enumerate(self.periodes)
            if p.au < demande.du or p.du > demande.au
        ]


# --- statut-aspa: has an ASPA application been filed? (art. 2.2) -------------------------------

AGE_MIN_ASPA_MOIS = 64 * 12 + 6  # ASPA at 65: the CAF asks in the six months before, or after


class DemandeStatutAspa(DemandeConsultation):
    nir_assure: Nir = champ("NIRAssuré", "NIR de l'allocataire du RSA qui atteint 65 ans")
    date_naissance: Date = champ("DateNaissance", "date de naissance de l'allocataire (AAAA-MM-JJ)")

    def manquements(self, jour: date) -> list[ErreurChamp]:
        erreurs = []
        raison = nir_coherent_avec_naissance(self.nir_assure, self.date_naissance)
        if raison:
            erreurs.append(ErreurChamp("nir_assure", raison))
        if jour < ajouter_mois(self.date_naissance, AGE_MIN_ASPA_MOIS):
            erreurs.append(ErreurChamp(
                "date_naissance",
                "la consultation ASPA ne concerne que les personnes qui atteignent 65 ans : "
                "64 ans et 6 mois au moins le jour de la consultation",
            ))
        return erreurs


class StatutDemandeAspa(StrEnum):
    """Où en est la demande d'ASPA : en cours d'instruction, attribuée ou rejetée."""

    EN_COURS = "en_cours"
    ATTRIBUEE = "attribuee"
    REJETEE = "rejetee"


class ReponseStatutAspa(ReponseConsultation):
    demande_deposee: Booleen = champ("DemandeDéposée", "une demande d'ASPA a été déposée auprès de la Carsat")
    date_depot: Date | None = champ("DateDépôt", "date de réception de la demande (si déposée)", default=None)
    statut_demande: StatutDemandeAspa | None = champ("StatutDemande", "état de la demande (si déposée)", default=None)

    @model_validator(mode="after")
    def _coherente(self) -> "ReponseStatutAspa":
        if self.demande_deposee and self.date_depot is None:
            raise ValueError("demande déposée sans date_depot")
        if not self.demande_deposee and (self.date_depot is not None or self.statut_demande is not None):
            raise ValueError("date_depot et statut_demande ne se donnent que pour une demande déposée")
        return self
