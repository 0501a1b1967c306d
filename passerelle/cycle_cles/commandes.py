"""``passerelle secrets signature|chiffrement|index ajouter|activer|retirer``, ``secrets etat``,
``secrets rechiffrer``, ``secrets reindexer``: each key rotation step by step
(docs/exploitation.md § 4). Editing commands change the file only; the gateway applies it when
every instance has restarted. Commands that read the database take the server's settings
(``PASSERELLE_*``, or the options)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from passerelle.ligne_de_commande import Application

from passerelle.outils_cli import erreur as _erreur

BaseOption = typer.Option(None, "--base", envvar="PASSERELLE_BASE", help="URL SQLAlchemy (défaut: sqlite:///passerelle.db)")
ConfigOption = typer.Option(None, "--config", envvar="PASSERELLE_CONFIG", help="dossier de configuration")
DevOption = typer.Option(False, "--developpement", help="accepter les secrets de développement")
FichierArgument = typer.Argument(..., help="fichier de secrets (celui de PASSERELLE_SECRETS)")

# The clock of the commands that decide by date (purge, key validity): the system's, unless a
# test sets its own (tests never depend on the day they run).
HORLOGE = None

NATURES = {"signature": "signature", "chiffrement": "chiffrement", "index": "index_aveugle"}
LIBELLES = {"signature": "de signature", "chiffrement": "de chiffrement au repos", "index": "d'index aveugle"}


def services_pour(fichier: Optional[Path], base: Optional[str], config: Optional[Path], developpement: bool):  # type: ignore[no-untyped-def]
    """The gateway's services as a server with these settings would build them (migrations too)."""
    from passerelle.annuaire.chargement import AnnuaireInvalide
    from passerelle.reglages import Mode, Reglages
    from passerelle.secrets_deploiement import SecretsRefuses
    from passerelle.services import construire_services, horloge_systeme

    surcharges: dict[str, Any] = {"travaux_de_fond": False}
    if developpement:
        surcharges["mode"] = Mode.developpement
    for nom, valeur in (("base", base), ("config", config), ("secrets", fichier)):
        if valeur is not None:
            surcharges[nom] = valeur
    try:
        return construire_services(Reglages(**surcharges), horloge=HORLOGE or horloge_systeme)
    except (SecretsRefuses, AnnuaireInvalide, ValueError) as exc:
        _erreur(f"passerelle inutilisable: {exc}")


def _rotation(services, lot: int):  # type: ignore[no-untyped-def]
    from passerelle.cycle_cles.rotation import Rotation

    return Rotation(services.moteur, services.ecriture, services.horloge, services.journal, services.coffre, lot)


def _maintenant():  # type: ignore[no-untyped-def]
    from passerelle.services import horloge_systeme

    return (HORLOGE or horloge_systeme)()


def _editer(action, *args, **kwargs):  # type: ignore[no-untyped-def]
    from passerelle.cycle_cles.edition import EditionRefusee
    from passerelle.secrets_deploiement import SecretsRefuses

    try:
        return action(*args, **kwargs)
    except (EditionRefusee, SecretsRefuses) as exc:
        _erreur(f"rien n'a été écrit: {exc}")


def enregistrer(secrets_app: typer.Typer) -> None:
    for nature in NATURES:
        secrets_app.add_typer(_groupe(nature), name=nature)
    secrets_app.command("etat")(etat)
    secrets_app.command("rechiffrer")(rechiffrer)
    secrets_app.command("reindexer")(reindexer)


def _groupe(nature: str) -> typer.Typer:
    from passerelle.cycle_cles import edition

    interne = NATURES[nature]
    libelle = LIBELLES[nature]
    groupe = Application(help=f"Rotation de la clé {libelle} de la passerelle")

    @groupe.command("ajouter")
    def ajouter(fichier: Path = FichierArgument,
                identifiant: Optional[str] = typer.Option(None, "--id", help="identifiant de la clé (défaut: AAAAMMJJ)")) -> None:
        """1. Ajouter une clé neuve, pas encore active; puis redémarrer toutes les instances."""
        ident = _editer(edition.ajouter, fichier, interne, identifiant, instant=_maintenant())
        suite = {
            "signature": "elle est publiée (JWKS, clés du journal) dès le redémarrage; l'activer ensuite",
            "chiffrement": "chaque instance sait la lire dès le redémarrage; l'activer ensuite",
            "index": "chaque instance cherche aussi sous elle dès le redémarrage; l'activer ensuite",
        }[nature]
        typer.echo(f"clé {libelle} {ident} ajoutée à {fichier}. Redémarrez toutes les instances: {suite} "
                   f"(passerelle secrets {nature} activer {fichier} {ident}).")

    @groupe.command("activer")
    def activer(fichier: Path = FichierArgument, identifiant: str = typer.Argument(..., help="identifiant de la clé dans le fichier de secrets")) -> None:
        """2. Faire de la clé la clé active; puis redémarrer toutes les instances."""
        ancienne = _editer(edition.activer, fichier, interne, identifiant)
        suite = {
            "signature": "les accusés sont signés par elle, les checkpoints par les deux clés tant que "
                         f"l'ancienne reste (passerelle secrets signature retirer {fichier} {ancienne})",
            "chiffrement": "les messages neufs sont chiffrés sous elle; les anciens sont rechiffrés en fond "
                           "(ou: passerelle secrets rechiffrer), voir passerelle secrets etat",
            "index": "les index neufs sont calculés avec elle; messages et dossiers sont réindexés en fond "
                     "(ou: passerelle secrets reindexer), voir passerelle secrets etat",
        }[nature]
        typer.echo(f"clé {libelle} active: {identifiant} (était {ancienne}). Redémarrez toutes les instances: {suite}.")

    @groupe.command("retirer")
    def retirer(
        fichier: Path = FichierArgument,
        identifiant: str = typer.Argument(..., help="identifiant de la clé dans le fichier de secrets"),
        forcer: bool = typer.Option(False, "--forcer", help="index: retirer même si des lignes l'utilisent encore"),
        base: Optional[str] = BaseOption,
        config: Optional[Path] = ConfigOption,
        developpement: bool = DevOption,
    ) -> None:
        """3. Détruire une ancienne clé (jamais l'active); refusé tant qu'elle sert encore."""
        if nature == "signature":
            _editer(edition.retirer, fichier, interne, identifiant, instant=_maintenant())
            typer.echo(f"clé de signature {identifiant} retirée: clé privée détruite, clé publique gardée "
                       "(JWKS et clés du journal) pour vérifier ce qu'elle a signé. Redémarrez toutes les instances.")
            return
        _verifier_inutilisee(nature, fichier, identifiant, forcer, base, config, developpement)
        _editer(edition.retirer, fichier, interne, identifiant)
        typer.echo(f"clé {libelle} {identifiant} retirée de {fichier}. Redémarrez toutes les instances.")

    return groupe


def _verifier_inutilisee(nature: str, fichier: Path, identifiant: str, forcer: bool, base: Optional[str],
                         config: Optional[Path], developpement: bool) -> None:
    from passerelle.cycle_cles.etat import usage_chiffrement, usage_index

    services = services_pour(fichier, base, config, developpement)
    try:
        with services.moteur.connect() as connexion:
            if nature == "chiffrement":
                usage = usage_chiffrement(connexion).get(identifiant)
                if usage is not None and usage.messages:
                    _erreur(f"rien n'a été écrit: {usage.messages} message(s) sont encore chiffrés sous {identifiant}: "
                            "ils deviendraient illisibles. Lancez `passerelle secrets rechiffrer`, puis réessayez.")
                return
            usage_i = usage_index(connexion).get(identifiant)
            if usage_i is not None and (usage_i.messages or usage_i.dossiers) and not forcer:
                _erreur(f"rien n'a été écrit: {usage_i.messages} message(s) et {usage_i.dossiers} dossier(s) sont "
                        f"encore indexés sous {identifiant}. Lancez `passerelle secrets reindexer`, puis réessayez.")
            typer.echo(f"attention: les entrées du journal (immuables) et les messages purgés indexés sous "
                       f"{identifiant} ne se retrouveront plus par NIR, seulement par leur index.", err=True)
    finally:
        services.moteur.dispose()


def etat(
    secrets: Optional[Path] = typer.Option(None, "--secrets", envvar="PASSERELLE_SECRETS", help="fichier de secrets"),
    base: Optional[str] = BaseOption,
    config: Optional[Path] = ConfigOption,
    developpement: bool = DevOption,
) -> None:
    """Chaque clé de la passerelle, ce qui l'utilise encore, et si elle peut être retirée."""
    from passerelle.cycle_cles.etat import rapport

    services = services_pour(secrets, base, config, developpement)
    try:
        with services.moteur.connect() as connexion:
            typer.echo("\n".join(rapport(connexion, services.secrets)))
    finally:
        services.moteur.dispose()


def rechiffrer(
    secrets: Optional[Path] = typer.Option(None, "--secrets", envvar="PASSERELLE_SECRETS", help="fichier de secrets"),
    base: Optional[str] = BaseOption,
    config: Optional[Path] = ConfigOption,
    developpement: bool = DevOption,
    lot: int = typer.Option(500, "--lot", min=1, help="messages par transaction"),
) -> None:
    """Mettre chaque message sous la clé de chiffrement active (reprend où il s'est arrêté)."""
    from passerelle.cycle_cles.rechiffrement import rechiffrer as passe

    services = services_pour(secrets, base, config, developpement)
    try:
        bilan = passe(_rotation(services, lot), lot=lot)
    finally:
        services.moteur.dispose()
    avant = ", ".join(f"{n} sous {k}" for k, n in sorted(bilan.par_cle.items())) or "aucun"
    typer.echo(f"{bilan.messages} message(s) mis sous la clé {services.coffre.active} ({avant}; "
               f"{bilan.enveloppes_creees} mis sous enveloppe), {bilan.transactions} transaction(s) journalisée(s)")
    if bilan.illisibles:
        _erreur("messages chiffrés sous une clé absente des secrets: "
                + ", ".join(f"{n} sous {k}" for k, n in sorted(bilan.illisibles.items())))


def reindexer(
    secrets: Optional[Path] = typer.Option(None, "--secrets", envvar="PASSERELLE_SECRETS", help="fichier de secrets"),
    base: Optional[str] = BaseOption,
    config: Optional[Path] = ConfigOption,
    developpement: bool = DevOption,
    lot: int = typer.Option(500, "--lot", min=1, help="messages par transaction"),
) -> None:
    """Réindexer messages et dossiers sous la clé d'index aveugle active (reprend où il s'est arrêté)."""
    from passerelle.cycle_cles.reindexation import reindexer as passe
    from passerelle.cycle_cles.reindexation import restants

    services = services_pour(secrets, base, config, developpement)
    try:
        bilan = passe(_rotation(services, lot), lot=lot)
        with services.moteur.connect() as connexion:
            reste = restants(connexion, services.journal.cle_index_active)
    finally:
        services.moteur.dispose()
    typer.echo(f"{bilan.messages} message(s) et {bilan.dossiers} dossier(s) réindexés sous "
               f"{services.journal.cle_index_active}, {bilan.transactions} transaction(s) journalisée(s)")
    if reste["messages"] or reste["dossiers"]:
        typer.echo(f"restent sous une autre clé: {reste['messages']} message(s) (sans NIR dans leur contenu: "
                   f"{bilan.sans_nir}; incohérents: {bilan.incoherents}; illisibles: {bilan.illisibles}) et "
                   f"{reste['dossiers']} dossier(s) (demande purgée): ils restent trouvables par la clé d'origine, "
                   "à garder dans les secrets")
