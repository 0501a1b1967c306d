"""``http`` against a real caisse server: TLS with a client certificate, the gateway's
signature checked with ``verifier_requete``, and deduplication on the message id."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from dataclasses import dataclass, field

import pytest
import uvicorn

from connecteurs.erreurs import ParametresConnecteurInvalides
from connecteurs.http import creer
from passerelle.erreurs import RefusAuthentification
from tests.connecteurs.outils import contexte, message
from tests.connecteurs.pki import creer_pki
from tests.connecteurs.signature_passerelle import verifier_passerelle


@dataclass
class CaisseFictive:
    """The receiving side as the contract describes it (docs/connecteurs.md)."""

    publique: object
    horloge: object
    stockes: dict[str, dict] = field(default_factory=dict)
    refus: list[str] = field(default_factory=list)
    requetes: int = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        self.requetes += 1
        corps = b""
        while True:
            evenement = await receive()
            corps += evenement.get("body", b"")
            if not evenement.get("more_body"):
                break
        entetes = {nom.decode("latin-1"): valeur.decode("latin-1") for nom, valeur in scope["headers"]}
        try:
            verifier_passerelle(
                methode=scope["method"],
                chemin=scope["raw_path"].decode("ascii").split("?", 1)[0],
                requete=scope["query_string"].decode("ascii"),
                entetes=entetes,
                corps=corps,
                publique=self.publique,
                maintenant=int(self.horloge.timestamp()),
            )
        except RefusAuthentification as exc:
            self.refus.append(exc.code)
            await self._repondre(send, 401, {"code": exc.code})
            return
        identifiant = entetes["idempotency-key"]
        if identifiant in self.stockes:
            await self._repondre(send, 409, {"code": "deja_recu", "accuse": f"AR-{identifiant[:8]}"})
            return
        self.stockes[identifiant] = json.loads(corps)
        await self._repondre(send, 202, {"accuse": f"AR-{identifiant[:8]}"})

    @staticmethod
    async def _repondre(send, statut, donnees):
        corps = json.dumps(donnees).encode()
        await send({"type": "http.response.start", "status": statut,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": corps})


@pytest.fixture
async def serveur(tmp_path, cle_passerelle, horloge):
    pki = creer_pki(tmp_path)
    caisse = CaisseFictive(publique=cle_passerelle.public_key(), horloge=horloge)
    config = uvicorn.Config(
        caisse, lifespan="off", log_level="warning",
        ssl_certfile=str(pki.serveur_certificat), ssl_keyfile=str(pki.serveur_cle),
        ssl_ca_certs=str(pki.ca), ssl_cert_reqs=ssl.CERT_REQUIRED,
    )
    serveur = uvicorn.Server(config)
    prise = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    prise.bind(("127.0.0.1", 0))
    port = prise.getsockname()[1]
    tache = asyncio.create_task(serveur.serve(sockets=[prise]))
    for _ in range(500):  # bounded polling: at most ~5 s
        if serveur.started or tache.done():
            break
        await asyncio.sleep(0.01)
    assert serveur.started, "le serveur de test n'a pas démarré"
    yield f"https://127.0.0.1:{port}", pki, caisse
    serveur.should_exit = True
    await asyncio.wait_for(tache, 10)
    prise.close()


async def test_livraison_signee_et_dedoublonnee(serveur, cle_passerelle, horloge):
    url, pki, caisse = serveur
    connecteur = creer(contexte(
        {"url": url, "verify": str(pki.ca), "certificat_client": str(pki.client_certificat),
         "cle_client": str(pki.client_cle), "timeout": 5},
        cle=cle_passerelle, horloge=horloge,
    ))
    try:
        m = message()
        [premiere] = await connecteur.livrer([m])
        [seconde] = await connecteur.livrer([m])  # e.g. after a timeout we could not interpret
    finally:
        await connecteur.fermer()
    assert caisse.refus == []
    assert premiere.livre and premiere.accuse == f"AR-{m.id[:8]}"
    assert seconde.livre and "409" in seconde.detail
    assert list(caisse.stockes) == [m.id]
    assert caisse.stockes[m.id] == m.en_json()
    assert caisse.requetes == 2


async def test_signature_d_une_autre_cle_refusee_par_la_caisse(serveur, horloge):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    url, pki, caisse = serveur
    connecteur = creer(contexte(
        {"url": url, "verify": str(pki.ca), "certificat_client": str(pki.client_certificat),
         "cle_client": str(pki.client_cle)},
        cle=Ed25519PrivateKey.generate(), horloge=horloge,
    ))
    try:
        [remise] = await connecteur.livrer([message()])
    finally:
        await connecteur.fermer()
    assert not remise.livre and remise.definitif and "401" in remise.detail
    assert caisse.refus == ["signature_invalide"] and caisse.stockes == {}


async def test_sans_certificat_client_la_caisse_refuse_la_connexion(serveur, cle_passerelle, horloge):
    url, pki, caisse = serveur
    connecteur = creer(contexte({"url": url, "verify": str(pki.ca), "timeout": 5}, cle=cle_passerelle, horloge=horloge))
    try:
        [remise] = await connecteur.livrer([message()])
    finally:
        await connecteur.fermer()
    assert not remise.livre and not remise.definitif
    assert caisse.stockes == {}


async def test_serveur_non_reconnu_sans_l_autorite(serveur, cle_passerelle, horloge):
    url, pki, caisse = serveur
    connecteur = creer(contexte(
        {"url": url, "certificat_client": str(pki.client_certificat), "cle_client": str(pki.client_cle)},
        cle=cle_passerelle, horloge=horloge,
    ))
    try:
        [remise] = await connecteur.livrer([message()])
    finally:
        await connecteur.fermer()
    assert not remise.livre and "CERTIFICATE_VERIFY_FAILED" in remise.detail
    assert caisse.requetes == 0


def test_cle_client_ne_correspondant_pas_au_certificat(tmp_path, cle_passerelle, horloge):
    pki = creer_pki(tmp_path)
    with pytest.raises(ParametresConnecteurInvalides) as erreur:
        creer(contexte(
            {"url": "https://127.0.0.1:1", "certificat_client": str(pki.client_certificat),
             "cle_client": str(pki.serveur_cle)},
            cle=cle_passerelle, horloge=horloge,
        ))
    assert erreur.value.parametre == "certificat_client"
