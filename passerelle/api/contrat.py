"""The OpenAPI document: the wire contract, built from the same registries the gateway runs on.

One operation per flux (``/v1/flux/rdc``…), per batch flux (``/v1/lots/rdc``…) and per
consultation type (``/v1/consultations/statut-aspa``…), read from ``config/flux.yaml`` and
``config/consultations.yaml``: a code generator, or a fuzzer, gets the exact body of each one
(the flux body is the published ``schemas/<flux>.schema.json``), and a new flux gets its
operations without a line of code. The wire paths are those of CONTRACT.md: ``/v1/flux/{flux}``
with ``{flux}`` = ``rdc`` *is* ``/v1/flux/rdc``.

Every status an operation can answer is listed with its problem codes (an ``enum`` on ``code``:
a response with a code not listed does not conform to the document), from the families of
:mod:`passerelle.api.problemes`. FastAPI's default 422 is never kept: a malformed parameter is a
400 ``parametre_invalide`` (``problemes.installer``). 408 and 431 come from the HTTP server layer
(slow sender, oversized headers), like 414 (target too long), a 400 ``requete_malformee`` (bytes
that are not HTTP) and a 400 ``parametre_invalide`` for an address the gateway cannot carry (not
UTF-8, a control character): they can be answered for any path. Every operation that reads or
writes the database may answer 503 ``base_indisponible``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from passerelle.api import problemes as p
from passerelle.api.consultations import ReponseSignee
from passerelle.api.flux import Recu
from passerelle.catalogue.colonnes import SEPARATEUR_LISTE, colonnes
from passerelle.catalogue.registre import DefinitionFlux
from passerelle.consultations.registre import DefinitionConsultation
from passerelle.catalogue.schemas import generer_schema
from passerelle.erreurs import TYPE_PROBLEME

class Registres(Protocol):
    """What the document is built from: the flux register and the consultation register."""

    @property
    def catalogue(self) -> Mapping[str, DefinitionFlux]: ...

    @property
    def consultations(self) -> Mapping[str, DefinitionConsultation]: ...


REF = "#/components/schemas/"
NDJSON = "application/x-ndjson"
CSV = "text/csv"
TEXTE = "text/plain"
JSON = "application/json"

LIBELLES = {
    400: ("Requête mal formée", "Requête refusée"),
    401: ("Authentification refusée (signature, clé, nonce, empreinte ; jeton d'auditeur)", "Authentification refusée"),
    403: ("Échange non autorisé par les conventions, ou robot hors de son accord", "Échange non autorisé"),
    404: ("Inconnu ou non visible de l'appelant", "Ressource introuvable"),
    408: ("Requête trop lente à arriver (couche serveur HTTP)", "Requête refusée"),
    409: ("Conflit avec l'état courant", "Conflit"),
    413: ("Corps trop volumineux", "Corps trop volumineux"),
    414: ("Cible de la requête (chemin et paramètres) trop longue (couche serveur HTTP)", "Requête refusée"),
    415: ("Type de contenu non pris en charge", "Type de contenu non pris en charge"),
    422: ("Message invalide (lecture, schéma, règles métier, acheminement) ; chaque champ fautif est listé",
          "Message invalide"),
    429: ("Débit du robot dépassé ; attendre Retry-After secondes", "Débit dépassé"),
    431: ("En-têtes trop volumineux ou trop nombreux (couche serveur HTTP)", "Requête refusée"),
    500: ("Erreur interne : rien n'a été enregistré ; réessayer (re-signé, même Idempotency-Key)", "Erreur interne"),
    502: ("Réponse du destinataire invalide, ou refus du destinataire", "Échec de la consultation"),
    503: ("Service indisponible : base de données injoignable ou trop lente (réessayer après Retry-After, avec la "
          "même Idempotency-Key pour un envoi), ou destinataire d'une consultation indisponible", "Service indisponible"),
    504: ("Le destinataire n'a pas répondu dans le délai", "Délai de consultation dépassé"),
}
# Answered before routing, for any path: by the HTTP server layer (passerelle/serveur/) and by the
# address check of the ASGI layer (api/requetes.py, catalogue/texte.py).
COUCHE_SERVEUR: dict[int, tuple[str, ...]] = {
    400: ("requete_malformee", "parametre_invalide"),
    408: ("delai_entetes_depasse", "delai_corps_depasse"),
    414: ("uri_trop_longue",),
    431: ("entetes_trop_volumineux", "entetes_trop_nombreux"),
}


@dataclass(frozen=True)
class Acces:
    """Who calls an operation: a signed organisme, an auditor's bearer token, either, or anyone."""

    signature: bool
    auditeur: bool
    corps: bool = False  # a body is expected (its Content-Digest is then required)
    base: bool = True  # reads or writes the database: may answer 503 base_indisponible


PUBLIQUE = Acces(False, False, base=False)
PUBLIQUE_BASE = Acces(False, False)  # no caller to prove, but the database is read
SIGNEE = Acces(True, False)
SIGNEE_CORPS = Acces(True, False, corps=True)
SIGNEE_OU_AUDITEUR = Acces(True, True)
AUDITEUR = Acces(False, True)


@dataclass(frozen=True)
class Operation:
    acces: Acces
    problemes: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    parametres: bool = False  # query or path parameters whose malformation is a 400 parametre_invalide


def _problemes_de(operation: Operation) -> dict[int, tuple[str, ...]]:
    """The problem codes by status: those of its access mode, then its own."""
    codes: dict[int, list[str]] = {}

    def ajouter(statut: int, *liste: str) -> None:
        codes.setdefault(statut, [])
        codes[statut] += [c for c in liste if c not in codes[statut]]

    if operation.acces.signature:
        ajouter(400, "requete_malformee")
        ajouter(401, *p.AUTHENTIFICATION)
        ajouter(403, *p.ROBOT)
        ajouter(413, "corps_trop_volumineux")
        ajouter(429, *p.DEBIT)
    if operation.acces.auditeur:
        ajouter(401, *p.AUDITEUR)
    if operation.parametres:
        ajouter(400, "parametre_invalide")
    for statut, liste in COUCHE_SERVEUR.items():
        ajouter(statut, *liste)
    for statut, liste in operation.problemes.items():
        ajouter(statut, *liste)
    if operation.acces.base:
        ajouter(503, "base_indisponible")
    if operation.acces.signature or operation.acces.auditeur:
        ajouter(500, "erreur_interne")
    return {statut: tuple(liste) for statut, liste in sorted(codes.items())}


# The operations that FastAPI routes as they are written (the catalogue ones are below).
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("get", "/v1/boite"): Operation(SIGNEE, {400: ("curseur_invalide",)}, parametres=True),
    ("post", "/v1/boite/{message_id}/acquittement"): Operation(SIGNEE, {404: ("message_inconnu",)}),
    ("get", "/v1/messages/{message_id}"): Operation(SIGNEE, {404: ("message_inconnu",)}),
    ("get", "/v1/livraisons"): Operation(SIGNEE, parametres=True),
    ("post", "/v1/livraisons/{message_id}/relance"): Operation(
        SIGNEE, {404: ("livraison_inconnue",), 409: ("livraison_non_morte",)}),
    ("get", "/v1/journal/cle"): Operation(PUBLIQUE),
    ("get", "/v1/journal/checkpoint"): Operation(SIGNEE_OU_AUDITEUR, {404: ("checkpoint_absent",)}),
    ("get", "/v1/journal/preuves/inclusion"): Operation(
        SIGNEE_OU_AUDITEUR, {400: ("index_hors_arbre",), 409: ("taille_non_integree",)}, parametres=True),
    ("get", "/v1/journal/preuves/coherence"): Operation(
        SIGNEE_OU_AUDITEUR, {400: ("tailles_inversees",), 409: ("taille_non_integree",)}, parametres=True),
    ("get", "/v1/journal/entrees/{index}"): Operation(SIGNEE_OU_AUDITEUR, {404: ("entree_inconnue",)}, parametres=True),
    ("get", "/v1/journal/entrees"): Operation(
        AUDITEUR, {400: ("criteres_invalides", "curseur_invalide")}, parametres=True),
    ("get", "/v1/journal/tlog/checkpoint"): Operation(SIGNEE_OU_AUDITEUR, {404: ("checkpoint_absent",)}),
    ("get", "/v1/journal/tlog/tile/{chemin}"): Operation(
        SIGNEE_OU_AUDITEUR, {403: ("tuiles_entrees_reservees",), 404: ("tuile_inconnue",)}, parametres=True),
    ("get", "/.well-known/jwks.json"): Operation(PUBLIQUE),
    ("get", "/sante"): Operation(PUBLIQUE_BASE),
    ("get", "/sante/disponibilite"): Operation(PUBLIQUE_BASE),
    ("get", "/sante/vivacite"): Operation(PUBLIQUE),
    ("get", "/metrics"): Operation(PUBLIQUE),
    # Suspension on a breach (art. 3.3; api/conventions.py): a national caisse's administration key.
    ("post", "/v1/conventions/{convention}/suspension"): Operation(SIGNEE_CORPS, {
        403: ("administration_non_autorisee",), 404: ("convention_inconnue",), 409: ("convention_deja_suspendue",),
        415: ("type_contenu_non_supporte",), 422: ("json_invalide", "texte_invalide", "schema_invalide", "motif_invalide")}, parametres=True),
    ("post", "/v1/conventions/{convention}/reprise"): Operation(SIGNEE_CORPS, {
        403: ("administration_non_autorisee",), 404: ("convention_inconnue",), 409: ("convention_non_suspendue",),
        415: ("type_contenu_non_supporte",), 422: ("json_invalide", "texte_invalide", "schema_invalide", "motif_invalide")}, parametres=True),
    ("get", "/v1/conventions/{convention}"): Operation(SIGNEE, {404: ("convention_inconnue",)}, parametres=True),
}
# The bodies of the plain operations that take one (FastAPI reads them as bytes: said here).
MOTIF = {"type": "object", "required": ["motif"], "additionalProperties": False, "properties": {
    "motif": {"type": "string", "minLength": 1, "maxLength": 500,
              "description": "pourquoi (journalisé, communiqué aux parties dans l'avis suspension-convention)"}}}
CORPS_OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/conventions/{convention}/suspension"): MOTIF,
    ("post", "/v1/conventions/{convention}/reprise"): MOTIF,
}
FLUX = Operation(SIGNEE_CORPS, {
    400: ("idempotence_cle_invalide",), 403: p.HABILITATION, 409: p.DEMANDES_409,
    415: ("type_contenu_non_supporte",),
    422: (*p.LECTURE, *p.METIER, *p.ACHEMINEMENT, "idempotence_conflit"),
})
LOT = Operation(SIGNEE_CORPS, {
    400: ("cle_lot_absente", "idempotence_cle_invalide"), 409: ("lot_en_cours",), 415: ("type_contenu_non_supporte",),
    422: ("entete_csv_invalide", "idempotence_conflit"),
})
CONSULTATION = Operation(SIGNEE_CORPS, {
    403: p.HABILITATION, 415: ("type_contenu_non_supporte",),
    422: (*p.LECTURE, "regle_consultation", "destinataire_inconnu", "destinataire_indetermine", "destinataire_non_pivot"),
    **p.CONSULTATION_ECHECS,
})
CHEMINS_CATALOGUE = ("/v1/flux/{flux}", "/v1/lots/{flux}", "/v1/consultations/{type}")
CODES_LIGNE_LOT = ("ligne_vide", "corps_trop_volumineux", "ligne_malformee", "texte_invalide")  # besides a message's codes


def codes_du_document(document: Mapping[str, Any]) -> dict[tuple[str, str, int], tuple[str, ...]]:
    """(method, path, status) → the problem codes the document lists: what the tests compare."""
    resultat = {}
    for chemin, operations in document["paths"].items():
        for methode, operation in operations.items():
            for statut, reponse in operation["responses"].items():
                schema = reponse.get("content", {}).get(p.MEDIA_PROBLEME, {}).get("schema")
                if schema:
                    resultat[(methode, chemin, int(statut))] = tuple(schema["allOf"][1]["properties"]["code"].get("enum", ()))
    return resultat


# --- schemas -------------------------------------------------------------------------------

def _reecrire(valeur: Any, noms: Mapping[str, str]) -> Any:
    """Local ``$defs`` references pointed at the document's components."""
    if isinstance(valeur, dict):
        return {k: (REF + noms[v.rsplit("/", 1)[1]] if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/")
                    else _reecrire(v, noms)) for k, v in valeur.items()}
    if isinstance(valeur, list):
        return [_reecrire(v, noms) for v in valeur]
    return valeur


def _hisser(schema: dict[str, Any], composants: dict[str, Any], prefixe: str) -> dict[str, Any]:
    """Move a schema's ``$defs`` into the components; two different definitions of one name
    (``Periode`` of AVPF and of a career) are both kept, the second under a prefixed name."""
    schema = copy.deepcopy(schema)
    definitions = schema.pop("$defs", {})
    identite = {nom: nom for nom in definitions}
    noms = {nom: nom if composants.get(nom, None) in (None, _reecrire(sous, identite)) else f"{prefixe}_{nom}"
            for nom, sous in definitions.items()}
    for nom, sous in definitions.items():
        composants[noms[nom]] = _reecrire(sous, noms)
    schema.pop("$schema", None)
    schema.pop("$id", None)
    return _reecrire(schema, noms)


def _cle(prefixe: str, nom: str) -> str:
    return f"{prefixe}_{nom.replace('-', '_')}"


def _json(schema: dict[str, Any], **autres: Any) -> dict[str, Any]:
    return {"content": {JSON: {"schema": schema}}, **autres}


def _objet(*requis: str, **proprietes: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(requis), "properties": proprietes}


CHAINE = {"type": "string"}
CHAINE_OU_NUL = {"type": ["string", "null"]}
ENTIER = {"type": "integer", "minimum": 0}
HASHES = {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}}
ENTETES_SIGNES = {
    "Signature": {"description": "signature RFC 9421 de la passerelle (@status, content-type, content-digest), "
                  "clé publiée à /.well-known/jwks.json", "required": True, "schema": CHAINE},
    "Signature-Input": {"description": "paramètres de la signature (étiquette, keyid, created, nonce)",
                        "required": True, "schema": CHAINE},
    "Content-Digest": {"description": "sha-256 (RFC 9530) du corps de la réponse", "required": True, "schema": CHAINE},
}
REQUETE_ID = {"X-Request-Id": {"description": "identifiant de la requête, à donner au support",
                               "required": True, "schema": CHAINE}}


def _composants_communs(composants: dict[str, Any]) -> None:
    schema = p.Probleme.model_json_schema(ref_template=REF + "{model}")
    composants.update(schema.pop("$defs", {}))
    composants["Probleme"] = schema
    composants["Recu"] = Recu.model_json_schema()
    composants["LigneLot"] = {
        "description": "une ligne du résultat d'un lot : acceptée (id, destinataire, journal_index) ou refusée "
        f"(probleme, avec les codes d'un message isolé et {', '.join(CODES_LIGNE_LOT)}), puis le résumé",
        "oneOf": [
            _objet("ligne", "id", "destinataire", "journal_index", ligne={"type": "integer", "minimum": 1},
                   id=CHAINE, destinataire=CHAINE, journal_index=ENTIER),
            _objet("ligne", "probleme", ligne={"type": "integer", "minimum": 1}, probleme={"$ref": REF + "Probleme"}),
            _objet("resume", resume=_objet("lot", "flux", "lignes", "acceptees", "refusees", "empreinte",
                                           lot=CHAINE, flux=CHAINE, lignes=ENTIER, acceptees=ENTIER,
                                           refusees=ENTIER, empreinte=CHAINE)),
        ],
    }


def _succes(methode: str, chemin: str) -> dict[str, Any]:
    """The 2xx response(s) of the plain operations, with their real content types."""
    message = _objet("id", "flux", "emetteur", "destinataire", "recu_le", "empreinte", "journal_index", "contenu",
                     id=CHAINE, flux=CHAINE, emetteur=CHAINE, destinataire=CHAINE, recu_le=CHAINE,
                     reference=CHAINE_OU_NUL, en_reponse_a=CHAINE_OU_NUL, empreinte=CHAINE, journal_index=ENTIER,
                     contenu={"type": "object", "description": "le message tel que la convention vous le laisse voir"})
    livraison = _objet("message", "destinataire", "connecteur", "statut", "tentatives", message=CHAINE,
                       destinataire=CHAINE, connecteur=CHAINE, statut=CHAINE, tentatives=ENTIER,
                       prochaine_tentative=CHAINE_OU_NUL, derniere_erreur=CHAINE_OU_NUL, livre_le=CHAINE_OU_NUL)
    texte = {"content": {TEXTE: {"schema": CHAINE}}}
    suspension = _objet("suspendue_le", "motif", "par", "journal_index", suspendue_le=CHAINE, motif=CHAINE, par=CHAINE,
                        organisme=CHAINE_OU_NUL, journal_index=ENTIER)
    etat_convention = _objet("id", "intitule", "statut", "suspendue", "suspension", id=CHAINE, intitule=CHAINE,
                             statut=CHAINE, suspendue={"type": "boolean"},
                             suspension={"oneOf": [suspension, {"type": "null"}]})
    changement = {**etat_convention, "required": [*etat_convention["required"], "journal_index", "avises"],
                  "properties": {**etat_convention["properties"], "journal_index": ENTIER,
                                 "avises": {"type": "array", "items": CHAINE}}}
    reponses: dict[tuple[str, str], dict[str, Any]] = {
        ("get", "/v1/boite"): _json(_objet("messages", "curseur_suivant", messages={"type": "array", "items": message},
                                           curseur_suivant=CHAINE_OU_NUL), description="une page de la boîte"),
        ("post", "/v1/boite/{message_id}/acquittement"): _json(
            _objet("id", "statut", "acquitte_le", "acquitte_par", "deja_acquitte", id=CHAINE, statut=CHAINE,
                   acquitte_le=CHAINE_OU_NUL, acquitte_par=CHAINE_OU_NUL, deja_acquitte={"type": "boolean"},
                   journal_index=ENTIER), description="acquitté (ou déjà acquitté : deja_acquitte)"),
        ("get", "/v1/messages/{message_id}"): _json(
            _objet("id", "flux", "emetteur", "destinataire", "statut", "historique", id=CHAINE, flux=CHAINE,
                   emetteur=CHAINE, destinataire=CHAINE, statut=CHAINE, historique={"type": "array", "items": {"type": "object"}}),
            description="statut et historique du message"),
        ("get", "/v1/livraisons"): _json(_objet("livraisons", livraisons={"type": "array", "items": livraison}),
                                         description="livraisons poussées vers l'appelant"),
        ("post", "/v1/livraisons/{message_id}/relance"): _json(livraison, description="livraison relancée"),
        ("get", "/v1/journal/cle"): {"description": "clés de vérification de notes C2SP, une par ligne", **texte},
        ("get", "/v1/journal/checkpoint"): {
            "description": "checkpoint C2SP (tlog-checkpoint) dans une note signée C2SP (Ed25519)", **texte,
            "headers": {"Passerelle-Cle-Journal": {"description": "clé de vérification de la note",
                                                   "required": True, "schema": CHAINE}}},
        ("get", "/v1/journal/preuves/inclusion"): _json(
            _objet("index", "taille", "chemin", index=ENTIER, taille=ENTIER, chemin=HASHES),
            description="preuve d'inclusion RFC 9162, du plus profond au plus haut"),
        ("get", "/v1/journal/preuves/coherence"): _json(
            _objet("de", "a", "chemin", de=ENTIER, a=ENTIER, chemin=HASHES),
            description="preuve de cohérence RFC 9162 ; chemin vide si de = 0 ou de = a"),
        ("get", "/v1/journal/entrees/{index}"): _json(
            {"type": "object", "description": "JSON canonique RFC 8785 de l'entrée, octet pour octet ce qui a été haché"},
            description="l'entrée du journal"),
        ("get", "/v1/journal/entrees"): _json(
            _objet("entrees", "curseur_suivant", curseur_suivant=CHAINE_OU_NUL, entrees={"type": "array", "items": _objet(
                "index", "entree", "feuille", index=ENTIER, entree={"type": "object"}, feuille=CHAINE)}),
            description="une page de résultats"),
        ("get", "/.well-known/jwks.json"): _json(
            _objet("keys", keys={"type": "array", "items": _objet("kty", "crv", "kid", "x", kty={"const": "OKP"},
                                                                  crv={"const": "Ed25519"}, kid=CHAINE, x=CHAINE)}),
            description="clés publiques de la passerelle (RFC 7517, RFC 8037)"),
        ("get", "/metrics"): {"description": "métriques au format texte de Prometheus", **texte},
        ("get", "/v1/conventions/{convention}"): _json(etat_convention, description="état de la convention"),
        ("post", "/v1/conventions/{convention}/suspension"): _json(
            changement, description="suspendue : journalisée, avis suspension-convention déposé pour chaque partie"),
        ("post", "/v1/conventions/{convention}/reprise"): _json(
            changement, description="reprise : journalisée, avis suspension-convention déposé pour chaque partie"),
        ("get", "/v1/journal/tlog/checkpoint"): {
            "description": "checkpoint C2SP signé, suivi des cosignatures C2SP de ses témoins (tlog-tiles)", **texte},
        ("get", "/v1/journal/tlog/tile/{chemin}"): {
            "description": "tuile C2SP tlog-tiles : 32 octets par hash, ou paquet d'entrées (longueur sur 2 octets "
            "gros-boutiste puis octets hachés) ; immuable si complète",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
    }
    if (methode, chemin) == ("get", "/sante/vivacite"):
        return {"200": _json(_objet("statut", "version", statut={"const": "ok"}, version=CHAINE),
                             description="le processus répond (la base n'est jamais lue)")}
    if (methode, chemin) in (("get", "/sante"), ("get", "/sante/disponibilite")):
        etat = _objet("statut", "version", "base", "journal_taille", statut={"enum": ["ok", "degrade"]}, version=CHAINE,
                      base=CHAINE, journal_taille=ENTIER, annuaire=CHAINE)
        return {"200": _json(etat, description="prête (statut ok, ou degrade : annuaire invalide, le dernier "
                                               "valide sert) ; /sante est le nom historique de /sante/disponibilite")}
    return {"200": reponses[(methode, chemin)]}


# --- parameters and problems ------------------------------------------------------------------

PARAMETRES = {
    "PasserelleAgent": {"name": "Passerelle-Agent", "in": "header", "schema": {"type": "string", "minLength": 1, "maxLength": 256},
                        "description": "l'agent (personne ou compte de service) pour qui la requête est faite, couvert par "
                        "la signature ; un robot y nomme le technicien"},
    "SignatureInput": {"name": "Signature-Input", "in": "header", "schema": CHAINE,
                       "description": 'RFC 9421 : sig1=("@method" "@path" "@query" "passerelle-agent" [ "content-type" '
                       '"content-digest" ]);keyid="…";alg="ed25519";created=…;nonce="…"'},
    "Signature": {"name": "Signature", "in": "header", "schema": CHAINE,
                  "description": "RFC 9421 : sig1=:<signature Ed25519 de la base, base64>:"},
    "ContentDigest": {"name": "Content-Digest", "in": "header", "schema": CHAINE,
                      "description": "RFC 9530 : sha-256=:<base64 du SHA-256 des octets exacts du corps>:"},
}
IDEMPOTENCE = {"name": "Idempotency-Key", "in": "header",
               "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"},
               "description": "même émetteur, même clé, même corps : la réponse d'origine à nouveau, rien fait deux "
               "fois ; même clé, autre corps : 422 idempotence_conflit (ASCII imprimable, 1 à 255 caractères)"}


def _parametres_signature(acces: Acces) -> list[dict[str, Any]]:
    if not acces.signature:
        return []
    requis = not acces.auditeur
    noms = ["PasserelleAgent", "SignatureInput", "Signature"] + (["ContentDigest"] if acces.corps else [])
    return [{**PARAMETRES[nom], "required": requis} for nom in noms]


def _reponse_probleme(statut: int, codes: Iterable[str], instance: str) -> dict[str, Any]:
    codes = tuple(codes)
    description, titre = LIBELLES[statut]
    propre: dict[str, Any] = {"status": {"const": statut}, "code": {"type": "string"}}
    if codes:
        propre["code"] = {"enum": list(codes)}
        description += " — codes : " + ", ".join(f"`{c}`" for c in codes) + " (docs/problemes.md)"
    exemple = {"type": TYPE_PROBLEME + (codes[0] if codes else "…"), "title": titre, "status": statut,
               "detail": "explication en français, propre à ce refus", "code": codes[0] if codes else "…",
               "instance": instance, "requete": "3751581cd69b4e93832e518fbca10822"}
    entetes = dict(REQUETE_ID)
    if statut == 503 and "base_indisponible" in codes:
        entetes["Retry-After"] = {"description": "secondes avant de réessayer", "required": True,
                                  "schema": {"type": "string", "pattern": "^[0-9]+$"}}
    if statut == 429:
        entetes["Retry-After"] = {"description": "secondes avant la minute suivante", "required": True,
                                  "schema": {"type": "string", "pattern": "^[0-9]+$"}}
    return {"description": description, "headers": entetes, "content": {p.MEDIA_PROBLEME: {
        "schema": {"allOf": [{"$ref": REF + "Probleme"}, {"type": "object", "properties": propre}]},
        "example": exemple}}}


def _completer(document_op: dict[str, Any], operation: Operation, chemin: str,
               succes: dict[str, Any], parametres: list[dict[str, Any]]) -> dict[str, Any]:
    """An operation with its access headers, its real successes and every problem it may answer."""
    op = copy.deepcopy(document_op)
    # FastAPI's header parameters are replaced; a catalogue path has no {flux} or {type} left
    gardes = [x for x in op.get("parameters", [])
              if x["in"] == "query" or (x["in"] == "path" and "{" + x["name"] + "}" in chemin)]
    op["parameters"] = gardes + _parametres_signature(operation.acces) + parametres
    if not op["parameters"]:
        del op["parameters"]
    if operation.acces.auditeur:
        op["security"] = [{"auditeur": []}] + ([{}] if operation.acces.signature else [])
    reponses = {}
    for statut, reponse in succes.items():
        reponse = copy.deepcopy(reponse)
        reponse["headers"] = {**REQUETE_ID, **reponse.get("headers", {})}
        reponses[statut] = reponse
    codes = _problemes_de(operation)
    for statut in sorted(codes):
        reponses[str(statut)] = _reponse_probleme(statut, codes[statut], chemin)
    op["responses"] = reponses
    return op


# --- the catalogue's operations --------------------------------------------------------------

def _corps_csv(modele: type) -> dict[str, Any]:
    noms = [colonne for colonne, _ in colonnes(modele)]  # type: ignore[arg-type]
    requis = [colonne for colonne, champ in colonnes(modele) if modele.model_fields[champ].is_required()]  # type: ignore[arg-type, attr-defined]
    return {"schema": {
        "type": "string",
        "description": "CSV UTF-8 (BOM toléré), séparateur « ; » ou « , », une ligne d'en-tête avec les noms de "
        f"colonnes de l'annexe 1, dans n'importe quel ordre : {', '.join(noms)} ; obligatoires : "
        f"{', '.join(requis) or 'aucune'}. Une cellule vide est une valeur absente ; une liste s'écrit "
        f"avec « {SEPARATEUR_LISTE} ». Chaque ligne est validée comme le message JSON qu'elle représente."},
        "example": ";".join(requis) + "\r\n"}


def _operations_catalogue(gabarits: Mapping[str, dict[str, Any]], services: Registres,
                          composants: dict[str, Any]) -> dict[str, dict[str, Any]]:
    chemins: dict[str, dict[str, Any]] = {}
    signe = {"description": "accusé de réception signé", "headers": ENTETES_SIGNES}
    for nom, definition in sorted(services.catalogue.items()):
        cle = _cle("Flux", nom)
        schema = _hisser(generer_schema(definition), composants, cle)
        composants[cle] = schema
        corps = {"$ref": REF + cle}
        flux = copy.deepcopy(gabarits["/v1/flux/{flux}"])
        flux.update(operationId=_cle("envoyer", nom), summary=f"Envoyer un message {nom}", description=definition.description,
                    requestBody={"required": True, "description": f"le contenu du flux {nom} (schemas/{nom}.schema.json)",
                                 "content": {JSON: {"schema": corps}}})
        chemins[f"/v1/flux/{nom}"] = {"post": _completer(
            flux, FLUX, f"/v1/flux/{nom}", {"202": {**signe, **_json({"$ref": REF + "Recu"})}}, [{**IDEMPOTENCE, "required": False}])}
        lot = copy.deepcopy(gabarits["/v1/lots/{flux}"])
        lot.update(operationId=_cle("envoyer_lot", nom), summary=f"Envoyer un lot {nom} (NDJSON ou CSV)",
                   requestBody={"required": True, "description": "NDJSON : un message par ligne (décrit ici comme la "
                                "suite de ses lignes) ; CSV : les colonnes de l'annexe 1",
                                "content": {NDJSON: {"schema": {"type": "array", "items": corps}},
                                            CSV: _corps_csv(definition.modele)}})
        resultat = {"description": "résultat de chaque ligne, dans l'ordre, puis une ligne de résumé (NDJSON, signé ; "
                    "décrit ici comme la suite de ses lignes)", "headers": ENTETES_SIGNES,
                    "content": {NDJSON: {"schema": {"type": "array", "items": {"$ref": REF + "LigneLot"}}}}}
        chemins[f"/v1/lots/{nom}"] = {"post": _completer(
            lot, LOT, f"/v1/lots/{nom}", {"200": resultat},
            [{**IDEMPOTENCE, "required": True, "description": "clé du lot : le reprendre sans doublon (sans elle, "
              "400 cle_lot_absente)"}])}
    for nom, consultation in sorted(services.consultations.items()):
        cle = _cle("Consultation", nom)
        composants[cle] = _hisser(consultation.demande.model_json_schema(), composants, cle)
        reponse = _cle("ReponseConsultation", nom)
        composants[reponse] = _hisser(consultation.reponse.model_json_schema(), composants, reponse)
        signee = ReponseSignee.model_json_schema()
        signee["properties"]["reponse"] = {"$ref": REF + reponse}
        signee["title"] = f"Réponse signée ({nom})"
        composants[_cle("ReponseSignee", nom)] = signee
        gabarit = copy.deepcopy(gabarits["/v1/consultations/{type}"])
        gabarit.update(operationId=_cle("consulter", nom), summary=f"Consultation {nom}", description=consultation.description,
                       requestBody={"required": True, "content": {JSON: {"schema": {"$ref": REF + cle}}}})
        chemins[f"/v1/consultations/{nom}"] = {"post": _completer(
            gabarit, CONSULTATION, f"/v1/consultations/{nom}",
            {"200": {"description": "réponse du destinataire, signée par la passerelle", "headers": ENTETES_SIGNES,
                     **_json({"$ref": REF + _cle("ReponseSignee", nom)})}}, [])}
    return chemins


DESCRIPTION = (
    "Passerelle d'échanges sécurisés entre organismes de sécurité sociale (contrat v1).\n\n"
    "**Authentification des organismes** : chaque requête est signée (RFC 9421, Ed25519, étiquette `sig1`, "
    "paramètres `keyid`, `alg=\"ed25519\"`, `created`, `nonce`), couvrant `@method`, `@path`, `@query`, "
    "`passerelle-agent` et, avec un corps, `content-type` et `content-digest` (RFC 9530, sha-256 des octets "
    "exacts envoyés) : en-têtes `Signature-Input`, `Signature`, `Content-Digest`, `Passerelle-Agent` de chaque "
    "opération (docs/integration.md § 2). Les auditeurs présentent `Authorization: Bearer <identifiant>.<secret>`.\n\n"
    "**Refus** : toujours `application/problem+json` (RFC 9457) avec un `code` stable, listé pour chaque "
    "opération et chaque statut (docs/problemes.md). Pour tout chemin : 404 `ressource_inconnue` (adresse "
    "inexistante ; `flux_inconnu` ou `consultation_inconnue` pour un flux ou un type de consultation hors du catalogue), 405 `methode_non_autorisee` ; 408, 414 et 431 par la couche "
    "serveur HTTP (envoi trop lent, cible trop longue, en-têtes trop volumineux ou trop nombreux), 400 "
    "`requete_malformee` (octets qui ne sont pas du HTTP) et 400 `parametre_invalide` (adresse non UTF-8 ou "
    "porteuse d'un caractère de contrôle). Toute opération qui lit ou écrit la base peut répondre 503 "
    "`base_indisponible` (avec `Retry-After`) : réessayer, avec la même `Idempotency-Key` pour un envoi."
)


def document_openapi(app: FastAPI, services: Registres) -> dict[str, Any]:
    """The whole document: FastAPI's paths and parameters, then the contract made explicit."""
    brut = get_openapi(title=app.title, version=app.version, description=DESCRIPTION, routes=app.routes)
    composants: dict[str, Any] = {}
    _composants_communs(composants)
    gabarits = {chemin: brut["paths"][chemin]["post"] for chemin in CHEMINS_CATALOGUE}
    chemins: dict[str, dict[str, Any]] = {}
    for chemin, operations in brut["paths"].items():
        if chemin in CHEMINS_CATALOGUE:
            continue
        for methode, op in operations.items():
            operation = OPERATIONS[(methode, chemin)]  # a new route must say what it answers (KeyError)
            chemins.setdefault(chemin, {})[methode] = _completer(op, operation, chemin, _succes(methode, chemin), [])
            if (methode, chemin) in CORPS_OPERATIONS:
                chemins[chemin][methode]["requestBody"] = {"required": True, "content": {JSON: {
                    "schema": CORPS_OPERATIONS[(methode, chemin)]}}}
    chemins.update(_operations_catalogue(gabarits, services, composants))
    brut["paths"] = dict(sorted(chemins.items()))
    brut["components"] = {
        "schemas": dict(sorted(composants.items())),
        "securitySchemes": {"auditeur": {"type": "http", "scheme": "bearer",
                                         "description": "compte d'auditeur : <identifiant>.<secret> (docs/auditeurs.md)"}},
    }
    return brut
