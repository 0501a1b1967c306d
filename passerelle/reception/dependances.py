"""What the request path uses, and nothing more: built once by the composition root
(``passerelle/services.py``), handed to the routes by ``api/dependances.py``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from datetime import datetime

from passerelle.annuaire.chargement import SourceAnnuaire
from passerelle.annuaire.mutualisation import TableMutualisation
from passerelle.catalogue.age_legal import TableAgeLegal
from passerelle.catalogue.avpf import MotifsAvpf
from passerelle.catalogue.registre import DefinitionFlux
from passerelle.habilitations.conventions import Convention
from passerelle.journal.ecriture import Journal
from passerelle.observabilite import Metriques
from passerelle.reception.refus import Journalisation
from passerelle.signature.contenu import CorpsHache
from passerelle.signature.signature import signer_reponse
from passerelle.stockage.chiffrement import Coffre
from passerelle.stockage.suspensions import SourceSuspensions
from passerelle.stockage.tampons import DossierTampons
from passerelle.stockage.transactions import Transactions

if TYPE_CHECKING:  # the consultation types are carried, never used, here: no import at run time
    from passerelle.consultations.registre import DefinitionConsultation

Horloge = Callable[[], datetime]


class ReglagesChemin(Protocol):
    """The few settings the request path reads (``passerelle/reglages.py`` describes them; the
    deployment's ``Reglages`` is passed as it is, read only)."""

    fenetre_signature: int
    derive_horloge: int
    taille_max_corps: int
    taille_max_lot: int
    lot_tranche: int
    consultation_delai: float


@dataclass(frozen=True)
class ReponseHttp:
    statut: int
    corps: bytes
    entetes: dict[str, str]


@dataclass(frozen=True)
class Signeur:
    """Signs the gateway's answers (RFC 9421: @status, content-type, content-digest), so the
    sender keeps proof of what was received and when."""

    cle: object  # Ed25519PrivateKey
    keyid: str
    horloge: Horloge

    def entetes(self, statut: int, entetes: dict[str, str], corps: bytes | CorpsHache) -> dict[str, str]:
        return signer_reponse(statut=statut, entetes=entetes, corps=corps, cle=self.cle,  # type: ignore[arg-type]
                              keyid=self.keyid, maintenant=int(self.horloge().timestamp()))

    def reponse(self, statut: int, contenu: Mapping[str, object]) -> ReponseHttp:
        corps = json.dumps(contenu, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        entetes = {"content-type": "application/json"}
        entetes.update(self.entetes(statut, entetes, corps))
        return ReponseHttp(statut, corps, {k.lower(): v for k, v in entetes.items()})


@dataclass(frozen=True)
class DependancesChemin:
    reglages: ReglagesChemin
    journalisation: Journalisation  # transactions, journal, metrics, clock
    annuaire: SourceAnnuaire
    catalogue: Mapping[str, DefinitionFlux]
    consultations: Mapping[str, DefinitionConsultation]
    conventions: tuple[Convention, ...]
    suspensions: SourceSuspensions  # art. 3.3, re-read at the directory's interval
    mutualisation: TableMutualisation
    table_age_legal: TableAgeLegal
    motifs_avpf: MotifsAvpf | None
    coffre: Coffre
    signeur: Signeur
    tampons: DossierTampons

    @property
    def transactions(self) -> Transactions:
        return self.journalisation.transactions

    @property
    def journal(self) -> Journal:
        return self.journalisation.journal

    @property
    def metriques(self) -> Metriques:
        return self.journalisation.metriques

    @property
    def horloge(self) -> Horloge:
        return self.journalisation.horloge
