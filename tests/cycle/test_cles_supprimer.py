"""Drill: removing an organisme's key from the directory. Refused while it is the organisme's only
valid key (unless forced), journaled as a configuration change, applied by the running gateway
at its next reading of the directory."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.client import ClientPasserelle
from passerelle.stockage.tables import journal


def _client(passerelle: Any, keyid: str) -> ClientPasserelle:
    cle = lire_privee_pem((passerelle.config / "developpement" / "cles" / f"{keyid}.pem").read_bytes())
    return ClientPasserelle("http://testserver", cle, keyid, "agent.test", http=passerelle.client,
                            horloge=passerelle.horloge.timestamp)


def _entrees(passerelle: Any) -> list[dict[str, Any]]:
    with passerelle.services.moteur.connect() as c:
        return [json.loads(e) for e in c.execute(
            sa.select(journal.c.entree).where(journal.c.decision == "cle_supprimee").order_by(journal.c.index)).scalars()]


def test_supprimer_une_cle_de_l_annuaire(exploitation) -> None:  # type: ignore[no-untyped-def]
    p = exploitation.passerelle
    cles = p.config / "annuaire" / "cles.yaml"
    fraude = _client(p, "caf-042-fraude-dev-2026")
    assert fraude.boite().statut == 200

    avant = cles.read_bytes()
    sortie = exploitation.cli("cles", "supprimer", "cpam-030-dev-2026", code=1)
    assert "seule clé valide de cpam-030" in sortie and "--forcer" in sortie
    assert cles.read_bytes() == avant and _entrees(p) == []  # refused: nothing changed, nothing journaled

    exploitation.cli("cles", "supprimer", "caf-042-fraude-dev-2026", "--motif", "clé saisie par erreur",
                     "--operateur", "exploitant.a")
    [entree] = _entrees(p)
    assert entree["organisme"] == "caf-042" and entree["cle"] == "caf-042-fraude-dev-2026"
    assert entree["agent"] == "exploitant.a" and entree["details"]["motif"] == "clé saisie par erreur"
    assert entree["details"]["forcee"] is False and entree["details"]["publique"]
    # The running gateway applies it at its next reading of the directory, without a restart.
    refus = fraude.boite()
    assert refus.statut == 401 and refus.donnees["code"] == "cle_inconnue"
    assert p.organisme("caf-042").boite().statut == 200  # its other keys still work

    exploitation.cli("cles", "supprimer", "cpam-030-dev-2026", "--forcer")
    assert _entrees(p)[-1]["details"]["forcee"] is True
    assert p.organisme("cpam-030").boite().donnees["code"] == "cle_inconnue"
    assert "cpam-030-dev-2026" not in cles.read_text()
    sortie = exploitation.cli("cles", "supprimer", "cle-inexistante", code=1)
    assert "n'est pas dans l'annuaire" in sortie
