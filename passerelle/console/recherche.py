"""Search, timelines and export in the console.

A NIR is only ever sent by POST and never written back into a page, a link or a URL: once
searched, the person is carried from page to page by its blind index, in hidden fields, so it
lands in no access log, no browser history, no Referer.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection
from starlette.datastructures import FormData

from passerelle.auditeurs.consultation import (
    EntreeExposee,
    exporter_pour,
    rechercher_pour,
)
from passerelle.catalogue.nir import normaliser_nir
from passerelle.catalogue.texte import faute_texte
from passerelle.console.dates import lire as lire_date
from passerelle.console.pages import (
    Console,
    NonConnecte,
    agir,
    console,
    contexte_session,
    page_erreur,
    rendre,
    session_seule,
    vers_connexion,
)
from passerelle.console.session import Session
from passerelle.erreurs import ErreurChamp, Refus
from passerelle.journal.ecriture import Journal
from passerelle.journal.recherche import LONGUEUR_INDEXES, Criteres, Ordre, criteres
from passerelle.reception.transaction import Trace

router = APIRouter(prefix="/console", include_in_schema=False)

CHAMPS = ("organisme", "agent", "robot", "flux", "decision", "message", "du", "au")
DECISIONS = (
    "accepte", "refuse", "consulte", "acquitte", "consulte_journal", "recherche_auditeur", "export_auditeur",
    "connexion_auditeur", "rapprochement", "auditeur_cree", "auditeur_desactive",
)
LIMITE_PAGE = 50


def _texte(formulaire: FormData, nom: str, taille: int = 256) -> str:
    valeur = formulaire.get(nom)
    return valeur.strip()[:taille] if isinstance(valeur, str) else ""


def _fautes(formulaire: FormData, noms: tuple[str, ...]) -> list[ErreurChamp]:
    """The input boundary, as for a body: a NUL or a lone surrogate must not reach the query."""
    fautes = (faute_texte(_texte(formulaire, nom), nom) for nom in noms)
    return [f for f in fautes if f is not None]


def _instant(texte: str, champ: str, erreurs: list[ErreurChamp]) -> datetime | None:
    """Typed the French way (JJ/MM/AAAA [HH:MM[:SS]]) and read as UTC, as the form's labels say."""
    if not texte:
        return None
    try:
        return lire_date(texte)
    except ValueError:
        erreurs.append(ErreurChamp(champ, "date attendue: JJ/MM/AAAA, ou JJ/MM/AAAA HH:MM:SS (UTC)"))
        return None


def _criteres(journal: Journal, formulaire: FormData) -> tuple[Criteres, dict[str, str]]:
    """The criteria of a form, and the visible values to put back in it (never the NIR)."""
    valeurs = {nom: _texte(formulaire, nom) for nom in CHAMPS}
    erreurs = _fautes(formulaire, (*CHAMPS, "nir", "nir_index"))
    du = _instant(valeurs["du"], "du", erreurs)
    au = _instant(valeurs["au"], "au", erreurs)
    if erreurs:
        raise Refus(code="criteres_invalides", detail="un critère de recherche est invalide", erreurs=erreurs)
    nir_index = _texte(formulaire, "nir_index", LONGUEUR_INDEXES) if _texte(formulaire, "garder_personne") else ""
    choisis = criteres(
        journal,
        nir=_texte(formulaire, "nir", 32) or None,
        nir_index=nir_index or None,
        organisme=valeurs["organisme"] or None,
        agent=valeurs["agent"] or None,
        robot=valeurs["robot"] or None,
        flux=valeurs["flux"] or None,
        decision=valeurs["decision"] or None,
        message=valeurs["message"] or None,
        du=du,
        au=au,
        normaliser_nir=normaliser_nir,
    )
    return choisis, valeurs


def _caches(c: Criteres, valeurs: dict[str, str]) -> dict[str, str]:
    """Hidden fields that carry a search to its next page, its export or its timeline."""
    caches = {nom: valeur for nom, valeur in valeurs.items() if valeur}
    if c.nir_index:
        caches["nir_index"] = _personne(c) or ""
        caches["garder_personne"] = "1"
    return caches


def _personne(c: Criteres) -> str | None:
    """The person searched, as carried to the next form: their index under every key."""
    return ",".join(c.indexes) or None


def _vue(octets_index: list[tuple[int, bytes]]) -> list[dict[str, Any]]:
    return [{"index": i, "contenu": EntreeExposee(i, o).contenu()} for i, o in octets_index]


@router.get("/recherche")
async def formulaire_recherche(request: Request, console: Console = Depends(console)) -> Response:
    session = await session_seule(request, console)
    if session is None:
        return vers_connexion()
    contexte = contexte_session(
        console, session, "recherche", "Recherche dans le journal",
        valeurs={}, personne=None, resultats=None, decisions=DECISIONS, erreurs=[],
    )
    return rendre(request, "recherche.html", contexte)


@router.post("/recherche")
async def rechercher(request: Request, console: Console = Depends(console)) -> Response:
    formulaire = await request.form()
    ordre: Ordre = "asc" if _texte(formulaire, "ordre") == "asc" else "desc"
    curseur = _texte(formulaire, "curseur", 64) or None
    valeurs_vues: dict[str, str] = {nom: _texte(formulaire, nom) for nom in CHAMPS}

    def travail(connexion: Connection, session: Session, trace: Trace) -> dict[str, Any]:
        choisis, valeurs = _criteres(console.temoin.journal, formulaire)
        page = rechercher_pour(
            console.temoin, connexion, session.auditeur, choisis, canal="console", ordre=ordre, curseur=curseur,
            limite=LIMITE_PAGE,
        )
        return contexte_session(
            console, session, "recherche", "Recherche dans le journal",
            valeurs=valeurs, personne=_personne(choisis), decisions=DECISIONS, erreurs=[], ordre=ordre,
            resultats=_vue([(e.index, e.octets) for e in page.entrees]), curseur_suivant=page.curseur_suivant,
            caches=_caches(choisis, valeurs), suite=curseur is not None, vide=choisis.vide(),
        )

    try:
        contexte = await agir(request, console, "recherche", travail, jeton=_texte(formulaire, "jeton", 64))
    except NonConnecte:
        return vers_connexion()
    except Refus as refus:
        session = await session_seule(request, console)
        if session is None or refus.code != "criteres_invalides":
            return page_erreur(request, console, refus, session)
        contexte = contexte_session(
            console, session, "recherche", "Recherche dans le journal",
            valeurs=valeurs_vues, personne=None, resultats=None, decisions=DECISIONS, erreurs=refus.erreurs,
        )
        return rendre(request, "recherche.html", contexte, statut=400)
    return rendre(request, "recherche.html", contexte)


async def _chronologie(
    request: Request, console: Console, titre: str, choisis_de: Any, jeton: str | None, curseur: str | None
) -> Response:
    def travail(connexion: Connection, session: Session, trace: Trace) -> dict[str, Any]:
        choisis = choisis_de(console.temoin.journal)
        page = rechercher_pour(
            console.temoin, connexion, session.auditeur, choisis, canal="console", ordre="asc", curseur=curseur,
            limite=200, operation="chronologie",
        )
        return contexte_session(
            console, session, "chronologie", titre,
            entrees=_vue([(e.index, e.octets) for e in page.entrees]), curseur_suivant=page.curseur_suivant,
            caches=_caches(choisis, {"message": choisis.message or ""}), personne=_personne(choisis),
        )

    try:
        contexte = await agir(request, console, "chronologie", travail, jeton=jeton)
    except NonConnecte:
        return vers_connexion()
    except Refus as refus:
        return page_erreur(request, console, refus, await session_seule(request, console))
    return rendre(request, "chronologie.html", contexte)


@router.post("/chronologie")
async def chronologie_personne(request: Request, console: Console = Depends(console)) -> Response:
    """Every entry about one person (or one message), oldest first."""
    formulaire = await request.form()

    def choisis_de(journal: Journal) -> Criteres:
        fautes = _fautes(formulaire, ("nir", "nir_index", "message"))
        if fautes:
            raise Refus(code="criteres_invalides", detail="un critère de recherche est invalide", erreurs=fautes)
        c = criteres(
            journal,
            nir=_texte(formulaire, "nir", 32) or None,
            nir_index=_texte(formulaire, "nir_index", LONGUEUR_INDEXES) or None,
            message=_texte(formulaire, "message", 36) or None,
            normaliser_nir=normaliser_nir,
        )
        if c.nir_index is None and c.message is None:
            raise Refus(code="criteres_invalides", detail="une chronologie porte sur une personne ou un message")
        return c

    titre = "Chronologie de la personne" if _texte(formulaire, "nir_index") or _texte(formulaire, "nir") else "Chronologie du message"
    return await _chronologie(
        request, console, titre, choisis_de, _texte(formulaire, "jeton", 64), _texte(formulaire, "curseur", 64) or None
    )


@router.get("/messages/{message_id}")
async def chronologie_message(request: Request, message_id: str, console: Console = Depends(console)) -> Response:
    """A message id is no personal data: its timeline may be a plain link."""
    return await _chronologie(
        request, console, "Chronologie du message",
        lambda journal: criteres(journal, message=message_id[:36]),
        None, request.query_params.get("curseur"),
    )


COLONNES_EXPORT = (
    "index", "horodatage", "decision", "code", "flux", "message", "organisme", "destinataire", "cle", "agent",
    "robot", "nir", "empreinte", "convention",
)


@router.post("/export")
async def exporter(request: Request, console: Console = Depends(console)) -> Response:
    """CSV of every entry matching the search (oldest first); the export is itself journaled."""
    formulaire = await request.form()

    def travail(connexion: Connection, session: Session, trace: Trace) -> tuple[str, bool]:
        choisis, _ = _criteres(console.temoin.journal, formulaire)
        lues, tronque = exporter_pour(console.temoin, connexion, session.auditeur, choisis, canal="console")
        tampon = io.StringIO()
        ecrivain = csv.writer(tampon, delimiter=";", lineterminator="\r\n")
        ecrivain.writerow([*COLONNES_EXPORT, "feuille_sha256", "entree_rfc8785"])
        for e in lues:
            exposee = EntreeExposee(e.index, e.octets)
            contenu = exposee.contenu()
            ligne = [e.index] + [contenu.get(c, "") for c in COLONNES_EXPORT[1:]]
            ecrivain.writerow([*ligne, exposee.feuille.hex(), e.octets.decode("utf-8")])
        return tampon.getvalue(), tronque

    try:
        texte, tronque = await agir(request, console, "export", travail, jeton=_texte(formulaire, "jeton", 64))
    except NonConnecte:
        return vers_connexion()
    except Refus as refus:
        return page_erreur(request, console, refus, await session_seule(request, console))
    nom = console.horloge().strftime("journal-%Y%m%dT%H%M%SZ.csv")
    entetes = {
        "Content-Disposition": f'attachment; filename="{nom}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if tronque:
        entetes["Passerelle-Export-Tronque"] = "1"
    return Response(texte.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=entetes)
