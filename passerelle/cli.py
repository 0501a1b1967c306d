"""The ``passerelle`` command: the assembly of the command groups of each domain.

Each domain writes its commands beside its code (``<domaine>/commandes.py``); this module only
names them, in the order ``passerelle --help`` lists them. Exit codes and errors:
docs/ligne-de-commande.md.
"""

from __future__ import annotations

from passerelle.acheminement.commandes import app as livraisons_app
from passerelle.acheminement.commandes_suspension import suspension_app
from passerelle.annuaire.commandes import organismes_app
from passerelle.auditeurs.commandes import auditeurs_app, rapprochement_app
from passerelle.catalogue.commande import exemple, schemas_app
from passerelle.client.commandes import boite_app, envoyer, lots_app
from passerelle.exploitation.commandes_purge import purge
from passerelle.cycle_cles.cles_organismes import cles_app
from passerelle.cycle_cles.groupe_secrets import secrets_app
from passerelle.demo import demo
from passerelle.exploitation.commandes import base_app
from passerelle.gouvernance.commande import rapport
from passerelle.habilitations.commandes import conventions_app, robots_app
from passerelle.journal.commandes import journal_app
from passerelle.ligne_de_commande import Application
from passerelle.serveur.commandes import serve
from passerelle.temoin.commandes import temoin_app

app = Application(
    help="passerelle — échanges sécurisés entre organismes de sécurité sociale. Codes de sortie et "
    "erreurs: docs/ligne-de-commande.md; --trace (n'importe où) affiche la trace d'une erreur interne.",
    epilog="Premier essai: passerelle serve --developpement, puis passerelle exemple rdc --sortie rdc.json "
    "et passerelle envoyer rdc rdc.json --keyid caf-042-dev-2026 --agent sophie.bernard (README.md).",
)

# `passerelle journal`: the journal's commands, and the reconciliation of robot accesses that the
# auditors own (annexe 2).
journal = Application(help=journal_app.info.help)
journal.add_typer(journal_app)
journal.add_typer(rapprochement_app)

# `passerelle conventions`: what they allow (habilitations), and their suspension on a breach
# (art. 3.3), which journals and notifies the parties (acheminement).
conventions = Application(help=conventions_app.info.help)
conventions.add_typer(conventions_app)
conventions.add_typer(suspension_app)

COMMANDES = (
    ("envoyer", envoyer),  # passerelle/client/
    ("serve", serve),  # passerelle/serveur/
    ("demo", demo),  # passerelle/demo/
    ("purge", purge),  # passerelle/exploitation/commandes_purge.py (the policy: passerelle/conservation/) (docs/exploitation.md § 10)
    ("rapport", rapport),  # passerelle/gouvernance/ (docs/gouvernance.md)
    ("exemple", exemple),  # passerelle/catalogue/ (docs/exemples/)
)
GROUPES = (
    ("cles", cles_app),  # passerelle/cycle_cles/ (the organismes' keys, in the directory)
    ("organismes", organismes_app),  # passerelle/annuaire/
    ("conventions", conventions),  # passerelle/habilitations/
    ("schemas", schemas_app),  # passerelle/catalogue/
    ("robots", robots_app),  # passerelle/habilitations/
    ("secrets", secrets_app),  # passerelle/cycle_cles/
    ("livraisons", livraisons_app),  # passerelle/acheminement/
    ("boite", boite_app),  # passerelle/client/
    ("lots", lots_app),  # passerelle/client/
    ("journal", journal),  # passerelle/journal/, passerelle/auditeurs/
    ("base", base_app),  # passerelle/exploitation/
    ("auditeurs", auditeurs_app),  # passerelle/auditeurs/
    ("temoin", temoin_app),  # passerelle/temoin/ (C2SP tlog-witness)
)
for nom, commande in COMMANDES:
    app.command(nom)(commande)
for nom, groupe in GROUPES:
    app.add_typer(groupe, name=nom)


if __name__ == "__main__":
    app()
