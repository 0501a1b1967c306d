"""``http`` against ``httpx.MockTransport``: the receiver contract, status by status."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest

from connecteurs.base import Consultation, Remise
from connecteurs.erreurs import ConsultationImpossible
from connecteurs.http import ConnecteurHttp, creer
from passerelle.erreurs import RefusAuthentification
from tests.connecteurs.outils import KEYID_PASSERELLE, NIR, contexte, message
from tests.connecteurs.signature_passerelle import verifier_passerelle

URL = "https://caisse.example/api/passerelle"


@pytest.fixture
async def fabriquer(cle_passerelle, horloge):
    """A connector whose network is ``gestionnaire``; closed after the test."""
    crees: list[ConnecteurHttp] = []

    def _fabriquer(gestionnaire, **parametres):
        ctx = contexte({"url": URL, **parametres}, cle=cle_passerelle, horloge=horloge)
        connecteur = creer(ctx, transport=httpx.MockTransport(gestionnaire))
        crees.append(connecteur)
        return connecteur

    yield _fabriquer
    for connecteur in crees:
        await connecteur.fermer()


def _verifier(requete: httpx.Request, cle_passerelle, horloge):
    return verifier_passerelle(
        methode=requete.method,
        chemin=requete.url.raw_path.split(b"?", 1)[0].decode("ascii"),
        requete=requete.url.query.decode("ascii"),
        entetes=requete.headers,
        corps=requete.content,
        publique=cle_passerelle.public_key(),
        maintenant=int(horloge.timestamp()),
    )


async def test_remise_signee_par_la_passerelle(fabriquer, cle_passerelle, horloge):
    recues: list[httpx.Request] = []

    def gestionnaire(requete: httpx.Request) -> httpx.Response:
        recues.append(requete)
        return httpx.Response(202, json={"accuse": "AR-2026-000017"})

    m = message()
    [remise] = await fabriquer(gestionnaire).livrer([m])

    assert remise == Remise(livre=True, detail="HTTP 202", accuse="AR-2026-000017")
    [requete] = recues
    assert requete.method == "POST"
    assert requete.url.path == f"/api/passerelle/messages/{m.id}"
    assert requete.headers["passerelle-message-id"] == m.id
    assert requete.headers["idempotency-key"] == m.id
    assert requete.headers["passerelle-agent"] == "passerelle"
    assert requete.headers["content-type"] == "application/json"
    verifiee = _verifier(requete, cle_passerelle, horloge)
    assert verifiee.keyid == KEYID_PASSERELLE
    assert set(verifiee.composants) >= {
        "@method", "@path", "@query", "passerelle-agent", "content-type", "content-digest"
    }
    corps = json.loads(requete.content)
    assert corps == m.en_json()
    assert corps["recu_le"] == "2026-11-23T09:59:30.123456Z"
    assert corps["contenu"]["nir_assure"] == NIR


async def test_corps_altere_refuse_par_le_destinataire(fabriquer, cle_passerelle, horloge):
    """The test's verifier can fail: a body changed after signing is caught."""
    recues: list[httpx.Request] = []
    await fabriquer(lambda r: recues.append(r) or httpx.Response(204)).livrer([message()])
    requete = recues[0]
    altere = httpx.Request("POST", requete.url, headers=requete.headers, content=requete.content.replace(b"Martin", b"Durand"))
    with pytest.raises(RefusAuthentification) as erreur:
        _verifier(altere, cle_passerelle, horloge)
    assert erreur.value.code == "empreinte_incorrecte"


@pytest.mark.parametrize(
    ("statut", "livre", "definitif"),
    [
        (200, True, False), (201, True, False), (202, True, False), (204, True, False),
        (409, True, False),
        (408, False, False), (429, False, False), (500, False, False), (502, False, False),
        (503, False, False), (504, False, False),
        (400, False, True), (401, False, True), (403, False, True), (404, False, True),
        (410, False, True), (413, False, True), (422, False, True),
        (301, False, True), (307, False, True),
    ],
)
async def test_statuts(fabriquer, statut, livre, definitif):
    [remise] = await fabriquer(lambda r: httpx.Response(statut, headers={"Location": "https://ailleurs.example/"})).livrer([message()])
    assert (remise.livre, remise.definitif) == (livre, definitif)
    assert str(statut) in remise.detail


async def test_le_detail_ne_cite_que_le_code_du_probleme(fabriquer):
    def gestionnaire(requete):
        return httpx.Response(
            422,
            json={"type": "about:blank", "code": "nir_inconnu", "detail": f"NIR {NIR} inconnu chez nous"},
        )

    [remise] = await fabriquer(gestionnaire).livrer([message()])
    assert remise.definitif and not remise.livre
    assert "nir_inconnu" in remise.detail
    assert NIR not in remise.detail


async def test_code_de_probleme_hostile_ignore(fabriquer):
    [remise] = await fabriquer(lambda r: httpx.Response(400, json={"code": f"NIR {NIR}"})).livrer([message()])
    assert NIR not in remise.detail


async def test_retry_after_en_secondes(fabriquer):
    [remise] = await fabriquer(lambda r: httpx.Response(503, headers={"Retry-After": "120"})).livrer([message()])
    assert remise.reessayer_apres == 120.0 and not remise.definitif


async def test_retry_after_en_date_http(fabriquer, horloge):
    date = format_datetime(horloge().replace(microsecond=0) + timedelta(minutes=5), usegmt=True)
    [remise] = await fabriquer(lambda r: httpx.Response(429, headers={"Retry-After": date})).livrer([message()])
    assert remise.reessayer_apres == 300.0


@pytest.mark.parametrize(("valeur", "attendu"), [("demain", None), ("-5", None), ("999999999", 86400.0)])
async def test_retry_after_invalide_ou_borne(fabriquer, valeur, attendu):
    [remise] = await fabriquer(lambda r: httpx.Response(503, headers={"Retry-After": valeur})).livrer([message()])
    assert remise.reessayer_apres == attendu


@pytest.mark.parametrize(
    ("exception", "motif"),
    [
        (httpx.ConnectTimeout("délai"), "délai de connexion dépassé"),
        (httpx.ReadTimeout("délai"), "délai de lecture"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "connexion impossible"),
        (httpx.RemoteProtocolError("Server disconnected"), "erreur de transport"),
    ],
)
async def test_erreurs_de_transport_reessayables(fabriquer, exception, motif):
    def gestionnaire(requete):
        raise exception

    [remise] = await fabriquer(gestionnaire).livrer([message()])
    assert not remise.livre and not remise.definitif
    assert motif in remise.detail


async def test_lot_dans_l_ordre_et_concurrence_bornee(fabriquer):
    en_cours = 0
    maximum = 0
    plein = asyncio.Event()
    liberer = asyncio.Event()
    statuts = {}

    async def gestionnaire(requete):
        nonlocal en_cours, maximum
        en_cours += 1
        maximum = max(maximum, en_cours)
        if en_cours == 2:
            plein.set()
        await liberer.wait()
        en_cours -= 1
        return httpx.Response(statuts[requete.headers["passerelle-message-id"]])

    messages = [message() for _ in range(6)]
    for index, m in enumerate(messages):
        statuts[m.id] = [202, 503, 400, 409, 204, 500][index]
    connecteur = fabriquer(gestionnaire, concurrence=2)
    assert connecteur.livraison_par_lot == 2
    tache = asyncio.create_task(connecteur.livrer(messages))
    await asyncio.wait_for(plein.wait(), 5)
    for _ in range(20):
        await asyncio.sleep(0)
    assert en_cours == 2
    liberer.set()
    remises = await asyncio.wait_for(tache, 5)
    assert maximum == 2
    assert [r.livre for r in remises] == [True, False, False, True, True, False]
    assert [r.definitif for r in remises] == [False, False, True, False, False, False]


@pytest.mark.parametrize("identifiant", ["../../admin", "..", ".", "a/b", "a b", "x" * 200, "", "a\r\nX-Injecte: 1"])
async def test_identifiant_hostile_jamais_envoye(fabriquer, identifiant):
    recues = []
    [remise] = await fabriquer(lambda r: recues.append(r) or httpx.Response(202)).livrer([message(id=identifiant)])
    assert recues == []
    assert remise.definitif and not remise.livre


async def test_delais_pris_dans_les_parametres(fabriquer):
    connecteur = fabriquer(lambda r: httpx.Response(204), timeout=7, timeout_connexion=2, timeout_lecture=30)
    delais = connecteur._client.timeout
    assert (delais.connect, delais.read, delais.write, delais.pool) == (2, 30, 7, 7)


async def test_fermer_ferme_le_client(fabriquer):
    connecteur = fabriquer(lambda r: httpx.Response(204))
    await connecteur.fermer()
    assert connecteur._client.is_closed


# --- consultations -------------------------------------------------------------------------

CONSULTATION = Consultation("etat-dossier", "caf-042", "carsat-ra", {"nir_assure": NIR})


async def test_consultation_signee_et_reponse_rendue(fabriquer, cle_passerelle, horloge):
    recues = []

    def gestionnaire(requete):
        recues.append(requete)
        return httpx.Response(200, json={"etat": "en_cours"})

    reponse = await fabriquer(gestionnaire).consulter(CONSULTATION)
    assert reponse.donnees == {"etat": "en_cours"}
    [requete] = recues
    assert requete.url.path == "/api/passerelle/consultations/etat-dossier"
    _verifier(requete, cle_passerelle, horloge)
    assert json.loads(requete.content) == {
        "type": "etat-dossier", "emetteur": "caf-042", "destinataire": "carsat-ra",
        "parametres": {"nir_assure": NIR},
    }


def _leve(exception):
    def gestionnaire(requete):
        raise exception
    return gestionnaire


@pytest.mark.parametrize(
    ("gestionnaire", "code", "temporaire"),
    [
        (_leve(httpx.ReadTimeout("délai")), "consultation_delai_depasse", True),
        (_leve(httpx.ConnectTimeout("délai")), "consultation_delai_depasse", True),
        (_leve(httpx.ConnectError("refusée")), "destinataire_indisponible", True),
        (lambda r: httpx.Response(503), "destinataire_indisponible", True),
        (lambda r: httpx.Response(500), "destinataire_indisponible", True),
        (lambda r: httpx.Response(404), "consultation_non_prise_en_charge", False),
        (lambda r: httpx.Response(400, json={"code": "parametre_manquant"}), "consultation_refusee_par_destinataire", False),
        (lambda r: httpx.Response(200, text="pas du JSON"), "reponse_destinataire_invalide", True),
        (lambda r: httpx.Response(200, json=[1, 2]), "reponse_destinataire_invalide", True),
    ],
)
async def test_consultation_impossible(fabriquer, gestionnaire, code, temporaire):
    with pytest.raises(ConsultationImpossible) as erreur:
        await fabriquer(gestionnaire).consulter(CONSULTATION)
    assert (erreur.value.code, erreur.value.temporaire) == (code, temporaire)


async def test_type_de_consultation_hostile(fabriquer):
    recues = []
    with pytest.raises(ConsultationImpossible) as erreur:
        await fabriquer(lambda r: recues.append(r) or httpx.Response(200, json={})).consulter(
            Consultation("../messages", "caf-042", "carsat-ra", {})
        )
    assert erreur.value.code == "consultation_non_prise_en_charge"
    assert recues == []


# --- santé ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("gestionnaire", "disponible"),
    [
        (lambda r: httpx.Response(200), True),
        (lambda r: httpx.Response(404), True),
        (lambda r: httpx.Response(503), False),
        (_leve(httpx.ConnectError("refusée")), False),
    ],
)
async def test_sante(fabriquer, gestionnaire, disponible):
    etat = await fabriquer(gestionnaire).sante()
    assert etat.disponible is disponible
