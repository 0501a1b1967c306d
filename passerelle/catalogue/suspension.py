"""The gateway's notice of a convention suspended on a breach (art. 3.3), or resumed: every
party of the convention and its national caisses get one, in their inbox or through their
connector, like any other message."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from passerelle.catalogue.champs import CodeOrganisme, champ
from passerelle.catalogue.signaux_retraite import Enveloppe


class EvenementConvention(StrEnum):
    SUSPENSION = "suspension"
    REPRISE = "reprise"


class AvisSuspension(Enveloppe):
    """Passerelle → the parties of a convention. Emitted by the gateway only: no convention lets
    an organisme send it."""

    evenement: EvenementConvention = champ("Evenement", "suspension de la convention, ou reprise des échanges")
    convention: str = champ("Convention", "identifiant de la convention")
    intitule: str = champ("Intitule", "intitulé de la convention")
    suspendue_le: datetime = champ("SuspendueLe", "instant de la suspension (RFC 3339, UTC)")
    reprise_le: datetime | None = champ("RepriseLe", "instant de la reprise (RFC 3339, UTC); absent pour une suspension", default=None)
    motif: str = champ("Motif", "le motif donné par qui a suspendu, ou repris")
    par: str = champ("Par", "qui a suspendu ou repris (agent de la caisse nationale, ou exploitant)")
    organisme: CodeOrganisme | None = champ("Organisme", "la caisse nationale qui a demandé; absent: l'exploitant", default=None)
    consequence: str = champ("Consequence", "ce que l'événement change, en clair")
