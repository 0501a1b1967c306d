"""What each of the deployment's keys is still used for, so an operator knows when an old key can
go: ``passerelle secrets etat``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from passerelle.secrets_deploiement import INDEX_INITIALE, SecretsDeploiement
from passerelle.stockage import cles_donnees


@dataclass(frozen=True)
class UsageChiffrement:
    cle: str
    messages: int  # live rows under this at-rest key
    sans_enveloppe: int  # of which written before envelopes


@dataclass(frozen=True)
class UsageIndex:
    cle: str
    messages: int  # live messages indexed under it
    purges: int  # purged messages indexed under it (cannot be re-indexed)
    dossiers: int


def usage_chiffrement(connexion: Connection) -> dict[str, UsageChiffrement]:
    return {cle: UsageChiffrement(cle, n, sans) for cle, n, sans in cles_donnees.usage_chiffrement(connexion)}


def usage_index(connexion: Connection) -> dict[str, UsageIndex]:
    u = cles_donnees.usage_index(connexion, INDEX_INITIALE)
    idents = set(u.messages_vivants) | set(u.messages_purges) | set(u.dossiers)
    return {i: UsageIndex(i, u.messages_vivants.get(i, 0), u.messages_purges.get(i, 0), u.dossiers.get(i, 0)) for i in idents}


def rapport(connexion: Connection, secrets: SecretsDeploiement) -> list[str]:
    """The state, in French, one line per key, with what may be done with each."""
    lignes = ["Clés de signature (accusés de réception, checkpoints du journal):"]
    for keyid in sorted(secrets.cles_signature):
        role = "ACTIVE" if keyid == secrets.signature_active else "en service (publiée, cosigne les checkpoints)"
        lignes.append(f"  {keyid:28} {role}")
    for keyid, retiree in sorted(secrets.signature_retirees.items()):
        quand = f" le {retiree.retiree_le:%Y-%m-%d}" if retiree.retiree_le else ""
        lignes.append(f"  {keyid:28} retirée{quand} (clé publique gardée: vérifie ce qu'elle a signé)")
    usage = usage_chiffrement(connexion)
    lignes.append("Clés de chiffrement au repos (contenus des messages):")
    for ident in sorted(set(secrets.cles_chiffrement) | set(usage)):
        u = usage.get(ident, UsageChiffrement(ident, 0, 0))
        if ident not in secrets.cles_chiffrement:
            avis = f"ABSENTE DES SECRETS: {u.messages} message(s) illisible(s)"
        elif ident == secrets.chiffrement_active:
            avis = "ACTIVE"
        elif u.messages:
            avis = f"encore utilisée par {u.messages} message(s): `passerelle secrets rechiffrer`"
        else:
            avis = "plus utilisée par aucun message: peut être retirée"
        sans = f" ({u.sans_enveloppe} sans clé de données)" if u.sans_enveloppe else ""
        lignes.append(f"  {ident:28} {u.messages:>9} message(s){sans} — {avis}")
    index = usage_index(connexion)
    lignes.append("Clés d'index aveugle (NIR):")
    for ident in sorted(set(secrets.cles_index) | set(index)):
        u = index.get(ident, UsageIndex(ident, 0, 0, 0))
        if ident not in secrets.cles_index:
            avis = "ABSENTE DES SECRETS: ses index ne se retrouvent plus par NIR"
        elif ident == secrets.index_aveugle_active:
            avis = "ACTIVE"
        elif u.messages or u.dossiers:
            avis = "réindexation à faire: `passerelle secrets reindexer`"
        else:
            avis = ("gardée pour la recherche: les entrées du journal (et les messages purgés) indexées avec "
                    "elle ne se retrouvent par NIR qu'avec elle")
        lignes.append(f"  {ident:28} {u.messages:>9} message(s), {u.purges} purgé(s), {u.dossiers} dossier(s) — {avis}")
    return lignes
