"""``passerelle auditeurs ...`` and ``passerelle journal rapprocher``: run by an operator on a host
that holds the database and the deployment's secrets. Account changes are journaled like any
configuration change; a secret is printed once and never again.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from passerelle.ligne_de_commande import Application, Sortie
from passerelle.ligne_de_commande import erreur as _erreur
from passerelle.ligne_de_commande import instant as _instant
from passerelle.reglages import Mode, Reglages

auditeurs_app = Application(help="Comptes des auditeurs du journal (console et API); sur la configuration "
                            "d'exemple, ajoutez --developpement")
# `passerelle journal rapprocher`: the group `journal` is assembled (passerelle/cli.py) from the
# journal's own commands and this one, which belongs to the auditors.
rapprochement_app = Application(help="Rapprochement des accès des robots avec le notariat de la retraite (annexe 2)")

BaseOption = typer.Option(None, "--base", envvar="PASSERELLE_BASE", help="URL SQLAlchemy (défaut: sqlite:///passerelle.db)")
ConfigOption = typer.Option(None, "--config", envvar="PASSERELLE_CONFIG", help="dossier de configuration")
DevOption = typer.Option(False, "--developpement", help="accepter les secrets de développement (configuration d'exemple)")
JsonOption = typer.Option(False, "--json", help="sortie JSON (pour un script) au lieu du texte")


def _reglages(base: Optional[str], config: Optional[Path], developpement: bool) -> Reglages:
    surcharges: dict[str, Any] = {}
    if developpement:
        surcharges["mode"] = Mode.developpement
    if base:
        surcharges["base"] = base
    if config:
        surcharges["config"] = config
    return Reglages(**surcharges)


def _services(reglages: Reglages):  # type: ignore[no-untyped-def]
    """The gateway's services; refused secrets or configuration are one line and their exit code
    (passerelle/ligne_de_commande/erreurs.py), with the hint that --developpement is the way."""
    from passerelle.services import construire_services

    return construire_services(reglages)


def _journaliser_compte(services, connexion, decision: str, identifiant: str, details: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    from passerelle.journal.ecriture import Decision

    services.journal.ecrire(
        connexion,
        Decision(
            decision=decision,
            horodatage=services.horloge(),
            agent=getpass.getuser(),
            details={"auditeur": identifiant, "canal": "cli", **details},
        ),
    )


@auditeurs_app.command("creer")
def creer(
    identifiant: str = typer.Argument(..., help="identifiant du compte (minuscules, chiffres, . _ -), p. ex. a-durand"),
    nom: str = typer.Option(..., "--nom", help="nom et fonction de la personne"),
    organismes: Optional[str] = typer.Option(None, "--organismes", help="portée: codes séparés par des virgules"),
    tous: bool = typer.Option(False, "--tous", help="portée: tous les organismes"),
    base: Optional[str] = BaseOption,
    config: Optional[Path] = ConfigOption,
    developpement: bool = DevOption,
    json_: bool = JsonOption,
) -> None:
    """Créer un compte d'auditeur; son secret est affiché UNE fois (jeton Bearer identifiant.secret)."""
    from passerelle.auditeurs import comptes

    if tous == (organismes is not None):
        _erreur("choisir la portée: --organismes caf-042,carsat-ra OU --tous", Sortie.USAGE)
    services = _services(_reglages(base, config, developpement))
    liste = None if tous else (organismes or "").split(",")
    try:
        with services.moteur.begin() as connexion:
            auditeur, secret = comptes.creer(
                connexion, identifiant, nom, liste, services.horloge(),
                organismes_connus=services.annuaire.actuel().organismes.keys(),
            )
            _journaliser_compte(services, connexion, "auditeur_cree", identifiant, {"portee": list(auditeur.portee or ["*"])})
    except comptes.CompteInvalide as exc:
        _erreur(str(exc))
    finally:
        services.moteur.dispose()
    if json_:
        import json

        typer.echo(json.dumps({"identifiant": auditeur.identifiant, "nom": auditeur.nom,
                               "portee": list(auditeur.portee or ["*"]), "jeton": f"{auditeur.identifiant}.{secret}"},
                              ensure_ascii=False))
        return
    typer.echo(f"auditeur {auditeur.identifiant} créé ({auditeur.nom}; portée: {auditeur.portee_texte()})", err=True)
    typer.echo("jeton (affiché une seule fois; à remettre par un canal sûr — console: identifiant + secret):", err=True)
    typer.echo(f"{auditeur.identifiant}.{secret}")


@auditeurs_app.command("lister")
def lister(
    base: Optional[str] = BaseOption,
    config: Optional[Path] = ConfigOption,
    developpement: bool = DevOption,
    json_: bool = JsonOption,
) -> None:
    """Lister les comptes, leur portée et leur état (jamais leur secret)."""
    from passerelle.auditeurs import comptes
    from passerelle.stockage.base import lecture, migrer, ouvrir

    moteur = ouvrir(_reglages(base, config, developpement).base)
    migrer(moteur)
    with lecture(moteur) as connexion:
        tous = list(comptes.lister(connexion))
    moteur.dispose()
    if json_:
        import json

        typer.echo(json.dumps([{"identifiant": a.identifiant, "nom": a.nom, "actif": a.actif,
                                "desactive_le": a.desactive_le.isoformat() if a.desactive_le else None,
                                "portee": list(a.portee or ["*"])} for a in tous], ensure_ascii=False, indent=2))
        return
    for a in tous:
        etat = "actif" if a.actif else f"désactivé le {a.desactive_le:%Y-%m-%d}"
        typer.echo(f"{a.identifiant:24} {etat:24} {a.nom} — {a.portee_texte()}")


@auditeurs_app.command("desactiver")
def desactiver(
    identifiant: str = typer.Argument(..., help="identifiant du compte à désactiver"),
    base: Optional[str] = BaseOption,
    config: Optional[Path] = ConfigOption,
    developpement: bool = DevOption,
) -> None:
    """Désactiver un compte: refusé aussitôt, sessions de console fermées."""
    from passerelle.auditeurs import comptes

    services = _services(_reglages(base, config, developpement))
    try:
        with services.moteur.begin() as connexion:
            comptes.desactiver(connexion, identifiant, services.horloge())
            _journaliser_compte(services, connexion, "auditeur_desactive", identifiant, {})
    except comptes.CompteInvalide as exc:
        _erreur(str(exc))
    finally:
        services.moteur.dispose()
    typer.echo(f"auditeur {identifiant} désactivé")


@rapprochement_app.command("rapprocher")
def rapprocher(
    fichier: Path = typer.Argument(..., help="export CSV du notariat de la retraite (identifiant_accedant;nir;horodatage)"),
    tolerance: float = typer.Option(120.0, "--tolerance", help="écart maximal en secondes"),
    format_: str = typer.Option("csv", "--format", help="csv ou json"),
    sortie: Optional[Path] = typer.Option(None, "--sortie", help="fichier de sortie (défaut: sortie standard)"),
    du: Optional[str] = typer.Option(None, "--du", help="début de période côté passerelle (défaut: celle du fichier)"),
    au: Optional[str] = typer.Option(None, "--au", help="fin de période exclue"),
    organisme: Optional[str] = typer.Option(None, "--organisme", help="ne retenir que les robots de cet organisme"),
    fuseau: str = typer.Option("Europe/Paris", "--fuseau", help="fuseau des horodatages sans décalage"),
    operateur: Optional[str] = typer.Option(None, "--operateur", help="qui rapproche (défaut: l'utilisateur système)"),
    base: Optional[str] = BaseOption,
    config: Optional[Path] = ConfigOption,
    developpement: bool = DevOption,
) -> None:
    """Rapprocher les accès des robots (annexe 2): nommer le technicien de chaque accès, lister les orphelins."""
    from passerelle.auditeurs.rapprochement import FichierInvalide, en_csv, en_json
    from passerelle.auditeurs.rapprochement import rapprocher as faire

    if format_ not in ("csv", "json"):
        _erreur("--format: csv ou json", Sortie.USAGE)
    if not fichier.is_file():
        _erreur(f"fichier introuvable: {fichier}", Sortie.FICHIER)
    services = _services(_reglages(base, config, developpement))
    try:
        with services.moteur.begin() as connexion:
            resultat = faire(
                connexion, services.journal, fichier.read_bytes(), tolerance=tolerance,
                horodatage=services.horloge(), operateur=operateur or getpass.getuser(),
                du=_instant(du), au=_instant(au), organisme=organisme, fuseau=fuseau,
            )
    except (FichierInvalide, ValueError) as exc:
        _erreur(f"rapprochement impossible: {exc}")
    finally:
        services.moteur.dispose()
    texte = en_csv(resultat) if format_ == "csv" else en_json(resultat) + "\n"
    if sortie:
        sortie.write_text(texte, encoding="utf-8")
    else:
        sys.stdout.write(texte)
    r = resultat.resume()
    typer.echo(
        f"{r['rapprochees']} rapprochées, {r['lignes_sans_acces_passerelle']} lignes sans accès passerelle, "
        f"{r['acces_passerelle_sans_ligne']} accès passerelle sans ligne, {r['lignes_rejetees']} lignes rejetées",
        err=True,
    )
