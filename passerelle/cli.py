"""The ``passerelle`` command: run the gateway, manage keys, send as an organisme."""

from __future__ import annotations

import base64
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import typer
import yaml

from passerelle.ligne_de_commande import Application, Sortie

from passerelle.annuaire.chargement import AnnuaireInvalide, charger_annuaire
from passerelle.annuaire.cles import lire_publique, privee_pem
from passerelle.annuaire.gestion import ajouter_cle, revoquer_cle
from passerelle.journal.commandes import journal_app
from passerelle.acheminement.commandes import app as livraisons_app
from passerelle.client.commandes import enregistrer as enregistrer_commandes_client
from passerelle.reglages import Mode, Reglages
from passerelle.outils_cli import erreur as _erreur
from passerelle.outils_cli import instant as _instant

app = Application(
    help="passerelle — échanges sécurisés entre organismes de sécurité sociale. Codes de sortie et "
    "erreurs: docs/ligne-de-commande.md; --trace (n'importe où) affiche la trace d'une erreur interne.",
    epilog="Premier essai: passerelle serve --developpement, puis passerelle exemple rdc --sortie rdc.json "
    "et passerelle envoyer rdc rdc.json --keyid caf-042-dev-2026 --agent sophie.bernard (README.md).",
)
cles_app = Application(help="Clés Ed25519 des organismes (annuaire): générer, inscrire, révoquer, lister")
organismes_app = Application(help="Organismes de l'annuaire")
conventions_app = Application(help="Conventions et ce qu'elles autorisent")
schemas_app = Application(help="Schémas JSON publiés des flux")
robots_app = Application(help="Assistants digitaux (robots) de l'annuaire: plages et débits convenus (annexe 2)")
secrets_app = Application(help="Secrets de la passerelle (clés de signature, d'index, de chiffrement)")
app.add_typer(cles_app, name="cles")
app.add_typer(organismes_app, name="organismes")
app.add_typer(conventions_app, name="conventions")
from passerelle.habilitations.commandes import reprendre as _reprendre, suspendre as _suspendre  # noqa: E402
conventions_app.command("suspendre")(_suspendre)  # art. 3.3 (passerelle/habilitations/commandes.py)
conventions_app.command("reprendre")(_reprendre)
app.add_typer(schemas_app, name="schemas")
app.add_typer(robots_app, name="robots")
app.add_typer(secrets_app, name="secrets")
app.add_typer(livraisons_app, name="livraisons")
enregistrer_commandes_client(app)
app.add_typer(journal_app, name="journal")
from passerelle.exploitation.commandes import base_app  # noqa: E402 — `passerelle base …`
app.add_typer(base_app, name="base")
from passerelle.temoin.commandes import temoin_app  # noqa: E402 — `passerelle temoin …` (issue 14)
app.add_typer(temoin_app, name="temoin")

ConfigOption = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG", help="dossier de configuration")
JsonOption = typer.Option(False, "--json", help="sortie JSON (pour un script) au lieu du texte")


def _imprimer_json(valeur: object) -> None:
    import json

    typer.echo(json.dumps(valeur, ensure_ascii=False, indent=2, default=str))


@app.command()
def serve(
    developpement: bool = typer.Option(False, "--developpement", help="accepter les clés et secrets de développement "
                                       "de config/developpement/ (essai local; refusés sans cette option)"),
    hote: Optional[str] = typer.Option(None, "--hote", help="adresse d'écoute (défaut: PASSERELLE_HOTE ou 127.0.0.1)"),
    port: Optional[int] = typer.Option(None, "--port", help="port d'écoute (défaut: PASSERELLE_PORT ou 8000)"),
    base: Optional[str] = typer.Option(None, "--base", help="URL SQLAlchemy (défaut: PASSERELLE_BASE ou sqlite:///passerelle.db)"),
    config: Optional[Path] = typer.Option(None, "--config", help="dossier de configuration (défaut: PASSERELLE_CONFIG ou config)"),
    secrets: Optional[Path] = typer.Option(None, "--secrets", help="fichier de secrets (défaut: PASSERELLE_SECRETS)"),
) -> None:
    """Démarrer la passerelle (SQLite et config/ par défaut); « en écoute » n'est affiché qu'une fois le
    port réservé."""
    from sqlalchemy.engine import make_url

    from passerelle.serveur.lancement import configuration, servir

    from passerelle.app import create_app
    from passerelle.ligne_de_commande import erreur
    from passerelle.ligne_de_commande.ecoute import ouvrir_ecoute
    from passerelle.ligne_de_commande.erreurs import traduire
    from passerelle.stockage.base import normaliser_url

    surcharges: dict[str, object] = {}
    if developpement:
        surcharges["mode"] = Mode.developpement
    for nom, valeur in (("hote", hote), ("port", port), ("base", base), ("config", config), ("secrets", secrets)):
        if valeur is not None:
            surcharges[nom] = valeur
    reglages = Reglages(**surcharges)  # a malformed PASSERELLE_* is one line (ligne_de_commande/erreurs.py)
    prise = ouvrir_ecoute(reglages.hote, reglages.port)
    try:
        try:
            application = create_app(reglages)
        except Exception as exc:  # noqa: BLE001 — said in one line if a person can act on it
            traduit = traduire(exc)
            if traduit is None:
                raise
            erreur(f"démarrage refusé: {traduit[0]}", traduit[1])
        base_affichee = make_url(normaliser_url(reglages.base)).render_as_string(hide_password=True)
        typer.echo(f"passerelle en écoute sur http://{reglages.hote}:{reglages.port} (mode {reglages.mode.value}, "
                   f"base {base_affichee}; documentation: http://{reglages.hote}:{reglages.port}/docs)", err=True)
        metriques = application.state.services.metriques
        servir(configuration(application, reglages, signaler=metriques.signaler_refus_serveur), sockets=[prise])
    finally:
        prise.close()


# --- clés -------------------------------------------------------------------------------------


@cles_app.command("generer")
def cles_generer(
    organisme: str = typer.Argument(..., help="code de l'organisme dans l'annuaire (caf-042, carsat-ra…)"),
    keyid: Optional[str] = typer.Option(None, "--keyid", help="identifiant de la clé (défaut: ORGANISME-AAAAMMJJ)"),
    sortie: Optional[Path] = typer.Option(None, "--sortie", help="fichier PEM de la clé privée (défaut: KEYID.pem)"),
    valide_du: Optional[str] = typer.Option(None, "--valide-du", help="début de validité AAAA-MM-JJ[THH:MM:SSZ] (défaut: maintenant)"),
    valide_au: Optional[str] = typer.Option(None, "--valide-au", help="fin de validité, exclue (défaut: deux ans après le début)"),
    developpement: bool = typer.Option(False, "--developpement", help="marquer comme clé de développement"),
    profil: Optional[str] = typer.Option(None, "--profil", help="profil de la clé: accueil, gestion (défaut), lutte-fraude"),
    robot: Optional[str] = typer.Option(None, "--robot", help="clé d'un robot déclaré dans robots.yaml (son profil est celui du robot)"),
    config: Path = ConfigOption,
    json_: bool = JsonOption,
) -> None:
    """Générer une paire Ed25519, écrire la clé privée (0600) et inscrire la clé publique."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    maintenant = datetime.now(timezone.utc)
    keyid = keyid or f"{organisme}-{maintenant:%Y%m%d}"
    sortie = sortie or Path(f"{keyid}.pem")
    if sortie.exists():
        _erreur(f"{sortie} existe déjà: rien n'a été écrit (choisissez --sortie)", Sortie.FICHIER)
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
    if json_:
        _imprimer_json({"keyid": keyid, "organisme": organisme, "valide_du": debut.isoformat(),
                        "valide_au": fin.isoformat(), "cle_privee": str(sortie)})
        return
    typer.echo(f"clé {keyid} inscrite pour {organisme} (valide du {debut:%Y-%m-%d} au {fin:%Y-%m-%d}); clé privée: {sortie}")


@cles_app.command("ajouter")
def cles_ajouter(
    organisme: str = typer.Argument(..., help="code de l'organisme dans l'annuaire (caf-042, carsat-ra…)"),
    publique: str = typer.Argument(..., help="fichier PEM de la clé publique, ou sa valeur x (base64url)"),
    keyid: str = typer.Option(..., "--keyid", help="identifiant de la clé, choisi par l'organisme"),
    valide_du: Optional[str] = typer.Option(None, "--valide-du", help="début de validité AAAA-MM-JJ[THH:MM:SSZ] (défaut: maintenant)"),
    valide_au: Optional[str] = typer.Option(None, "--valide-au", help="fin de validité, exclue (défaut: sans fin)"),
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
    keyid: str = typer.Argument(..., help="identifiant de la clé à révoquer"),
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
    keyid: str = typer.Argument(..., help="identifiant de la clé à retirer de l'annuaire (config/annuaire/cles.yaml)"),
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
def cles_lister(config: Path = ConfigOption, json_: bool = JsonOption) -> None:
    """Lister les clés et leur état à cet instant."""
    annuaire = charger_annuaire(config, developpement=True)
    maintenant = datetime.now(timezone.utc)
    if json_:
        _imprimer_json([
            {"keyid": c.keyid, "organisme": c.organisme, "etat": c.etat(maintenant), "valide_du": c.valide_du,
             "valide_au": c.valide_au, "revoquee_le": c.revoquee_le, "profil": c.profil, "robot": c.robot,
             "developpement": c.developpement}
            for c in sorted(annuaire.cles.values(), key=lambda c: (c.organisme, c.keyid))
        ])
        return
    for cle in sorted(annuaire.cles.values(), key=lambda c: (c.organisme, c.keyid)):
        marque = " [DÉVELOPPEMENT]" if cle.developpement else ""
        fin = f"{cle.valide_au:%Y-%m-%d}" if cle.valide_au else "—"
        qui = f" profil {cle.profil}" + (f", robot {cle.robot}" if cle.robot else "")
        typer.echo(f"{cle.organisme:12} {cle.keyid:28} {cle.etat(maintenant):18} du {cle.valide_du:%Y-%m-%d} au {fin}{qui}{marque}")


# --- annuaire, conventions, schémas -----------------------------------------------------------


@organismes_app.command("lister")
def organismes_lister(config: Path = ConfigOption, json_: bool = JsonOption) -> None:
    """Lister les organismes: code, type, nom et départements couverts (acheminement par territoire)."""
    annuaire = charger_annuaire(config, developpement=True)
    if json_:
        _imprimer_json([
            {"code": o.code, "type": o.type, "nom": o.nom, "numero": o.numero, "departements": list(o.departements)}
            for o in sorted(annuaire.organismes.values(), key=lambda o: o.code)
        ])
        return
    for o in sorted(annuaire.organismes.values(), key=lambda o: o.code):
        typer.echo(f"{o.code:12} {o.type:7} {o.nom} — départements {', '.join(o.departements)}")


@conventions_app.command("lister")
def conventions_lister(
    config: Path = ConfigOption,
    le: Optional[str] = typer.Option(None, "--le", help="jour d'évaluation AAAA-MM-JJ (défaut: aujourd'hui, UTC)"),
    base: Optional[str] = typer.Option(None, "--base", envvar="PASSERELLE_BASE", help="base où lire les suspensions (art. 3.3)"),
) -> None:
    """Chaque convention: son statut effectif ce jour-là et pourquoi (préavis, caducité), ce
    qu'elle autorise et les délais de réponse convenus (passerelle/habilitations/cycle.py)."""
    from passerelle.habilitations.conventions import ConventionsInvalides, charger_conventions
    from passerelle.habilitations.cycle import decrire
    from passerelle.habilitations.commandes import lignes_suspension, suspensions_en_vigueur

    try:
        jour = date.fromisoformat(le) if le else datetime.now(timezone.utc).date()
    except ValueError:
        _erreur(f"date illisible: {le!r} (attendu: AAAA-MM-JJ)", Sortie.USAGE)
    try:
        conventions = charger_conventions(config / "conventions")
    except ConventionsInvalides as exc:
        _erreur(f"configuration refusée: {exc}", Sortie.CONFIGURATION)
    suspensions, pourquoi = suspensions_en_vigueur(base)
    for c in conventions:
        typer.echo("\n".join(decrire(c, conventions, jour) + lignes_suspension(suspensions, c.id)))
    if pourquoi:
        typer.echo(pourquoi, err=True)


@schemas_app.command("generer")
def schemas_generer(
    dossier: Path = typer.Option(Path("schemas"), "--dossier", help="dossier où écrire un schéma par flux"),
    config: Path = ConfigOption,
) -> None:
    """Régénérer les schémas JSON publiés depuis les modèles du catalogue."""
    from passerelle.catalogue.registre import charger_catalogue
    from passerelle.catalogue.schemas import ecrire_schemas

    ecrire_schemas(dossier, charger_catalogue(config / "flux.yaml"))
    typer.echo(f"schémas écrits dans {dossier}/")


@secrets_app.command("generer")
def secrets_generer(sortie: Path = typer.Argument(..., help="fichier de secrets à créer (hors dépôt)"), keyid: str = typer.Option(..., "--keyid", help="identifiant de la clé de signature de la passerelle")) -> None:
    """Écrire un fichier de secrets de production neuf (0600): à garder hors dépôt."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if sortie.exists():
        _erreur(f"{sortie} existe déjà: rien n'a été écrit", Sortie.FICHIER)
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
def robots_lister(config: Path = ConfigOption, json_: bool = JsonOption) -> None:
    """Chaque robot: organisme, responsable, profil, débit, plages convenues, état à cet instant, clés."""
    from passerelle.habilitations.robots import heure_locale, verifier_plage
    from passerelle.erreurs import Refus

    try:
        annuaire = charger_annuaire(config, developpement=True)
    except AnnuaireInvalide as exc:
        _erreur(f"configuration refusée: {exc}", Sortie.CONFIGURATION)
    maintenant = datetime.now(timezone.utc)
    vues = []
    for robot in sorted(annuaire.robots.values(), key=lambda r: (r.organisme, r.id)):
        try:
            verifier_plage(robot, maintenant)
            etat = "dans ses plages"
        except Refus:
            etat = "hors plage"
        local = heure_locale(robot, maintenant)
        cles = sorted(c.keyid for c in annuaire.cles.values() if c.robot == robot.id)
        vues.append({"id": robot.id, "organisme": robot.organisme, "responsable": robot.responsable,
                     "profil": robot.profil, "debit_par_minute": robot.debit_par_minute, "fuseau": robot.fuseau,
                     "plages": robot.plages_texte(), "dans_ses_plages": etat == "dans ses plages", "cles": cles})
        if json_:
            continue
        typer.echo(f"{robot.id} ({robot.organisme}) — responsable: {robot.responsable}")
        if robot.description:
            typer.echo(f"  {robot.description}")
        typer.echo(f"  profil {robot.profil}, {robot.debit_par_minute} requêtes/minute au plus")
        typer.echo(f"  plages ({robot.fuseau}): {robot.plages_texte()}")
        typer.echo(f"  maintenant {local:%d/%m/%Y %H:%M}: {etat}; clés: {', '.join(cles) or 'aucune'}")
    if json_:
        _imprimer_json(vues)


from passerelle.gouvernance.commande import rapport  # noqa: E402 — `passerelle rapport` (docs/gouvernance.md)
from passerelle.cycle_cles.commandes import enregistrer as enregistrer_rotations  # noqa: E402
from passerelle.conservation.commandes import purge  # noqa: E402 — `passerelle purge` (docs/exploitation.md § 10)

enregistrer_rotations(secrets_app)  # `passerelle secrets signature|chiffrement|index …`, `etat`, `rechiffrer`…
app.command("purge")(purge)

app.command("rapport")(rapport)
from passerelle.catalogue.commande import exemple  # noqa: E402 — `passerelle exemple FLUX` (docs/exemples/)

app.command("exemple")(exemple)


if __name__ == "__main__":
    app()
