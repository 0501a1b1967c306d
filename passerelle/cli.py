"""The ``passerelle`` command: run the gateway, manage keys, send as an organisme."""

from __future__ import annotations

import base64
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import typer
import yaml

from passerelle.annuaire.chargement import AnnuaireInvalide, charger_annuaire
from passerelle.annuaire.cles import lire_publique, privee_pem
from passerelle.annuaire.gestion import ajouter_cle, revoquer_cle
from passerelle.journal.commandes import journal_app
from passerelle.acheminement.commandes import app as livraisons_app
from passerelle.client.commandes import enregistrer as enregistrer_commandes_client
from passerelle.reglages import Mode, Reglages
from passerelle.outils_cli import erreur as _erreur
from passerelle.outils_cli import instant as _instant

app = typer.Typer(help="passerelle — échanges sécurisés entre organismes de sécurité sociale", no_args_is_help=True)
cles_app = typer.Typer(help="Clés Ed25519 des organismes (annuaire)", no_args_is_help=True)
organismes_app = typer.Typer(help="Organismes de l'annuaire", no_args_is_help=True)
conventions_app = typer.Typer(help="Conventions et ce qu'elles autorisent", no_args_is_help=True)
schemas_app = typer.Typer(help="Schémas JSON publiés des flux", no_args_is_help=True)
robots_app = typer.Typer(help="Assistants digitaux (robots) de l'annuaire: plages et débits convenus (annexe 2)", no_args_is_help=True)
secrets_app = typer.Typer(help="Secrets de la passerelle (clés de signature, d'index, de chiffrement)", no_args_is_help=True)
app.add_typer(cles_app, name="cles")
app.add_typer(organismes_app, name="organismes")
app.add_typer(conventions_app, name="conventions")
app.add_typer(schemas_app, name="schemas")
app.add_typer(robots_app, name="robots")
app.add_typer(secrets_app, name="secrets")
app.add_typer(livraisons_app, name="livraisons")
enregistrer_commandes_client(app)
app.add_typer(journal_app, name="journal")
from passerelle.exploitation.commandes import base_app  # noqa: E402 — `passerelle base …`
app.add_typer(base_app, name="base")

ConfigOption = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG", help="dossier de configuration")


@app.command()
def serve(
    developpement: bool = typer.Option(False, "--developpement", help="accepter les clés et secrets de développement"),
    hote: Optional[str] = typer.Option(None, "--hote"),
    port: Optional[int] = typer.Option(None, "--port"),
    base: Optional[str] = typer.Option(None, "--base", help="URL SQLAlchemy (défaut: sqlite:///passerelle.db)"),
    config: Optional[Path] = typer.Option(None, "--config"),
    secrets: Optional[Path] = typer.Option(None, "--secrets", help="fichier de secrets (défaut: PASSERELLE_SECRETS)"),
) -> None:
    """Démarrer la passerelle (SQLite et config/ par défaut)."""
    from pydantic import ValidationError
    from sqlalchemy.engine import make_url

    from passerelle.serveur.lancement import configuration, servir

    from passerelle.stockage.base import normaliser_url

    from passerelle.app import create_app
    from passerelle.secrets_deploiement import SecretsRefuses

    surcharges: dict[str, object] = {}
    if developpement:
        surcharges["mode"] = Mode.developpement
    for nom, valeur in (("hote", hote), ("port", port), ("base", base), ("config", config), ("secrets", secrets)):
        if valeur is not None:
            surcharges[nom] = valeur
    try:
        reglages = Reglages(**surcharges)
    except ValidationError as exc:
        _erreur(f"démarrage refusé: réglage invalide: {exc}")
    try:
        application = create_app(reglages)
    except (SecretsRefuses, AnnuaireInvalide, ValueError) as exc:
        _erreur(f"démarrage refusé: {exc}")
    base_affichee = make_url(normaliser_url(reglages.base)).render_as_string(hide_password=True)
    typer.echo(f"passerelle en écoute sur http://{reglages.hote}:{reglages.port} (mode {reglages.mode.value}, base {base_affichee})", err=True)
    metriques = application.state.services.metriques
    servir(configuration(application, reglages, signaler=metriques.signaler_refus_serveur))


# --- clés -------------------------------------------------------------------------------------


@cles_app.command("generer")
def cles_generer(
    organisme: str,
    keyid: Optional[str] = typer.Option(None, "--keyid", help="défaut: <organisme>-<AAAAMMJJ>"),
    sortie: Optional[Path] = typer.Option(None, "--sortie", help="fichier PEM de la clé privée (défaut: <keyid>.pem)"),
    valide_du: Optional[str] = typer.Option(None, "--valide-du"),
    valide_au: Optional[str] = typer.Option(None, "--valide-au"),
    developpement: bool = typer.Option(False, "--developpement", help="marquer comme clé de développement"),
    profil: Optional[str] = typer.Option(None, "--profil", help="profil de la clé: accueil, gestion (défaut), lutte-fraude"),
    robot: Optional[str] = typer.Option(None, "--robot", help="clé d'un robot déclaré dans robots.yaml (son profil est celui du robot)"),
    config: Path = ConfigOption,
) -> None:
    """Générer une paire Ed25519, écrire la clé privée (0600) et inscrire la clé publique."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    maintenant = datetime.now(timezone.utc)
    keyid = keyid or f"{organisme}-{maintenant:%Y%m%d}"
    sortie = sortie or Path(f"{keyid}.pem")
    if sortie.exists():
        _erreur(f"{sortie} existe déjà: rien n'a été écrit")
    privee = Ed25519PrivateKey.generate()
    debut = _instant(valide_du) or maintenant
    fin = _instant(valide_au) or (debut + timedelta(days=730))
    try:
        ajouter_cle(config, organisme=organisme, keyid=keyid, publique=privee.public_key(),
                    valide_du=debut, valide_au=fin, developpement=developpement, profil=profil, robot=robot)
    except AnnuaireInvalide as exc:
        _erreur(str(exc))
    descripteur = os.open(sortie, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descripteur, "wb") as f:
        f.write(privee_pem(privee))
    typer.echo(f"clé {keyid} inscrite pour {organisme} (valide du {debut:%Y-%m-%d} au {fin:%Y-%m-%d}); clé privée: {sortie}")


@cles_app.command("ajouter")
def cles_ajouter(
    organisme: str,
    publique: str = typer.Argument(..., help="fichier PEM de la clé publique, ou sa valeur x (base64url)"),
    keyid: str = typer.Option(..., "--keyid"),
    valide_du: Optional[str] = typer.Option(None, "--valide-du"),
    valide_au: Optional[str] = typer.Option(None, "--valide-au"),
    profil: Optional[str] = typer.Option(None, "--profil", help="profil de la clé: accueil, gestion (défaut), lutte-fraude"),
    robot: Optional[str] = typer.Option(None, "--robot", help="clé d'un robot déclaré dans robots.yaml (son profil est celui du robot)"),
    config: Path = ConfigOption,
) -> None:
    """Inscrire la clé publique qu'un organisme a générée lui-même (le cas normal)."""
    texte = Path(publique).read_text() if Path(publique).is_file() else publique
    try:
        cle = lire_publique(texte)
        ajouter_cle(config, organisme=organisme, keyid=keyid, publique=cle,
                    valide_du=_instant(valide_du) or datetime.now(timezone.utc), valide_au=_instant(valide_au),
                    profil=profil, robot=robot)
    except (AnnuaireInvalide, ValueError) as exc:
        _erreur(str(exc))
    typer.echo(f"clé {keyid} inscrite pour {organisme}")


@cles_app.command("revoquer")
def cles_revoquer(
    keyid: str,
    le: Optional[str] = typer.Option(None, "--le", help="instant de révocation (défaut: maintenant)"),
    config: Path = ConfigOption,
) -> None:
    """Révoquer une clé: refusée par la passerelle dès qu'elle relit l'annuaire (moins d'une seconde)."""
    try:
        revoquer_cle(config, keyid, _instant(le) or datetime.now(timezone.utc))
    except AnnuaireInvalide as exc:
        _erreur(str(exc))
    typer.echo(f"clé {keyid} révoquée")


@cles_app.command("supprimer")
def cles_supprimer(
    keyid: str,
    forcer: bool = typer.Option(False, "--forcer", help="supprimer même la seule clé valide d'un organisme"),
    motif: Optional[str] = typer.Option(None, "--motif", help="pourquoi (journalisé)"),
    operateur: Optional[str] = typer.Option(None, "--operateur", help="qui (défaut: l'utilisateur du système)"),
    base: Optional[str] = typer.Option(None, "--base", envvar="PASSERELLE_BASE", help="URL SQLAlchemy de la passerelle"),
    secrets: Optional[Path] = typer.Option(None, "--secrets", envvar="PASSERELLE_SECRETS", help="fichier de secrets"),
    developpement: bool = typer.Option(False, "--developpement", help="accepter les clés et secrets de développement"),
    config: Path = ConfigOption,
) -> None:
    """Retirer une clé de l'annuaire: journalisé comme changement de configuration, appliqué par
    chaque instance à sa relecture de l'annuaire (moins d'une seconde)."""
    import getpass

    from passerelle.annuaire.gestion import supprimer_cle
    from passerelle.cycle_cles.commandes import services_pour
    from passerelle.journal.ecriture import Decision

    from passerelle.annuaire.chargement import fichier_cles

    services = services_pour(secrets, base, config, developpement)
    maintenant = services.horloge()
    chemin = fichier_cles(config)
    avant = chemin.read_bytes() if chemin.exists() else None
    try:
        with services.ecriture, services.moteur.begin() as connexion:
            # The entry and the file change together: the file is replaced inside the
            # transaction, and a refused or failed change rolls the entry back.
            entree = supprimer_cle(config, keyid, maintenant, forcer=forcer)
            services.journal.ecrire(connexion, Decision(
                decision="cle_supprimee", horodatage=maintenant, organisme=entree.get("organisme"), keyid=keyid,
                agent=operateur or getpass.getuser(),
                details={"canal": "cli", "publique": entree.get("publique"), "forcee": forcer,
                         "robot": entree.get("robot"), "revoquee_le": entree.get("revoquee_le"),
                         **({"motif": motif[:200]} if motif else {})},
            ))
    except AnnuaireInvalide as exc:
        _erreur(f"rien n'a été changé: {exc}")
    except Exception as exc:  # the entry could not be committed: put the file back as it was
        if avant is not None and chemin.exists() and chemin.read_bytes() != avant:
            provisoire = chemin.with_name(".cles-restauration.yaml")
            provisoire.write_bytes(avant)
            os.chmod(provisoire, chemin.stat().st_mode & 0o777)
            os.replace(provisoire, chemin)
        _erreur(f"rien n'a été changé (journal injoignable: {type(exc).__name__})")
    finally:
        services.moteur.dispose()
    typer.echo(f"clé {keyid} supprimée de l'annuaire ({entree.get('organisme')}); changement journalisé")


@cles_app.command("lister")
def cles_lister(config: Path = ConfigOption) -> None:
    """Lister les clés et leur état à cet instant."""
    annuaire = charger_annuaire(config, developpement=True)
    maintenant = datetime.now(timezone.utc)
    for cle in sorted(annuaire.cles.values(), key=lambda c: (c.organisme, c.keyid)):
        marque = " [DÉVELOPPEMENT]" if cle.developpement else ""
        fin = f"{cle.valide_au:%Y-%m-%d}" if cle.valide_au else "—"
        qui = f" profil {cle.profil}" + (f", robot {cle.robot}" if cle.robot else "")
        typer.echo(f"{cle.organisme:12} {cle.keyid:28} {cle.etat(maintenant):18} du {cle.valide_du:%Y-%m-%d} au {fin}{qui}{marque}")


# --- annuaire, conventions, schémas -----------------------------------------------------------


@organismes_app.command("lister")
def organismes_lister(config: Path = ConfigOption) -> None:
    annuaire = charger_annuaire(config, developpement=True)
    for o in sorted(annuaire.organismes.values(), key=lambda o: o.code):
        typer.echo(f"{o.code:12} {o.type:7} {o.nom} — départements {', '.join(o.departements)}")


@conventions_app.command("lister")
def conventions_lister(
    config: Path = ConfigOption,
    le: Optional[str] = typer.Option(None, "--le", help="jour d'évaluation AAAA-MM-JJ (défaut: aujourd'hui, UTC)"),
) -> None:
    """Chaque convention: son statut effectif ce jour-là et pourquoi (préavis, caducité), ce
    qu'elle autorise et les délais de réponse convenus (passerelle/habilitations/cycle.py)."""
    from passerelle.habilitations.conventions import ConventionsInvalides, charger_conventions
    from passerelle.habilitations.cycle import decrire

    try:
        jour = date.fromisoformat(le) if le else datetime.now(timezone.utc).date()
    except ValueError:
        _erreur(f"date illisible: {le!r} (attendu: AAAA-MM-JJ)")
        raise
    try:
        conventions = charger_conventions(config / "conventions")
    except ConventionsInvalides as exc:
        _erreur(str(exc))
        raise
    for c in conventions:
        typer.echo("\n".join(decrire(c, conventions, jour)))


@schemas_app.command("generer")
def schemas_generer(dossier: Path = typer.Option(Path("schemas"), "--dossier"), config: Path = ConfigOption) -> None:
    """Régénérer les schémas JSON publiés depuis les modèles du catalogue."""
    from passerelle.catalogue.registre import charger_catalogue
    from passerelle.catalogue.schemas import ecrire_schemas

    ecrire_schemas(dossier, charger_catalogue(config / "flux.yaml"))
    typer.echo(f"schémas écrits dans {dossier}/")


@secrets_app.command("generer")
def secrets_generer(sortie: Path, keyid: str = typer.Option(..., "--keyid", help="identifiant de la clé de signature de la passerelle")) -> None:
    """Écrire un fichier de secrets de production neuf (0600): à garder hors dépôt."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if sortie.exists():
        _erreur(f"{sortie} existe déjà: rien n'a été écrit")
    ident = datetime.now(timezone.utc).strftime("%Y%m%d")
    contenu = {
        "developpement": False,
        "signature": {"active": keyid, "cles": {keyid: privee_pem(Ed25519PrivateKey.generate()).decode("ascii")}},
        "index_aveugle": {"active": ident, "cles": {ident: base64.b64encode(os.urandom(32)).decode("ascii")}},
        "chiffrement": {"active": ident, "cles": {ident: base64.b64encode(os.urandom(32)).decode("ascii")}},
    }
    descripteur = os.open(sortie, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descripteur, "w") as f:
        f.write("# Secrets de la passerelle — NE PAS VERSIONNER. Rotations: `passerelle secrets ...`\n")
        f.write("# (docs/exploitation.md § 4); ne retirez une clé que quand `passerelle secrets etat` le permet.\n")
        yaml.safe_dump(contenu, f, sort_keys=False)
    typer.echo(f"secrets écrits dans {sortie}")


# --- auditeurs (passerelle/auditeurs/cli.py) ----------------------------------------------------

from passerelle.auditeurs.cli import auditeurs_app, rapprocher  # noqa: E402

app.add_typer(auditeurs_app, name="auditeurs")
journal_app.command("rapprocher")(rapprocher)  # `passerelle journal rapprocher` (annexe 2)
from passerelle.demo import demo  # noqa: E402 — `passerelle demo` (passerelle/demo/)
app.command("demo")(demo)


# --- robots (annexe 2) ------------------------------------------------------------------------


@robots_app.command("lister")
def robots_lister(config: Path = ConfigOption) -> None:
    """Chaque robot: organisme, responsable, profil, débit, plages convenues, état à cet instant, clés."""
    from passerelle.habilitations.robots import heure_locale, verifier_plage
    from passerelle.erreurs import Refus

    try:
        annuaire = charger_annuaire(config, developpement=True)
    except AnnuaireInvalide as exc:
        _erreur(str(exc))
        return
    maintenant = datetime.now(timezone.utc)
    for robot in sorted(annuaire.robots.values(), key=lambda r: (r.organisme, r.id)):
        try:
            verifier_plage(robot, maintenant)
            etat = "dans ses plages"
        except Refus:
            etat = "hors plage"
        local = heure_locale(robot, maintenant)
        cles = sorted(c.keyid for c in annuaire.cles.values() if c.robot == robot.id)
        typer.echo(f"{robot.id} ({robot.organisme}) — responsable: {robot.responsable}")
        if robot.description:
            typer.echo(f"  {robot.description}")
        typer.echo(f"  profil {robot.profil}, {robot.debit_par_minute} requêtes/minute au plus")
        typer.echo(f"  plages ({robot.fuseau}): {robot.plages_texte()}")
        typer.echo(f"  maintenant {local:%d/%m/%Y %H:%M}: {etat}; clés: {', '.join(cles) or 'aucune'}")


from passerelle.gouvernance.commande import rapport  # noqa: E402 — `passerelle rapport` (docs/gouvernance.md)
from passerelle.cycle_cles.commandes import enregistrer as enregistrer_rotations  # noqa: E402
from passerelle.conservation.commandes import purge  # noqa: E402 — `passerelle purge` (docs/exploitation.md § 10)

enregistrer_rotations(secrets_app)  # `passerelle secrets signature|chiffrement|index …`, `etat`, `rechiffrer`…
app.command("purge")(purge)

app.command("rapport")(rapport)


if __name__ == "__main__":
    app()
