"""Connector discovery through the ``passerelle.connecteurs`` entry-point group.

A caisse ships its own connector as a separate distribution declaring an entry point in this
group; the gateway never needs to be modified or forked for it. The entry point names a
factory ``Callable[[ContexteConnecteur], Connecteur]`` that validates its parameters at once,
so a bad directory entry fails when the connector is built, naming the organisme.
"""

from __future__ import annotations

import dataclasses
import re
from importlib.metadata import EntryPoint, entry_points

from pydantic import ValidationError

from connecteurs._parametres import erreurs_pydantic
from connecteurs.base import Connecteur, ContexteConnecteur
from connecteurs.erreurs import (
    ConnecteurInchargeable,
    ConnecteurInconnu,
    ErreurConnecteur,
    ParametresConnecteurInvalides,
)

__all__ = [
    "GROUPE",
    "ConnecteurInchargeable",
    "ConnecteurInconnu",
    "ErreurConnecteur",
    "ParametresConnecteurInvalides",
    "connecteurs_disponibles",
    "creer_connecteur",
]

GROUPE = "passerelle.connecteurs"
_NOM_TYPE = re.compile(r"[a-z][a-z0-9_-]{0,63}")


def connecteurs_disponibles() -> dict[str, EntryPoint]:
    """Installed connector types by name.

    Two distributions declaring the same name with different targets is refused rather than
    resolved by ``sys.path`` order: silently replacing the built-in ``http`` connector by
    whatever else is installed would be a supply-chain hole.
    """
    trouves: dict[str, EntryPoint] = {}
    for point in entry_points(group=GROUPE):
        deja = trouves.get(point.name)
        if deja is not None and deja.value != point.value:
            raise ErreurConnecteur(
                f"le connecteur « {point.name} » est déclaré deux fois, par "
                f"{_distribution(deja)} ({deja.value}) et par {_distribution(point)} "
                f"({point.value}) : désinstallez l'un des deux"
            )
        trouves.setdefault(point.name, point)
    return trouves


def _distribution(point: EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return getattr(dist, "name", None) or "une distribution inconnue"


def _sans_type(type_: str, contexte: ContexteConnecteur) -> ContexteConnecteur:
    """The directory writes ``connecteur: {type: http, ...}``; factories get the rest only."""
    if "type" not in contexte.parametres:
        return contexte
    if contexte.parametres["type"] != type_:
        raise ParametresConnecteurInvalides(
            contexte.organisme, type_, [("type", f"vaut « {contexte.parametres['type']} » pour un connecteur {type_}")]
        )
    reste = {cle: valeur for cle, valeur in contexte.parametres.items() if cle != "type"}
    return dataclasses.replace(contexte, parametres=reste)


def creer_connecteur(type_: str, contexte: ContexteConnecteur) -> Connecteur:
    """Build the connector of one organisme, or raise an ``ErreurConnecteur`` saying why."""
    if not isinstance(type_, str) or not _NOM_TYPE.fullmatch(type_):
        raise ConnecteurInconnu(contexte.organisme, str(type_), connecteurs_disponibles())
    disponibles = connecteurs_disponibles()
    point = disponibles.get(type_)
    if point is None:
        raise ConnecteurInconnu(contexte.organisme, type_, disponibles)
    try:
        fabrique = point.load()
    except Exception as exc:  # noqa: BLE001 — any import failure of third-party code
        raise ConnecteurInchargeable(
            contexte.organisme, type_, f"import de {point.value} impossible ({type(exc).__name__}: {exc})"
        ) from exc
    if not callable(fabrique):
        raise ConnecteurInchargeable(contexte.organisme, type_, f"{point.value} n'est pas appelable")
    try:
        connecteur = fabrique(_sans_type(type_, contexte))
    except ValidationError as exc:  # a third-party factory that did not wrap its own errors
        raise ParametresConnecteurInvalides(contexte.organisme, type_, erreurs_pydantic(exc)) from None
    if not isinstance(connecteur, Connecteur):
        raise ConnecteurInchargeable(
            contexte.organisme, type_,
            f"{point.value} a rendu un {type(connecteur).__name__}, qui n'implémente pas le protocole Connecteur",
        )
    return connecteur
