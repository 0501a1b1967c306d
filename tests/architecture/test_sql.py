"""SQL lives in ``passerelle/stockage/`` only (docs/architecture.md): elsewhere a module may hold a
``Connection`` (a transaction handle) and call storage functions, never build a query or read a table."""

from __future__ import annotations

import ast
from pathlib import Path

RACINE = Path(__file__).resolve().parents[2]
REQUETES = {"select", "insert", "update", "delete", "text", "union_all", "func"}

# Files being cleaned on the other branches of the same change: the merger empties this list.
EN_COURS: set[str] = set()  # every module of the gateway is clean; a new SQL outside stockage/ fails


def sql_dans(source: str) -> list[str]:
    """What in ``source`` builds SQL or names a table: one line per finding."""
    trouve = []
    alias_sa = set()
    for noeud in ast.walk(ast.parse(source)):
        if isinstance(noeud, ast.Import):
            for nom in noeud.names:
                if nom.name == "sqlalchemy":
                    alias_sa.add(nom.asname or nom.name)
                if nom.name.startswith("passerelle.stockage.tables"):
                    trouve.append(f"l.{noeud.lineno}: import {nom.name}")
        elif isinstance(noeud, ast.ImportFrom) and noeud.module:
            if noeud.module.startswith("passerelle.stockage.tables") or (
                noeud.module == "passerelle.stockage" and any(n.name == "tables" for n in noeud.names)
            ):
                trouve.append(f"l.{noeud.lineno}: tables de passerelle.stockage")
            if noeud.module.split(".")[0] == "sqlalchemy":
                for nom in noeud.names:
                    if nom.name in REQUETES:
                        trouve.append(f"l.{noeud.lineno}: from {noeud.module} import {nom.name}")
    for noeud in ast.walk(ast.parse(source)):
        if (isinstance(noeud, ast.Attribute) and isinstance(noeud.value, ast.Name)
                and noeud.value.id in alias_sa and noeud.attr in REQUETES):
            trouve.append(f"l.{noeud.lineno}: {noeud.value.id}.{noeud.attr}")
    return trouve


def test_pas_de_sql_hors_du_stockage() -> None:
    fautifs = {}
    for fichier in sorted((RACINE / "passerelle").rglob("*.py")):
        relatif = fichier.relative_to(RACINE).as_posix()
        if relatif.startswith("passerelle/stockage/") or relatif in EN_COURS:
            continue
        trouve = sql_dans(fichier.read_text(encoding="utf-8"))
        if trouve:
            fautifs[relatif] = trouve
    assert not fautifs, "du SQL hors de passerelle/stockage/:\n" + "\n".join(
        f"{f}: {', '.join(t)}" for f, t in fautifs.items()
    )


def test_la_liste_en_cours_ne_garde_que_des_fautifs() -> None:
    """A file cleaned (or gone) leaves the list, so the list cannot hide a new offence."""
    propres = [f for f in sorted(EN_COURS) if not (RACINE / f).exists() or not sql_dans((RACINE / f).read_text(encoding="utf-8"))]
    assert not propres, f"à retirer de EN_COURS: {propres}"


def test_le_detecteur_voit_les_formes_courantes() -> None:
    assert sql_dans("import sqlalchemy as sa\nsa.select(1)\n")
    assert sql_dans("from sqlalchemy import text\n")
    assert sql_dans("from passerelle.stockage.tables import journal\n")
    assert sql_dans("from passerelle.stockage import tables\n")
    assert not sql_dans("import sqlalchemy as sa\nfrom sqlalchemy.engine import Connection\nexcept_ = sa.exc.SQLAlchemyError\n")
