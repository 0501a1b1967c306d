"""Dead letters: listed for the destination and the operator, re-driven on purpose."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from passerelle.erreurs import Conflit, Introuvable, citer
from passerelle.journal.ecriture import Decision, Journal, horodatage_texte
from passerelle.stockage import livraisons, messages
from passerelle.stockage.livraisons import LigneLivraison


def vue_livraison(ligne: LigneLivraison) -> dict[str, Any]:
    return {
        "message": ligne.message_id,
        "destinataire": ligne.destinataire,
        "connecteur": ligne.connecteur,
        "statut": ligne.statut,
        "tentatives": ligne.tentatives,
        "prochaine_tentative": horodatage_texte(ligne.prochaine_tentative)
        if ligne.statut in (livraisons.A_LIVRER, livraisons.ECHEC) else None,
        "derniere_erreur": ligne.derniere_erreur,
        "livre_le": horodatage_texte(ligne.livre_le) if ligne.livre_le else None,
    }


def relancer(connexion: Connection, message_id: str, *, journal: Journal, horloge: Callable[[], datetime], par: str,
             destinataire: str | None = None, agent: str | None = None, keyid: str | None = None) -> dict[str, Any]:
    """Re-drive one dead delivery; ``destinataire`` restricts it to that organisme's own."""
    ligne = livraisons.lire(connexion, message_id)
    if ligne is None or (destinataire is not None and ligne.destinataire != destinataire):
        raise Introuvable("livraison_inconnue", f"aucune livraison du message {citer(message_id)} n'est visible ici")
    instant = horloge()
    if not livraisons.relancer(connexion, message_id, instant):
        raise Conflit("livraison_non_morte", f"la livraison de {message_id} est « {ligne.statut} »: seule une livraison abandonnée se relance")
    message = messages.lire(connexion, message_id)
    assert message is not None
    journal.ecrire(
        connexion,
        Decision(
            decision="relance",
            horodatage=instant,
            flux=message.flux,
            message=message_id,
            organisme=destinataire,
            destinataire=message.destinataire,
            keyid=keyid,
            agent=agent or par,
            nir_index=message.nir_index,
            empreinte=message.empreinte,
            details={"par": par, "tentatives_precedentes": ligne.tentatives},
        ),
    )
    relue = livraisons.lire(connexion, message_id)
    assert relue is not None
    return vue_livraison(relue)
