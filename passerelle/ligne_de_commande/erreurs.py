"""What went wrong, in one French line, and which exit code says it.

Every command runs under :func:`traduire`'s care (see ``application.py``): an exception a person
can cause — the gateway not running, a missing file, a malformed setting, development secrets in
production — becomes a sentence saying what happened and what to do, never a traceback. Only an
unexpected error (a bug) is reported as such, with the way to get its trace.
"""

from __future__ import annotations

import errno
from typing import Any

from passerelle.ligne_de_commande.sorties import Echec, Sortie

CONSEIL_DEVELOPPEMENT = (
    "pour un essai avec la configuration d'exemple, ajoutez --developpement à la commande "
    "(ou PASSERELLE_MODE=developpement)"
)


def _classes(module: str, *noms: str) -> tuple[type[BaseException], ...]:
    """Exception classes imported lazily: a command that never loads a module does not pay for it."""
    import importlib

    try:
        charge = importlib.import_module(module)
    except ImportError:  # pragma: no cover — an optional part of the package
        return ()
    return tuple(getattr(charge, nom) for nom in noms if hasattr(charge, nom))


def _configuration() -> tuple[type[BaseException], ...]:
    return (
        *_classes("passerelle.annuaire.chargement", "AnnuaireInvalide"),
        *_classes("passerelle.annuaire.robots", "RobotsInvalides"),
        *_classes("passerelle.annuaire.mutualisation", "MutualisationInvalide"),
        *_classes("passerelle.habilitations.conventions", "ConventionsInvalides"),
        *_classes("passerelle.catalogue.registre", "RegistreInvalide"),
        *_classes("passerelle.catalogue.avpf", "MotifsInvalides"),
        *_classes("passerelle.consultations.registre", "RegistreConsultationsInvalide"),
        *_classes("passerelle.secrets_deploiement", "SecretsRefuses"),
        *_classes("passerelle.demo.horloge", "HorlogeDemoRefusee"),
    )


def _developpement() -> tuple[type[BaseException], ...]:
    return (
        *_classes("passerelle.secrets_deploiement", "SecretsDeveloppementRefuses"),
        *_classes("passerelle.annuaire.chargement", "ClesDeveloppementRefusees"),
    )


ATTENDUS = {
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "bool_parsing": "booléen attendu (true ou false)",
    "datetime_parsing": "date et heure ISO 8601 attendues (AAAA-MM-JJTHH:MM:SSZ)",
    "datetime_from_date_parsing": "date et heure ISO 8601 attendues (AAAA-MM-JJTHH:MM:SSZ)",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "string_pattern_mismatch": "forme refusée",
    "missing": "valeur obligatoire",
}


def _attendu(detail: dict[str, Any]) -> str:
    contexte = detail.get("ctx") or {}
    type_ = detail.get("type", "")
    bornes = {
        "greater_than_equal": ("au moins", "ge"),
        "greater_than": ("strictement plus de", "gt"),
        "less_than_equal": ("au plus", "le"),
        "less_than": ("strictement moins de", "lt"),
    }
    if type_ in bornes:
        texte, cle = bornes[type_]
        return f"{texte} {contexte.get(cle)}"
    if type_ == "enum":
        return f"valeurs admises: {contexte.get('expected', '')}".replace("'", "")
    return ATTENDUS.get(type_, f"valeur refusée ({type_ or 'invalide'})")


def reglages_invalides(exc: Any, prefixe: str = "PASSERELLE_") -> str:
    """A pydantic ValidationError of the settings as ``PASSERELLE_PORT='abc': nombre entier attendu``."""
    morceaux = []
    for detail in exc.errors():
        champ = ".".join(str(x) for x in detail.get("loc", ()))
        valeur = detail.get("input")
        morceaux.append(f"{prefixe}{champ.upper()}={valeur!r}: {_attendu(detail)}")
    return "réglage invalide: " + "; ".join(morceaux) + " (voir docs/exploitation.md, réglages)"


def _fichier(exc: OSError) -> str:
    nom = exc.filename or ""
    if isinstance(exc, FileNotFoundError):
        return f"fichier introuvable: {nom} — vérifiez le chemin (relatif au dossier courant)"
    if isinstance(exc, IsADirectoryError):
        return f"{nom} est un dossier: un fichier est attendu"
    if isinstance(exc, FileExistsError):
        return f"{nom} existe déjà: rien n'a été écrit (choisissez un autre nom)"
    if isinstance(exc, PermissionError):
        return f"accès refusé à {nom}: vérifiez ses droits (ls -l {nom})"
    return f"fichier illisible: {nom} ({exc.strerror or exc})"


def traduire(exc: BaseException) -> tuple[str, Sortie] | None:
    """The French line and exit code of a failure a person can cause, or ``None`` (a bug)."""
    if isinstance(exc, Echec):
        return exc.message, exc.code
    if isinstance(exc, KeyboardInterrupt):
        return "interrompu (Ctrl-C)", Sortie.INTERROMPU
    dev = _developpement()
    if dev and isinstance(exc, dev):
        return f"{exc}; {CONSEIL_DEVELOPPEMENT}", Sortie.DEVELOPPEMENT
    configuration = _configuration()
    if configuration and isinstance(exc, configuration):
        return f"configuration refusée: {exc}", Sortie.CONFIGURATION
    try:
        import pydantic

        if isinstance(exc, pydantic.ValidationError) and exc.title == "Reglages":
            return reglages_invalides(exc), Sortie.CONFIGURATION
    except ImportError:  # pragma: no cover
        pass
    try:
        import yaml

        if isinstance(exc, yaml.YAMLError):
            return f"fichier de configuration YAML illisible: {exc}".replace("\n", " "), Sortie.CONFIGURATION
    except ImportError:  # pragma: no cover
        pass
    try:
        import httpx

        if isinstance(exc, httpx.TransportError):
            url = ""
            try:
                url = str(exc.request.url.copy_with(path="/", query=None))
            except RuntimeError:
                pass
            if isinstance(exc, httpx.TimeoutException):
                quoi, cause = "ne répond pas dans le délai", "délai dépassé"
            elif isinstance(exc, httpx.ConnectError):
                quoi, cause = "est injoignable", "connexion refusée ou adresse inconnue"
            else:
                quoi, cause = "est injoignable", "échange interrompu"
            return (
                f"la passerelle {quoi} à {url or 'l’adresse donnée'} ({cause}): lancez-la "
                "(passerelle serve --developpement) ou corrigez --url / PASSERELLE_URL",
                Sortie.INJOIGNABLE,
            )
    except ImportError:  # pragma: no cover
        pass
    recu = _classes("passerelle.client.client", "RecuInvalide")
    if recu and isinstance(exc, recu):
        return (
            f"accusé de réception NON VÉRIFIÉ: {exc} — ne le conservez pas comme preuve; vérifiez "
            "--url (est-ce bien la passerelle ?) et signalez-le à son exploitant",
            Sortie.RECU_INVALIDE,
        )
    try:
        import sqlalchemy.exc

        if isinstance(exc, sqlalchemy.exc.SQLAlchemyError):
            cause = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            return (
                f"base de données injoignable ou illisible ({cause}): vérifiez "
                "--base / PASSERELLE_BASE et que la base est démarrée",
                Sortie.BASE,
            )
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, OSError) and exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
        return f"adresse d'écoute indisponible: {exc.strerror}", Sortie.ADRESSE_OCCUPEE
    if isinstance(exc, OSError) and (exc.filename is not None or isinstance(exc, (FileNotFoundError, PermissionError))):
        return _fichier(exc), Sortie.FICHIER
    if isinstance(exc, UnicodeDecodeError):
        return f"fichier illisible: il n'est pas en UTF-8 ({exc.reason} à l'octet {exc.start})", Sortie.FICHIER
    return None
