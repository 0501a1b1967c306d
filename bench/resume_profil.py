#!/usr/bin/env python
"""Summarise a py-spy ``raw`` profile (collapsed stacks) written by ``bench/accept.py --py-spy``.

Prints, as a share of the samples kept: the steps of the accept path (inclusive time of the
project's functions that make it), the top functions by inclusive and by self time, and self
time by package. Only samples whose stack passes through ``--sous`` are kept (default: every
sample); e.g. ``--sous EcritureGroupee._executer`` for the group-commit transactions.

    python bench/resume_profil.py /tmp/profil.txt [--sous EcritureGroupee._executer] [--top 30]
"""

from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

_CADRE = re.compile(r"^(?P<fonction>.*) \((?P<fichier>[^()]*?)(?::\d+)?\)$")

# The accept path, in order: (label, function, file fragment); a function matches its plain or
# qualified name (``Journal.ecrire`` or ``ecrire``), anywhere under the fragment. Inclusive shares.
ETAPES = [
    ("requête entière sous uvicorn (analyse HTTP comprise)", None, "uvicorn/protocols/"),
    ("middleware IdentifiantEtJournal (tout l'appel)", "IdentifiantEtJournal.__call__", "passerelle/api/"),
    ("  journal technique structlog", None, "structlog/"),
    ("route envoyer (tout)", "envoyer", "passerelle/api/"),
    ("  requete_bornee: message_http + lire_corps + empreinte", "requete_bornee", "passerelle/api/"),
    ("  deposer (hors transaction)", "deposer", "passerelle/reception/"),
    ("    verifier (RFC 9421 + digest + annuaire)", "verifier", "passerelle/reception/"),
    ("    examiner (Lu → Valide, sans base)", "examiner", "passerelle/reception/"),
    ("      autoriser (conventions)", "autoriser", "passerelle/habilitations/"),
    ("      valider_message (schéma + règles)", "valider_message", "passerelle/catalogue/"),
    ("    Signeur.reponse (reçu signé)", "reponse", "passerelle/reception/"),
    ("commit de groupe: transaction (opérations sur la boucle)", "_executer", "passerelle/stockage/ecriture_groupee"),
    ("  operation du dépôt (dans la transaction)", "deposer.<locals>.operation", "passerelle/reception/"),
    ("    authentifier (nonce, robot)", "authentifier", "passerelle/reception/"),
    ("    inscrire (Depot)", "inscrire", "passerelle/reception/"),
    ("      journal.ecrire (RFC 8785 + UPDATE + INSERT)", "ecrire", "passerelle/journal/"),
    ("      enregistrer_message (chiffrement + INSERT messages)", "enregistrer_message", "passerelle/acheminement/"),
    ("  fil d'aide: verrou, BEGIN IMMEDIATE", "_commencer", "passerelle/stockage/ecriture_groupee"),
    ("  fil d'aide: COMMIT", "_valider", "passerelle/stockage/ecriture_groupee"),
    ("transversal: SQLAlchemy (construction, compilation, exécution)", None, "sqlalchemy/"),
    ("transversal: http_sf (champs structurés: lecture et reçu)", None, "http_sf/"),
    ("transversal: métriques prometheus", None, "prometheus_client/"),
]


def _correspond(cadre: tuple[str, str], fonction: str | None, fragment: str) -> bool:
    nom, fichier = cadre
    if fragment not in fichier:
        return False
    return fonction is None or nom == fonction or nom.endswith("." + fonction)


def lire(chemin: Path) -> list[tuple[list[tuple[str, str]], int]]:
    piles = []
    for ligne in chemin.read_text(errors="replace").splitlines():
        pile, _, compte = ligne.rpartition(" ")
        if not pile or not compte.isdigit():
            continue
        cadres = []
        for brut in pile.split(";"):
            trouve = _CADRE.match(brut)
            cadres.append((trouve["fonction"], trouve["fichier"]) if trouve else (brut, ""))
        piles.append((cadres, int(compte)))
    return piles


def _paquet(fichier: str) -> str:
    if not fichier:
        return "(fil / natif)"
    if fichier.startswith("<frozen") or "/" not in fichier:
        return f"stdlib {fichier.split('.')[0]}"
    tete = fichier.split("/")[0]
    if tete == "passerelle":
        return "/".join(fichier.split("/")[:2])
    return tete


def main() -> None:
    analyse = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    analyse.add_argument("profil", type=Path)
    analyse.add_argument("--sous", default=None, help="ne garder que les piles passant par cette fonction")
    analyse.add_argument("--top", type=int, default=30)
    args = analyse.parse_args()

    piles = lire(args.profil)
    if args.sous:
        piles = [(c, n) for c, n in piles if any(_correspond(cadre, args.sous, "") for cadre in c)]
    total = sum(n for _, n in piles)
    if not total:
        raise SystemExit("aucun échantillon retenu")
    inclusif: collections.Counter[tuple[str, str]] = collections.Counter()
    propre: collections.Counter[tuple[str, str]] = collections.Counter()
    par_paquet: collections.Counter[str] = collections.Counter()
    for cadres, n in piles:
        for cadre in set(cadres):
            inclusif[cadre] += n
        feuille = cadres[-1]
        propre[feuille] += n
        par_paquet[_paquet(feuille[1])] += n

    def pct(n: int) -> str:
        return f"{100 * n / total:5.1f} %"

    print(f"{total} échantillons retenus" + (f" (piles passant par {args.sous})" if args.sous else ""))
    print("\nÉtapes du chemin d'acceptation (inclusif):")
    for libelle, fonction, fichier in ETAPES:
        n = sum(compte for cadres, compte in piles if any(_correspond(c, fonction, fichier) for c in cadres))
        print(f"  {pct(n)}  {libelle}")
    print(f"\nTop {args.top} inclusif:")
    for (f, fi), n in inclusif.most_common(args.top):
        print(f"  {pct(n)}  {f}  ({fi})")
    print(f"\nTop {args.top} propre (feuille):")
    for (f, fi), n in propre.most_common(args.top):
        print(f"  {pct(n)}  {f}  ({fi})")
    print("\nPropre, par paquet:")
    for paquet, n in par_paquet.most_common(25):
        print(f"  {pct(n)}  {paquet}")


if __name__ == "__main__":
    main()
