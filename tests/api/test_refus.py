"""Each refusal of the issue has its own code, changes nothing, and is journaled."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.annuaire.gestion import revoquer_cle
from passerelle.stockage.tables import idempotence, journal, messages
from tests.api.signature_independante import entetes_signes
from tests.catalogue.exemples import exemple_rdc

KEYID = "caf-042-dev-2026"


def _etat(passerelle):  # type: ignore[no-untyped-def]
    with passerelle.services.moteur.connect() as c:
        return (
            c.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one(),
            c.execute(sa.select(sa.func.count()).select_from(idempotence)).scalar_one(),
            c.execute(sa.select(journal).order_by(journal.c.index.desc()).limit(1)).first(),
        )


def _signes(passerelle, corps: bytes, *, keyid: str = KEYID, instant=None, nonce=None, chemin="/v1/flux/rdc"):  # type: ignore[no-untyped-def]
    cle = lire_privee_pem((passerelle.config / "developpement" / "cles" / f"{keyid}.pem").read_bytes())
    return entetes_signes(
        cle, keyid, methode="POST", url=f"http://testserver{chemin}", corps=corps,
        agent="sophie.bernard@caf-042", instant=instant or passerelle.horloge(), nonce=nonce,
    )


def _corps(passerelle, **surcharges) -> bytes:  # type: ignore[no-untyped-def]
    return json.dumps(exemple_rdc(aujourd_hui=passerelle.horloge().date(), **surcharges)).encode()


def _refuse(passerelle, reponse, statut: int, code: str, avant) -> dict:  # type: ignore[no-untyped-def]
    """Assert the problem document, that nothing changed, and that the refusal is journaled."""
    assert reponse.status_code == statut, reponse.text
    assert reponse.headers["content-type"].startswith("application/problem+json")
    probleme = reponse.json()
    assert probleme["code"] == code and probleme["status"] == statut
    assert probleme["type"].endswith(code) and probleme["detail"]
    apres = _etat(passerelle)
    assert apres[:2] == avant[:2], "un refus ne doit rien enregistrer"
    derniere = apres[2]
    assert derniere is not None and (avant[2] is None or derniere.index == avant[2].index + 1)
    assert derniere.decision == "refuse" and derniere.code == code
    return probleme


def test_non_signee(passerelle) -> None:  # type: ignore[no-untyped-def]
    avant = _etat(passerelle)
    r = passerelle.client.post("/v1/flux/rdc", content=_corps(passerelle), headers={"Content-Type": "application/json", "Passerelle-Agent": "x"})
    _refuse(passerelle, r, 401, "signature_absente", avant)


def test_mal_signee(passerelle) -> None:  # type: ignore[no-untyped-def]
    corps = _corps(passerelle)
    entetes = _signes(passerelle, corps, keyid="caf-069-dev-2026")
    entetes["Signature-Input"] = entetes["Signature-Input"].replace("caf-069-dev-2026", KEYID)
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=entetes), 401, "signature_invalide", avant)


def test_rejouee(passerelle) -> None:  # type: ignore[no-untyped-def]
    corps = _corps(passerelle)
    entetes = _signes(passerelle, corps)
    assert passerelle.client.post("/v1/flux/rdc", content=corps, headers=entetes).status_code == 202
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=entetes), 401, "nonce_rejoue", avant)


def test_ordre_des_controles_signature_puis_rejeu_puis_contenu(passerelle) -> None:  # type: ignore[no-untyped-def]
    """The content is examined before the transaction, yet refusals keep the order of the
    checks: a request refused for its content, replayed, is refused for the replay; badly
    signed and with a bad content, for the signature — and its journal entry says no more."""
    corps = json.dumps({**exemple_rdc(aujourd_hui=passerelle.horloge().date()), "type_allocation": "XYZ"}).encode()
    entetes = _signes(passerelle, corps)
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=entetes), 422, "schema_invalide", avant)
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=entetes), 401, "nonce_rejoue", avant)
    assert avant[2].destinataire == "carsat-ra"  # the first refusal knew where it was going
    replay = _etat(passerelle)[2]
    assert replay.organisme is None and replay.destinataire is None and replay.nir_index is None

    mal_signes = _signes(passerelle, corps, keyid="caf-069-dev-2026")
    mal_signes["Signature-Input"] = mal_signes["Signature-Input"].replace("caf-069-dev-2026", KEYID)
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=mal_signes), 401, "signature_invalide", avant)
    refus = _etat(passerelle)[2]
    assert refus.destinataire is None and refus.nir_index is None and refus.flux == "rdc"


def test_perimee(passerelle) -> None:  # type: ignore[no-untyped-def]
    corps = _corps(passerelle)
    entetes = _signes(passerelle, corps, instant=passerelle.horloge() - timedelta(seconds=301))
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=entetes), 401, "signature_perimee", avant)


def test_empreinte_differente(passerelle) -> None:  # type: ignore[no-untyped-def]
    corps = _corps(passerelle)
    entetes = _signes(passerelle, corps)
    altere = corps.replace(b"MARTIN", b"MARTIM")
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=altere, headers=entetes), 401, "empreinte_incorrecte", avant)


def test_cle_inconnue(passerelle) -> None:  # type: ignore[no-untyped-def]
    corps = _corps(passerelle)
    entetes = _signes(passerelle, corps)
    entetes["Signature-Input"] = entetes["Signature-Input"].replace(KEYID, "caf-042-inconnue")
    avant = _etat(passerelle)
    probleme = _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=entetes), 401, "cle_inconnue", avant)
    assert "caf-042-inconnue" in probleme["detail"]


def test_cle_revoquee_refusee_sans_redemarrage(passerelle) -> None:  # type: ignore[no-untyped-def]
    revoquer_cle(passerelle.config, KEYID, passerelle.horloge() - timedelta(minutes=1))
    passerelle.services.annuaire._intervalle = 0  # re-read at once instead of within a second
    corps = _corps(passerelle)
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=_signes(passerelle, corps)), 401, "cle_revoquee", avant)


def test_sans_convention(passerelle) -> None:  # type: ignore[no-untyped-def]
    passerelle.services.conventions = ()
    corps = _corps(passerelle)
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=_signes(passerelle, corps)), 403, "convention_absente", avant)


def test_mauvais_sens(passerelle) -> None:  # type: ignore[no-untyped-def]
    """A Carsat cannot send the CAF's signal 1 to a CAF."""
    corps = json.dumps(exemple_rdc(aujourd_hui=passerelle.horloge().date(), destinataire="caf-042")).encode()
    entetes = _signes(passerelle, corps, keyid="carsat-ra-dev-2026")
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=entetes), 403, "sens_non_autorise", avant)


def test_nir_invalide(passerelle) -> None:  # type: ignore[no-untyped-def]
    donnees = exemple_rdc(aujourd_hui=passerelle.horloge().date())
    nir = donnees["nir_assure"]
    donnees["nir_assure"] = nir[:-2] + f"{(int(nir[-2:]) % 97) + 1:02d}"  # wrong key
    corps = json.dumps(donnees).encode()
    avant = _etat(passerelle)
    probleme = _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=_signes(passerelle, corps)), 422, "nir_invalide", avant)
    assert [e["champ"] for e in probleme["erreurs"]] == ["nir_assure"]
    with passerelle.services.moteur.connect() as c:
        entree = c.execute(sa.select(journal.c.entree).order_by(journal.c.index.desc()).limit(1)).scalar_one()
    assert donnees["nir_assure"].encode() not in entree


def test_champs_manquants_tous_listes(passerelle) -> None:  # type: ignore[no-untyped-def]
    donnees = exemple_rdc(aujourd_hui=passerelle.horloge().date())
    del donnees["nom_assure"], donnees["type_allocation"]
    corps = json.dumps(donnees).encode()
    avant = _etat(passerelle)
    probleme = _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=_signes(passerelle, corps)), 422, "schema_invalide", avant)
    assert {e["champ"] for e in probleme["erreurs"]} == {"nom_assure", "type_allocation"}


def test_trop_volumineux(passerelle) -> None:  # type: ignore[no-untyped-def]
    limite = passerelle.services.reglages.taille_max_corps
    corps = b'{"x": "' + b"a" * limite + b'"}'
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post("/v1/flux/rdc", content=corps, headers=_signes(passerelle, corps)), 413, "corps_trop_volumineux", avant)


@pytest.mark.parametrize(
    "chemin,code,statut",
    [("/v1/flux/inexistant", "flux_inconnu", 404)],
)
def test_flux_inconnu(passerelle, chemin, code, statut) -> None:  # type: ignore[no-untyped-def]
    corps = _corps(passerelle)
    avant = _etat(passerelle)
    _refuse(passerelle, passerelle.client.post(chemin, content=corps, headers=_signes(passerelle, corps, chemin=chemin)), statut, code, avant)


def test_cloture_sans_rdc_connu(passerelle) -> None:  # type: ignore[no-untyped-def]
    from tests.catalogue.exemples import exemple_cloture_rdc

    carsat = passerelle.organisme("carsat-ra")
    r = carsat.envoyer("cloture-rdc", exemple_cloture_rdc(en_reponse_a="3f2b8c1e-5d4a-4c7b-9e1f-0a2b3c4d5e6f"))
    assert r.statut == 422 and r.donnees["code"] == "demande_inconnue"


def test_cloture_d_un_rdc_adresse_a_un_autre(passerelle) -> None:  # type: ignore[no-untyped-def]
    """cnav-idf cannot close an rdc that caf-042 sent to carsat-ra, and learns nothing of it."""
    from tests.catalogue.exemples import exemple_cloture_rdc

    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    assert recu.statut == 202
    r = passerelle.organisme("cnav-idf").envoyer("cloture-rdc", exemple_cloture_rdc(en_reponse_a=recu.donnees["id"], code_carsat="IDF"))
    assert r.statut == 422 and r.donnees["code"] == "demande_inconnue"


def test_message_d_un_autre_invisible(passerelle) -> None:  # type: ignore[no-untyped-def]
    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    autre = passerelle.organisme("caf-069")
    assert autre.message(recu.donnees["id"]).donnees["code"] == "message_inconnu"
    assert autre.acquitter(recu.donnees["id"]).donnees["code"] == "message_inconnu"
    assert passerelle.organisme("caf-042").acquitter(recu.donnees["id"]).statut == 404  # only the destination acknowledges


def test_meme_cle_autre_flux_refuse(passerelle) -> None:  # type: ignore[no-untyped-def]
    caf = passerelle.organisme("caf-042")
    jour = passerelle.horloge().date()
    assert caf.envoyer("rdc", exemple_rdc(aujourd_hui=jour), cle_idempotence="k").statut == 202
    from tests.catalogue.exemples import exemple_passage_retraite

    autre = caf.envoyer("passage-retraite", exemple_passage_retraite(aujourd_hui=jour), cle_idempotence="k")
    assert autre.statut == 422 and autre.donnees["code"] == "idempotence_conflit"


def test_reponse_json_invalide_et_identifiant_en_majuscules(passerelle) -> None:  # type: ignore[no-untyped-def]
    from tests.catalogue.exemples import exemple_cloture_rdc

    rdc = exemple_rdc(aujourd_hui=passerelle.horloge().date())
    recu = passerelle.organisme("caf-042").envoyer("rdc", rdc)
    carsat = passerelle.organisme("carsat-ra")
    assert carsat.envoyer("cloture-rdc", b'{"en_reponse_a": ').donnees["code"] == "json_invalide"
    donnees = exemple_cloture_rdc(en_reponse_a=recu.donnees["id"].upper(), nir_assure=rdc["nir_assure"])
    r = carsat.envoyer("cloture-rdc", donnees)
    assert r.statut == 202, r.donnees


def test_historique_sans_les_tentatives_des_tiers(passerelle) -> None:  # type: ignore[no-untyped-def]
    recu = passerelle.organisme("caf-042").envoyer("rdc", exemple_rdc(aujourd_hui=passerelle.horloge().date()))
    assert passerelle.organisme("caf-069").acquitter(recu.donnees["id"]).statut == 404
    historique = passerelle.organisme("caf-042").message(recu.donnees["id"]).donnees["historique"]
    assert [h["decision"] for h in historique] == ["accepte"]
