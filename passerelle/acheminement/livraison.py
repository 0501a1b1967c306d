"""The delivery worker: outbox → destination connector → outcome, every attempt journaled.

Claiming (a short transaction with a lease), delivering (no transaction, no lock held while the
network is slow) and recording (a second short transaction) are separate on purpose: a crash
anywhere leaves the row claimable again once its lease runs out, so a message can be delivered
twice but never lost — and receivers dedupe by message id, which makes it once for the business.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

import structlog
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from connecteurs.base import Connecteur, MessageALivrer, Remise
from passerelle.acheminement.connecteurs import Connecteurs, ConnecteurIndisponible
from passerelle.annuaire.chargement import SourceAnnuaire
from passerelle.annuaire.modeles import PROFIL_PAR_DEFAUT
from passerelle.habilitations.conventions import Convention
from passerelle.habilitations.minimisation import remettre
from passerelle.journal.ecriture import Decision, Journal
from passerelle.reglages import Reglages
from passerelle.stockage import livraisons, messages
from passerelle.stockage.base import VerrouEcriture, lecture
from passerelle.stockage.chiffrement import Coffre
from passerelle.stockage.livraisons import LigneLivraison

journal_technique = structlog.get_logger("passerelle.livraison")


@dataclass(frozen=True)
class PolitiqueReessai:
    tentatives_max: int
    delai_base: float
    delai_max: float

    def prochaine(self, tentatives: int, instant: datetime, alea: Callable[[], float] = random.random) -> datetime | None:
        """Exponential backoff with jitter, so that a caisse coming back is not hit all at once."""
        if tentatives >= self.tentatives_max:
            return None
        plafond = min(self.delai_max, self.delai_base * 2 ** max(0, tentatives - 1))
        return instant + timedelta(seconds=plafond * (0.5 + 0.5 * alea()))


@dataclass(frozen=True)
class Livreur:
    """What the delivery worker uses: the database and its write lock, the clock, the journal,
    the at-rest keys (payloads are decrypted to be cut and pushed), the directory and the
    conventions (minimisation per delivery profile), and its settings (``livraison_*``)."""

    moteur: Engine
    ecriture: VerrouEcriture
    horloge: Callable[[], datetime]
    journal: Journal
    coffre: Coffre
    annuaire: SourceAnnuaire
    conventions: tuple[Convention, ...]
    reglages: Reglages


def politique(livreur: Livreur) -> PolitiqueReessai:
    r = livreur.reglages
    return PolitiqueReessai(r.livraison_tentatives_max, r.livraison_delai_base, r.livraison_delai_max)


def _reserver(livreur: Livreur, limite: int) -> list[LigneLivraison]:
    with livreur.ecriture, livreur.moteur.begin() as connexion:
        bail = timedelta(seconds=livreur.reglages.livraison_bail)
        return livraisons.reserver(connexion, livreur.horloge(), bail, limite)


@dataclass(frozen=True)
class Preparation:
    """One outbox row made ready for its connector — cut to the destination's delivery profile
    (minimisation), with what was withheld for the journal — or why it may not be pushed."""

    message: MessageALivrer | None
    retenu: dict[str, object] | None = None
    refus: str | None = None


def _charger(livreur: Livreur, lignes: Sequence[LigneLivraison]) -> list[MessageALivrer]:
    """The messages as their connector receives them (those it may receive)."""
    return [p.message for p in _preparer(livreur, lignes) if p.message is not None]


def _preparer(livreur: Livreur, lignes: Sequence[LigneLivraison]) -> list[Preparation]:
    annuaire = livreur.annuaire.actuel()
    with lecture(livreur.moteur) as connexion:
        resultat = []
        for ligne in lignes:
            message = messages.lire(connexion, ligne.message_id)
            assert message is not None  # the outbox row was written with it
            contenu = json.loads(livreur.coffre.dechiffrer(message.contenu, message.id.encode("ascii")))
            destination = annuaire.organisme(message.destinataire)
            profil = destination.profil_livraison if destination else PROFIL_PAR_DEFAUT
            part = remettre(
                livreur.conventions, annuaire.organismes, convention=message.convention, flux=message.flux,
                emetteur=message.emetteur, destinataire=message.destinataire, profil=profil, contenu=contenu,
            )
            if not part.visible:
                resultat.append(Preparation(None, refus=(
                    f"le profil de livraison {profil} de {message.destinataire} n'est pas habilité à recevoir le "
                    f"flux {message.flux} (convention {message.convention}): régler profil_livraison dans "
                    "l'annuaire ou faire lire ce flux par une clé habilitée, puis relancer la livraison"
                )))
                continue
            resultat.append(Preparation(
                MessageALivrer(
                    id=message.id,
                    flux=message.flux,
                    emetteur=message.emetteur,
                    destinataire=message.destinataire,
                    recu_le=message.recu_le,
                    en_reponse_a=message.en_reponse_a,
                    reference=message.reference,
                    journal_index=message.journal_index,
                    empreinte=message.empreinte,
                    contenu=part.contenu,
                ),
                retenu=part.retenu,
            ))
        return resultat


def _journaliser(livreur: Livreur, connexion: Connection, ligne: LigneLivraison, decision: str,
                 code: str | None, details: dict[str, object]) -> None:
    message = messages.lire(connexion, ligne.message_id)
    assert message is not None
    livreur.journal.ecrire(
        connexion,
        Decision(
            decision=decision,
            code=code,
            horodatage=livreur.horloge(),
            flux=message.flux,
            message=message.id,
            destinataire=message.destinataire,
            nir_index=message.nir_index,
            empreinte=message.empreinte,
            details={"emetteur": message.emetteur, "connecteur": ligne.connecteur, "tentative": ligne.tentatives, **details},
        ),
    )


def noter_remises(
    livreur: Livreur,
    lignes: Sequence[LigneLivraison],
    remises: Sequence[Remise],
    retenus: Mapping[str, dict[str, object]] | None = None,
) -> None:
    """Record each outcome in one transaction: delivered, retry later, or dead letter.
    ``retenus``: per message id, what minimisation withheld (journaled with the delivery)."""
    regle = politique(livreur)
    with livreur.ecriture, livreur.moteur.begin() as connexion:
        instant = livreur.horloge()
        for ligne, remise in zip(lignes, remises, strict=True):
            if remise.livre:
                if not livraisons.noter_livree(connexion, ligne.message_id, instant, remise.accuse, ligne.tentatives):
                    journal_technique.info("livraison_reprise_ailleurs", connecteur=ligne.connecteur)
                    continue  # its lease ran out and another worker took it: that one records it
                messages.noter_livre(connexion, ligne.message_id)
                retenu = (retenus or {}).get(ligne.message_id)
                _journaliser(livreur, connexion, ligne, "livre", None,
                             {**({"accuse": remise.accuse} if remise.accuse else {}), **({"retenu": retenu} if retenu else {})})
                continue
            prochaine = None if remise.definitif else regle.prochaine(ligne.tentatives, instant)
            if prochaine is not None and remise.reessayer_apres:
                prochaine = max(prochaine, instant + timedelta(seconds=remise.reessayer_apres))
            statut = livraisons.noter_echec(connexion, ligne.message_id, remise.detail, prochaine, ligne.tentatives)
            if statut is None:
                journal_technique.info("livraison_reprise_ailleurs", connecteur=ligne.connecteur)
                continue
            if statut == livraisons.MORTE:
                _journaliser(livreur, connexion, ligne, "mort", "livraison_abandonnee", {"erreur": remise.detail})
            else:
                assert prochaine is not None
                _journaliser(livreur, connexion, ligne, "echec_livraison", "livraison_echouee",
                             {"erreur": remise.detail, "prochaine_tentative": prochaine.isoformat()})


async def _livrer_au_connecteur(connecteur: Connecteur, lot: Sequence[MessageALivrer]) -> list[Remise]:
    try:
        remises = await connecteur.livrer(lot)
    except Exception as exc:  # noqa: BLE001 — a connector bug must not stop other destinations
        journal_technique.exception("connecteur_en_erreur", connecteur=connecteur.nom)
        return [Remise(livre=False, detail=f"erreur interne du connecteur {connecteur.nom}: {type(exc).__name__}")] * len(lot)
    if len(remises) != len(lot):
        return [Remise(livre=False, detail=f"le connecteur {connecteur.nom} a rendu {len(remises)} résultats pour {len(lot)} messages")] * len(lot)
    return list(remises)


async def livrer_une_fois(livreur: Livreur, connecteurs: Connecteurs) -> int:
    """One round: claim what is due, deliver per destination, record. Returns the rows handled."""
    reservees = await run_in_threadpool(_reserver, livreur, livreur.reglages.livraison_lot)
    annuaire = livreur.annuaire.actuel()
    for destinataire, groupe in groupby(sorted(reservees, key=lambda l: l.destinataire), key=lambda l: l.destinataire):
        lignes = list(groupe)
        organisme = annuaire.organisme(destinataire)
        try:
            if organisme is None:
                raise ConnecteurIndisponible(f"{destinataire} n'est plus dans l'annuaire")
            connecteur = connecteurs.pour(organisme)
        except ConnecteurIndisponible as exc:
            await run_in_threadpool(noter_remises, livreur, lignes, [Remise(livre=False, detail=str(exc))] * len(lignes))
            continue
        preparees = await run_in_threadpool(_preparer, livreur, lignes)
        refusees = [(ligne, p) for ligne, p in zip(lignes, preparees, strict=True) if p.message is None]
        if refusees:  # never pushed to a system whose profile may not receive them: visibly dead
            await run_in_threadpool(noter_remises, livreur, [ligne for ligne, _ in refusees],
                                    [Remise(livre=False, definitif=True, detail=p.refus or "") for _, p in refusees])
        gardees = [(ligne, p) for ligne, p in zip(lignes, preparees, strict=True) if p.message is not None]
        lignes = [ligne for ligne, _ in gardees]
        a_livrer = [p.message for _, p in gardees if p.message is not None]
        retenus = {p.message.id: p.retenu for _, p in gardees if p.message is not None and p.retenu}
        taille = max(1, connecteur.livraison_par_lot)
        for debut in range(0, len(lignes), taille):
            lot_lignes, lot = lignes[debut : debut + taille], a_livrer[debut : debut + taille]
            remises = await _livrer_au_connecteur(connecteur, lot)
            await run_in_threadpool(noter_remises, livreur, lot_lignes, remises, retenus)
    return len(reservees)


def noter_accuses(livreur: Livreur, organisme: str, accuses: Sequence[tuple[str, str, str]]) -> int:
    """Apply a caisse's acknowledgement files; idempotent, as files may be read twice."""
    appliques = 0
    with livreur.ecriture, livreur.moteur.begin() as connexion:
        instant = livreur.horloge()
        for message_id, statut, detail in accuses:
            message = messages.lire(connexion, message_id)
            if message is None or message.destinataire != organisme:
                journal_technique.warning("accuse_inconnu", organisme=organisme)
                continue
            if statut == "accepte":
                if not messages.acquitter(connexion, message_id, organisme, instant, f"accuse-fichier:{organisme}"):
                    continue
                decision, code = "acquitte", None
            else:
                if not messages.noter_rejete(connexion, message_id):
                    continue
                decision, code = "rejete_par_destinataire", "rejete_par_destinataire"
            livreur.journal.ecrire(connexion, Decision(
                decision=decision, code=code, horodatage=instant, flux=message.flux, message=message_id,
                organisme=organisme, destinataire=organisme, agent=f"accuse-fichier:{organisme}",
                nir_index=message.nir_index, empreinte=message.empreinte,
                details={"emetteur": message.emetteur, **({"motif": detail[:200]} if detail and code else {})},
            ))
            appliques += 1
    return appliques


async def relever_accuses(livreur: Livreur, connecteurs: Connecteurs) -> int:
    """Read back the acknowledgement files of every destination whose connector has them."""
    total = 0
    for organisme in livreur.annuaire.actuel().organismes.values():
        if organisme.connecteur == "boite":
            continue
        try:
            connecteur = connecteurs.pour(organisme)
        except ConnecteurIndisponible:
            continue
        lire = getattr(connecteur, "lire_accuses", None)
        if lire is None:
            continue
        try:
            accuses = await lire()
        except Exception:  # noqa: BLE001 — the server may be down; the files stay for next time
            journal_technique.warning("accuses_illisibles", organisme=organisme.code)
            continue
        if accuses:
            total += await run_in_threadpool(noter_accuses, livreur, organisme.code, [tuple(a) for a in accuses])
    return total


async def livrer_periodiquement(livreur: Livreur, connecteurs: Connecteurs) -> None:
    """The worker loop of a server process; several replicas may run it at once."""
    dernier_releve = 0.0
    boucle = asyncio.get_running_loop()
    while True:
        try:
            traitees = await livrer_une_fois(livreur, connecteurs)
            if boucle.time() - dernier_releve >= livreur.reglages.accuses_intervalle:
                dernier_releve = boucle.time()
                await relever_accuses(livreur, connecteurs)
        except Exception:  # noqa: BLE001 — the database may be briefly away; try again
            journal_technique.exception("livraison_cycle_en_erreur")
            traitees = 0
        if traitees == 0:
            await asyncio.sleep(livreur.reglages.livraison_intervalle)
