"""RFC 9421 section 2.5: the exact bytes an Ed25519 signature is computed over.

Signer and verifier must rebuild the same bytes from the message independently; any leniency
here (guessing a missing header, accepting a parameter we do not implement) would let two
different messages share one signature base. So this module supports a deliberately small set
of components and refuses everything else with a precise code instead of approximating it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import http_sf

from passerelle.erreurs import RefusAuthentification

# Derived components we can compute from a request as the gateway receives it (RFC 9421 2.2).
DERIVES_REQUETE = frozenset(
    {"@method", "@path", "@query", "@authority", "@scheme", "@target-uri", "@request-target"}
)
DERIVES_REPONSE = frozenset({"@status"})

# RFC 9110 field-name (token), lowercase only: RFC 9421 2.1 requires lowercase identifiers.
_NOM_CHAMP = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+")
_PORTS_PAR_DEFAUT = {"https": "443", "http": "80"}


@dataclass(frozen=True)
class MessageHttp:
    """An HTTP message as received, before any decoding, so the base is rebuilt from the wire.

    ``chemin`` is the raw percent-encoded path and ``requete`` the raw query without ``?``
    (an absent query and an empty one are both ``""``: RFC 9421 gives both the ``@query``
    value ``?``; ``@target-uri`` then has no ``?``). ``statut`` set means a response. Header names are lowercased on
    construction, so a caller's capitalisation can never hide a covered field.
    """

    methode: str
    chemin: str
    requete: str
    entetes: Mapping[str, str]
    statut: int | None = None
    autorite: str | None = None
    schema: str = "https"

    def __post_init__(self) -> None:
        minuscules: dict[str, str] = {}
        for nom, valeur in self.entetes.items():
            cle = nom.lower()
            if cle in minuscules:
                raise ValueError(f"en-tête « {cle} » fourni deux fois : combinez ses valeurs")
            minuscules[cle] = valeur
        object.__setattr__(self, "entetes", MappingProxyType(minuscules))

    @property
    def est_reponse(self) -> bool:
        return self.statut is not None


def refuser_doublon(cle: str, contexte: str) -> None:
    """``on_duplicate_key`` for http_sf: RFC 8941 keeps the last duplicate silently; an
    attacker appending a second ``sig1`` or ``created`` must not choose which one is read."""
    raise ValueError(f"clé « {cle} » répétée ({contexte})")


def lire_composant(identifiant: str) -> tuple[str, dict[str, Any]]:
    """Accept a bare name (``content-type``) or its serialized form (``"@path";req``)."""
    if not identifiant.startswith('"'):
        return identifiant, {}
    try:
        valeur, parametres = http_sf.parse(  # type: ignore[misc]
            identifiant.encode("ascii"), tltype="item", on_duplicate_key=refuser_doublon
        )
    except (ValueError, UnicodeEncodeError) as erreur:
        raise RefusAuthentification(
            "signature_malformee", f"Identifiant de composant illisible : {identifiant!r}."
        ) from erreur
    if type(valeur) is not str:
        raise RefusAuthentification(
            "signature_malformee",
            f"Un composant couvert doit être une chaîne entre guillemets : {identifiant!r}.",
        )
    return valeur, dict(parametres)


def nom_serialise(nom: str, parametres: Mapping[str, Any] | None = None) -> str:
    """Component identifier as it appears in Signature-Input and in the base (``"@method"``)."""
    if not parametres:
        return _nom_sans_parametre(nom)
    return http_sf.ser((nom, dict(parametres)))


@functools.lru_cache(maxsize=256)
def _nom_sans_parametre(nom: str) -> str:
    # The same handful of names on every request: serialised once (it was a tenth of the
    # accept path's CPU).
    return http_sf.ser((nom, {}))


def _controler_nom(nom: str, parametres: Mapping[str, Any], reponse: bool) -> None:
    if parametres:
        liste = ", ".join(f";{cle}" for cle in parametres)
        raise RefusAuthentification(
            "composant_non_supporte",
            f"Le composant « {nom} » porte le(s) paramètre(s) {liste}, non pris en charge par la "
            "passerelle : couvrez le champ ou le composant dérivé sans paramètre.",
        )
    if nom.startswith("@"):
        if nom == "@status" and not reponse:
            raise RefusAuthentification(
                "composant_non_supporte",
                "Le composant « @status » n'existe que dans la signature d'une réponse.",
            )
        if nom in DERIVES_REQUETE and reponse:
            raise RefusAuthentification(
                "composant_non_supporte",
                f"Le composant « {nom} » d'une requête ne peut pas être couvert par la signature "
                "d'une réponse (le paramètre ;req n'est pas pris en charge).",
            )
        if nom not in DERIVES_REQUETE | DERIVES_REPONSE:
            pris = ", ".join(sorted(DERIVES_REQUETE | DERIVES_REPONSE))
            raise RefusAuthentification(
                "composant_non_supporte",
                f"Le composant dérivé « {nom} » n'est pas pris en charge ; composants dérivés "
                f"acceptés : {pris}.",
            )
        return
    if not _NOM_CHAMP.fullmatch(nom):
        raise RefusAuthentification(
            "composant_non_supporte",
            f"« {nom} » n'est pas un nom de champ HTTP en minuscules (RFC 9421, section 2.1).",
        )


def _autorite_brute(message: MessageHttp, nom: str) -> str:
    if not message.autorite or not message.autorite.strip():
        raise RefusAuthentification(
            "composant_absent", f"Le composant « {nom} » est couvert mais l'hôte est inconnu."
        )
    return message.autorite.strip()


def _autorite(message: MessageHttp) -> str:
    autorite = _autorite_brute(message, "@authority").lower()
    hote, separateur, port = autorite.rpartition(":")
    if separateur and port == _PORTS_PAR_DEFAUT.get(message.schema.lower()):
        return hote  # RFC 9421 2.2.3: the default port is not part of the normalised authority
    return autorite


def _valeur_derivee(message: MessageHttp, nom: str) -> str:
    chemin = message.chemin or "/"  # RFC 9421 2.2.6: an empty path is "/"
    suffixe = f"?{message.requete}" if message.requete else ""
    if nom == "@method":
        return message.methode
    if nom == "@path":
        return chemin
    if nom == "@query":
        return f"?{message.requete}"  # RFC 9421 2.2.7: "?" alone when there is no query
    if nom == "@authority":
        return _autorite(message)
    if nom == "@scheme":
        return message.schema.lower()
    if nom == "@target-uri":
        # RFC 9421 2.2.2 takes the target URI as reconstructed (RFC 9110 7.1): unlike
        # @authority, its authority is not normalised.
        return f"{message.schema.lower()}://{_autorite_brute(message, nom)}{chemin}{suffixe}"
    if nom == "@request-target":
        return f"{chemin}{suffixe}"
    if nom == "@status":
        return f"{message.statut:03d}"
    raise AssertionError(nom)  # _controler_nom already refused anything else


def _valeur_champ(message: MessageHttp, nom: str) -> str:
    valeur = message.entetes.get(nom)
    if valeur is None:
        raise RefusAuthentification(
            "composant_absent",
            f"Le champ « {nom} » est couvert par la signature mais absent de la requête.",
        )
    return valeur.strip(" \t")  # RFC 9421 2.1: leading and trailing whitespace removed


# Visible US-ASCII, space and tab: the one alphabet a component value may use.
_VALEUR_TRANSPORTABLE = re.compile(r"[\t -~]*")


def _controler_valeur(nom: str, valeur: str) -> None:
    """Fail rather than sign something that does not survive the trip as US-ASCII text."""
    if _VALEUR_TRANSPORTABLE.fullmatch(valeur) is None:
        raise RefusAuthentification(
            "composant_non_supporte",
            f"La valeur du composant « {nom} » contient des caractères non ASCII ou de "
            "contrôle : elle ne peut pas entrer dans la base de signature.",
        )


def valeur_composant(message: MessageHttp, nom: str, parametres: Mapping[str, Any]) -> str:
    """Value of one covered component, or a refusal saying why it cannot be computed."""
    _controler_nom(nom, parametres, message.est_reponse)
    valeur = _valeur_derivee(message, nom) if nom.startswith("@") else _valeur_champ(message, nom)
    _controler_valeur(nom, valeur)
    return valeur


def serialiser_parametres(composants: Sequence[tuple[str, Mapping[str, Any]]],
                          parametres: Mapping[str, Any]) -> str:
    """``@signature-params`` value: the covered list with its signature parameters.

    Serialised as RFC 8941 4.1.1.1 writes an inner list: the list, then its parameters. The
    list of names alone (no component parameter: the only kind accepted) is the same on every
    request of a client, and is serialised once."""
    noms = tuple(nom for nom, p in composants if not p and type(nom) is str)
    if len(noms) < len(composants):
        membre = ([(nom, dict(p)) for nom, p in composants], dict(parametres))
        return http_sf.ser({"p": membre})[len("p="):]
    return _liste_de_noms(noms) + http_sf.ser({"p": ([], dict(parametres))})[len("p=()"):]


@functools.lru_cache(maxsize=256)
def _liste_de_noms(noms: tuple[str, ...]) -> str:
    return http_sf.ser({"p": (list(noms), {})})[len("p="):]


Couverts = tuple[tuple[str, dict[str, Any]], ...]


def lire_parametres(parametres: str) -> tuple[str, list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """Re-serialize a received ``@signature-params`` value (RFC 9421 3.2 step 5).

    Returns the canonical text, the covered components and the signature parameters.
    """
    canonique, composants, valeurs = _lire_parametres(parametres)
    return canonique, [(nom, dict(p)) for nom, p in composants], dict(valeurs)


@functools.lru_cache(maxsize=64)
def _lire_parametres(parametres: str) -> tuple[str, Couverts, dict[str, Any]]:
    # Cached per text (a signer reads its own value back); copies are handed out so the cache
    # cannot be altered.
    try:
        dictionnaire = http_sf.parse(
            f"p={parametres.strip(' ')}".encode("ascii"),
            tltype="dictionary",
            on_duplicate_key=refuser_doublon,
        )
    except (ValueError, UnicodeEncodeError) as erreur:
        raise RefusAuthentification(
            "signature_malformee", f"Paramètres de signature illisibles : {erreur}."
        ) from erreur
    assert isinstance(dictionnaire, dict)
    if list(dictionnaire) != ["p"]:
        raise RefusAuthentification("signature_malformee", _LISTE_ATTENDUE)
    return parametres_de_signature(dictionnaire["p"])


_LISTE_ATTENDUE = (
    "Les paramètres de signature doivent être une liste interne, p. ex. "
    '("@method" "@path");created=...;keyid="...".'
)


def parametres_de_signature(membre: object) -> tuple[str, Couverts, dict[str, Any]]:
    """From one parsed Signature-Input member: its canonical text (the ``@signature-params``
    line), the covered components and the signature parameters — serialised once."""
    if not isinstance(membre, tuple) or not isinstance(membre[0], list):
        raise RefusAuthentification("signature_malformee", _LISTE_ATTENDUE)
    composants: list[tuple[str, dict[str, Any]]] = []
    for element in membre[0]:
        valeur, params = element if isinstance(element, tuple) else (element, {})
        if type(valeur) is not str:
            raise RefusAuthentification(
                "signature_malformee",
                "Chaque composant couvert doit être une chaîne entre guillemets, "
                f"p. ex. \"@method\" ; reçu : {http_sf.ser(element)}.",
            )
        composants.append((valeur, dict(params)))
    return serialiser_parametres(composants, membre[1]), tuple(composants), dict(membre[1])


def construire_base(message: MessageHttp, composants: Sequence[str], parametres: str) -> bytes:
    """Signature base of RFC 9421 section 2.5, or a refusal; never a best guess.

    ``composants`` must be exactly the covered list of ``parametres``: the last line signs
    that list, the other lines are computed from this one, and they must not disagree.
    """
    canonique, couverts, _ = _lire_parametres(parametres)
    demandes = tuple(lire_composant(identifiant) for identifiant in composants)
    if demandes != couverts:
        raise ValueError("les composants ne sont pas ceux de la liste des paramètres de signature")
    return base_de_signature(message, couverts, canonique)


def base_de_signature(message: MessageHttp, couverts: Couverts, canonique: str) -> bytes:
    """The base from a list already read with its canonical ``@signature-params`` text (both
    from ``parametres_de_signature`` or ``serialiser_parametres`` on the same list)."""
    lignes: list[str] = []
    vus: set[str] = set()
    for nom, params in couverts:
        identifiant = nom_serialise(nom, params)
        if identifiant in vus:
            raise RefusAuthentification(
                "signature_malformee",
                f"Le composant {identifiant} est couvert deux fois (RFC 9421, section 2.5).",
            )
        vus.add(identifiant)
        lignes.append(f"{identifiant}: {valeur_composant(message, nom, params)}")
    lignes.append(f'"@signature-params": {canonique}')
    return "\n".join(lignes).encode("ascii")
