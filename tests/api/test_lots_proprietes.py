"""Hypothesis on batch bodies, signed so that they reach line processing: random bytes, random
cells, BOM, CRLF, empty and enormous lines mixed with valid ones, NDJSON and CSV.

Whatever the body: never a 5xx; one result per physical line, numbered in order, the refused
ones with a problem and its ``code``; accepted + refused = lines sent; one journal entry per
line matching its result; and the journal still verifies once sequenced and exported.

Bounded for the normal suite (a few seconds each); ``--hypothesis-profile=profond``
(tests/conftest.py) runs that profile's number of examples instead.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passerelle.catalogue.colonnes import colonnes
from passerelle.journal.export import exporter
from passerelle.journal.sequenceur import cles_verification
from passerelle.journal.verificateur import verifier_export
from passerelle.stockage.tables import journal
from tests.catalogue.exemples import catalogue, exemple_rdc
from tests.journal_api.conftest import sequencer

LIMITE_NDJSON = 4096  # the per-line limit in the NDJSON property: enormous lines stay cheap
COLONNES = colonnes(catalogue()["rdc"].modele)
ENTETE = ";".join(nom for nom, _ in COLONNES).encode()
_cles = itertools.count()


def _reglages(rapide: int) -> settings:
    profond = settings.get_current_profile_name() == "profond"
    return settings(max_examples=settings.default.max_examples if profond else rapide, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _physiques(corps: bytes) -> list[bytes]:
    """The lines as the contract defines them: LF ends a line (a CR before it is dropped),
    the last may lack its LF, a BOM opening the file is not content."""
    if corps.startswith(b"\xef\xbb\xbf"):
        corps = corps[3:]
    lignes = corps.split(b"\n")
    if lignes[-1] == b"":
        lignes.pop()
    return [l[:-1] if l.endswith(b"\r") else l for l in lignes]


# --- strategies ---

tout_caractere = st.characters(codec=None, categories=None)  # surrogates and controls included
texte_hostile = st.text(tout_caractere, max_size=12)


def _valide(passerelle) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return exemple_rdc(aujourd_hui=passerelle.horloge().date())


def lignes_ndjson(valide: bytes, modele: dict[str, Any]) -> st.SearchStrategy[bytes]:
    altere = st.tuples(st.sampled_from(sorted(modele)), texte_hostile | st.integers() | st.none()).map(
        lambda cv: json.dumps({**modele, cv[0]: cv[1]}).encode())  # ensure_ascii: surrogates as \\udXXX escapes
    cle_hostile = texte_hostile.map(lambda k: json.dumps({**modele, k: "x"}).encode())
    return st.one_of(
        st.just(valide), st.just(valide), altere, cle_hostile,
        st.binary(max_size=80),
        texte_hostile.map(lambda t: t.encode("utf-8", "surrogatepass")),  # CESU bytes: not UTF-8
        st.sampled_from([b"", b"  ", b"\t", b"\r", b"\xef\xbb\xbf" + valide, b"{}", b"[]", b"null", b'"\\ud800"']),
        st.integers(LIMITE_NDJSON + 1, 4 * LIMITE_NDJSON).map(lambda n: b'{"nom_assure": "' + b"A" * n + b'"}'),
    )


def _cellule_csv(texte: str) -> str:
    return '"' + texte.replace('"', '""') + '"' if any(c in texte for c in ';"\r\n') else texte


def lignes_csv(valeurs: list[str]) -> st.SearchStrategy[bytes]:
    def remplacer(choix: tuple[int, str, bool]) -> bytes:
        rang, cellule, citer = choix
        cellules = list(valeurs)
        cellules[rang] = _cellule_csv(cellule) if citer else cellule
        return ";".join(cellules).encode("utf-8", "surrogatepass")

    cellule = st.one_of(
        texte_hostile,
        st.sampled_from(['"', '""', '"abc', 'a"b', ";", "\x00", "²", "1" * 40, "\ufeff"]),
        st.integers(131_000, 300_000).map(lambda n: "M" * n),  # past csv's default cell limit
    )
    valide = ";".join(valeurs).encode()
    return st.one_of(
        st.just(valide), st.just(valide),
        st.tuples(st.integers(0, len(valeurs) - 1), cellule, st.booleans()).map(remplacer),
        st.binary(max_size=80),
        st.sampled_from([b"", b";;;", b"\xef\xbb\xbf" + valide, valide + b";en trop", b'x;"y', b"\xff" + valide]),
    )


def corps_de(lignes: list[bytes], fins: list[bytes], bom: bool, derniere_fin: bool, entete: bytes | None = None) -> bytes:
    tout = ([entete] if entete is not None else []) + lignes
    corps = b"".join(l + f for l, f in zip(tout, fins)) if len(fins) >= len(tout) else b""
    if not derniere_fin and corps.endswith(b"\n"):
        corps = corps[:-2] if corps.endswith(b"\r\n") else corps[:-1]
    return (b"\xef\xbb\xbf" if bom else b"") + corps


# --- the properties ---


def _verifier_lot(passerelle, corps: bytes, type_contenu: str, valide: bytes, entete: bool) -> None:  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        avant = c.execute(sa.select(sa.func.count()).select_from(journal)).scalar_one()
    cle = f"propriete-{next(_cles)}"
    reponse = passerelle.organisme("caf-042").envoyer_lot("rdc", corps, cle_lot=cle, type_contenu=type_contenu)
    assert reponse.statut == 200, (reponse.statut, reponse.donnees)
    physiques = _physiques(corps)[1 if entete else 0:]
    resultats, resume = reponse.donnees["resultats"], reponse.donnees["resume"]
    assert [r["ligne"] for r in resultats] == list(range(1, len(physiques) + 1))
    assert resume["lignes"] == len(physiques) == resume["acceptees"] + resume["refusees"]
    assert resume["acceptees"] == sum("id" in r for r in resultats)
    for ligne, resultat in zip(physiques, resultats):
        if "id" not in resultat:
            probleme = resultat["probleme"]
            assert probleme["code"] and 400 <= probleme["status"] < 500 and probleme["detail"], probleme
            assert probleme["type"] == "urn:passerelle:probleme:" + probleme["code"]
        if ligne == valide:
            assert "id" in resultat, resultat
        elif not ligne.strip():
            assert resultat["probleme"]["code"] == "ligne_vide"
    with passerelle.services.moteur.connect() as c:
        nouvelles = list(c.execute(sa.select(journal).where(journal.c.index >= avant).order_by(journal.c.index)))
    assert [e.decision for e in nouvelles][-1] == "lot_traite" and len(nouvelles) == len(physiques) + 1
    for entree, resultat in zip(nouvelles, resultats):
        details = json.loads(bytes(entree.entree))["details"]
        assert details["lot"] == cle and details["ligne"] == resultat["ligne"]
        if "id" in resultat:
            assert entree.decision == "accepte" and entree.index == resultat["journal_index"]
        else:
            assert entree.decision == "refuse" and entree.code == resultat["probleme"]["code"]


def _journal_verifie(passerelle, dossier) -> None:  # type: ignore[no-untyped-def]
    services = passerelle.services
    sequencer(passerelle, forcer=True)
    origine = services.reglages.origine_journal
    cles = cles_verification(services.secrets.cles_signature, services.secrets.signature_active, origine)
    exporter(services.moteur, dossier, cles, origine, services.horloge())
    rapport = verifier_export(dossier)
    assert rapport.ok and rapport.entrees > 0, rapport.texte()


def test_lots_ndjson_quelconques(passerelle, tmp_path) -> None:  # type: ignore[no-untyped-def]
    passerelle.services.reglages.taille_max_corps = LIMITE_NDJSON
    modele = _valide(passerelle)
    valide = json.dumps(modele).encode()

    @st.composite
    def _corps(draw):  # type: ignore[no-untyped-def]
        lignes = draw(st.lists(lignes_ndjson(valide, modele), min_size=1, max_size=6))
        fins = draw(st.lists(st.sampled_from([b"\n", b"\r\n"]), min_size=len(lignes), max_size=len(lignes)))
        return corps_de(lignes, fins, draw(st.booleans()), draw(st.booleans()))

    @_reglages(12)
    @given(_corps())
    def essai(corps: bytes) -> None:
        if _physiques(corps):
            _verifier_lot(passerelle, corps, "application/x-ndjson", valide, entete=False)

    essai()
    _journal_verifie(passerelle, tmp_path / "export")


def test_lots_csv_quelconques(passerelle, tmp_path) -> None:  # type: ignore[no-untyped-def]
    modele = _valide(passerelle)
    valeurs = [str(modele.get(champ, "")) for _, champ in COLONNES]
    valide = ";".join(valeurs).encode()
    @_reglages(12)
    @given(st.lists(lignes_csv(valeurs), min_size=1, max_size=5),
           st.lists(st.sampled_from([b"\n", b"\r\n"]), min_size=6, max_size=6), st.booleans(), st.booleans())
    def essai(lignes: list[bytes], fins: list[bytes], bom: bool, derniere_fin: bool) -> None:
        _verifier_lot(passerelle, corps_de(lignes, fins, bom, derniere_fin, ENTETE), "text/csv", valide, entete=True)

    essai()
    _journal_verifie(passerelle, tmp_path / "export")


def test_entetes_csv_quelconques(passerelle) -> None:  # type: ignore[no-untyped-def]
    """A random header: the batch is processed or refused ``entete_csv_invalide``, never a 5xx."""
    noms = [nom for nom, _ in COLONNES]
    ligne = ";".join(str(_valide(passerelle).get(champ, "")) for _, champ in COLONNES).encode()
    entete = st.one_of(
        st.binary(max_size=60),
        st.lists(st.sampled_from(noms) | texte_hostile, max_size=40).map(lambda c: ";".join(c).encode("utf-8", "surrogatepass")),
        st.permutations(noms).map(lambda c: ",".join(c).encode()),
    )
    @_reglages(15)
    @given(entete)
    def essai(premiere: bytes) -> None:
        reponse = passerelle.organisme("caf-042").envoyer_lot("rdc", premiere + b"\n" + ligne + b"\n",
                                                             cle_lot=f"entete-{next(_cles)}", type_contenu="text/csv")
        assert reponse.statut in (200, 422), reponse.donnees
        if reponse.statut == 422:
            assert reponse.donnees["code"] == "entete_csv_invalide" and reponse.donnees["erreurs"]
        else:
            assert reponse.donnees["resume"]["lignes"] == 1

    essai()
