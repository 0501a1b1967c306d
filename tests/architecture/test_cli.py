"""``passerelle/cli.py`` only assembles the command groups of the domains (docs/architecture.md):
its imports come first, it defines no command of its own and grafts nothing onto another group."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parents[2] / "passerelle" / "cli.py"


def test_cli_ne_fait_qu_assembler() -> None:
    arbre = ast.parse(CLI.read_text(encoding="utf-8"))
    corps = [n for n in arbre.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    imports = [i for i, n in enumerate(corps) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert imports == list(range(len(imports))), "un import au milieu de cli.py"
    assert not [n.name for n in ast.walk(arbre) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))], (
        "cli.py définit une commande: elle va dans le paquet de son domaine"
    )
    # A group of a domain is only ever added to the root or to a group cli.py builds itself.
    construits = {"app"} | {
        cible.id for n in corps if isinstance(n, ast.Assign)
        for cible in n.targets if isinstance(cible, ast.Name)
        and isinstance(n.value, ast.Call) and getattr(n.value.func, "id", None) == "Application"
    }
    for noeud in ast.walk(arbre):
        if isinstance(noeud, ast.Call) and isinstance(noeud.func, ast.Attribute) and noeud.func.attr in ("command", "add_typer"):
            groupe = noeud.func.value
            assert isinstance(groupe, ast.Name) and groupe.id in construits, (
                f"l.{noeud.lineno}: commande greffée sur un groupe d'un autre module"
            )
