"""``passerelle cles …``: the life of the organismes' keys in the directory (config/annuaire/cles.yaml):
generate, register, revoke, remove (journaled), list. The gateway's own keys are ``passerelle secrets``."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import typer

from passerelle.annuaire.chargement import AnnuaireInvalide, charger_annuaire
from passerelle.annuaire.cles import lire_publique, privee_pem
from passerelle.annuaire.gestion import ajouter_cle, revoquer_cle
from passerelle.ligne_de_commande import Application, Sortie
from passerelle.ligne_de_commande import erreur as _erreur
from passerelle.ligne_de_commande import imprimer_json as _imprimer_json
from passerelle.ligne_de_commande import instant as _instant

cles_app = Application(help="Clés Ed25519 des organismes (annuaire): générer, inscrire, révoquer, lister")

ConfigOption = typer.Option(Path("config"), "--config", envvar="PASSERELLE_CONFIG", help="dossier de configuration")
JsonOption = typer.Option(False, "--json", help="sortie JSON (pour un script) au lieu du texte")


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
