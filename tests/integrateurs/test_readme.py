"""The README's "Essayer un échange", copied as written, reaches an acknowledged message against a
real gateway, with no file written by hand and nothing the shell would misread (no ``<id>``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.integrateurs.conftest import RACINE, PasserelleProcessus


def _bloc_essai() -> list[str]:
    texte = (RACINE / "README.md").read_text(encoding="utf-8")
    section = texte.split("## Essayer un échange", 1)[1].split("\n## ", 1)[0]
    bloc = re.search(r"```sh\n(.*?)```", section, re.S)
    assert bloc is not None
    return [l for l in bloc.group(1).splitlines() if l.strip()]


def test_essayer_un_echange_tel_qu_ecrit(passerelle_processus: PasserelleProcessus) -> None:
    lignes = _bloc_essai()
    assert len(lignes) == 4 and all(l.startswith(".venv/bin/passerelle ") for l in lignes)
    assert not any(c in "".join(lignes) for c in "<>|;&$`"), lignes
    environnement = {**os.environ, "PASSERELLE_URL": passerelle_processus.url}
    sorties = []
    for ligne in lignes:
        commande = ligne.replace(".venv/bin/passerelle", f"{sys.executable} -m passerelle.cli", 1)
        resultat = subprocess.run(["sh", "-c", commande], cwd=passerelle_processus.dossier, env=environnement,
                                  capture_output=True, text=True, timeout=120)
        assert resultat.returncode == 0, (ligne, resultat.stdout, resultat.stderr)
        assert "Traceback" not in resultat.stderr
        sorties.append(resultat.stdout)
    recu = json.loads(sorties[1])
    assert recu["statut"] == "recu" and recu["destinataire"] == "carsat-ra"
    assert [m["id"] for m in json.loads(sorties[2])["messages"]] == [recu["id"]]
    acquittements = json.loads(sorties[3])
    assert [(a["id"], a["statut"]) for a in acquittements] == [(recu["id"], "acquitte")]
