"""Schema-guided fuzzing of the gateway against its own OpenAPI document (schemathesis + Hypothesis).

Each generated request is sent in-process to the running app and, most of the time, **signed
exactly as the contract says** (RFC 9421 Ed25519 over the exact bytes sent, RFC 9530
Content-Digest, ``created`` from the test clock, a fresh nonce, Passerelle-Agent), with a key of
an organisme that a convention allows for that flux, so generation gets past authentication into
validation, business rules, routing and the inbox. The rest is unsigned, signed and then altered,
stale, signed with another organisme's key, replayed, or an auditor's (valid or forged) token.
Valid project examples are mixed with generated fields, and message ids seen in receipts feed the
inbox, acknowledgement, status and re-drive operations, so those reach real messages too.

Every response is checked: never a 5xx; every 4xx is ``application/problem+json`` with a ``code``;
the status, content type, headers and body conform to the document (schemathesis' checks; a code
not listed for that operation and status does not conform); a negative case (invalid per the
document) is never accepted. ``tests/contrat/test_fuzz.py`` runs a bounded number in the suite,
``bench/fuzz.py`` a deep run that counts everything.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from passerelle.annuaire.cles import lire_privee_pem
from passerelle.auditeurs import comptes
from passerelle.journal.export import exporter
from passerelle.journal.sequenceur import cles_verification, integrer
from passerelle.journal.verificateur import verifier_export
from passerelle.signature.signature import signer_requete
from tests.catalogue import exemples as ex
from tests.demandes import exemples as exd

NDJSON = "application/x-ndjson"
PROBLEME = "application/problem+json"
CONTROLES = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
             response_schema_conformance]
ENTETES_SIGNATURE = ("signature", "signature-input", "content-digest", "passerelle-agent", "authorization")


@schemathesis.serializer(NDJSON)
def _ndjson(ctx: Any, valeur: Any) -> bytes:
    """The document describes an NDJSON body as the sequence of its lines: one JSON value a line."""
    lignes = valeur if isinstance(valeur, list) else [valeur]
    return "".join(json.dumps(ligne) + "\n" for ligne in lignes).encode("utf-8")


@schemathesis.serializer("text/csv")
def _csv(ctx: Any, valeur: Any) -> bytes:
    return (valeur if isinstance(valeur, str) else json.dumps(valeur)).encode("utf-8")


@schemathesis.deserializer(NDJSON)
def _lignes(ctx: Any, reponse: Any) -> list[Any]:
    return [json.loads(ligne) for ligne in reponse.content.splitlines() if ligne.strip()]


# The organisme each shipped example is written for (its CodeCaf, CodeCARSAT...); answers are
# signed by the destination of the message they cite.
EMETTEURS_EXEMPLES = {"rdc": "caf-042", "passage-retraite": "caf-042", "retenue-demande": "carsat-ra",
                      "enquete-avpf": "carsat-ra", "subrogation-demande": "cpam-030"}


@dataclass(frozen=True)
class Recu:
    id: str
    emetteur: str
    destinataire: str
    nir: str | None


def exemples_flux(jour: date) -> dict[str, dict[str, Any]]:
    """A valid body per flux the project ships an example for."""
    cite = ex.ID_RDC
    return {
        "rdc": ex.exemple_rdc(aujourd_hui=jour), "passage-retraite": ex.exemple_passage_retraite(aujourd_hui=jour),
        "cloture-rdc": ex.exemple_cloture_rdc(en_reponse_a=cite), "avis-depot": ex.exemple_avis_depot(en_reponse_a=cite),
        "notification-retraite": ex.exemple_notification_retraite(en_reponse_a=cite),
        "retenue-demande": exd.exemple_retenue_demande(), "retenue-reponse": exd.exemple_retenue_reponse(cite),
        "enquete-avpf": exd.exemple_enquete_avpf(), "reponse-avpf": exd.exemple_reponse_avpf(cite),
        "subrogation-demande": exd.exemple_subrogation_demande(), "subrogation-reponse": exd.exemple_subrogation_reponse(cite),
    }


@dataclass
class Anomalie:
    operation: str
    statut: int
    code: str | None
    motif: str
    reproduction: str

    def __str__(self) -> str:
        return f"{self.operation} → {self.statut} {self.code or ''}: {self.motif}\n{self.reproduction}"


@dataclass
class Bilan:
    requetes: int = 0
    par_statut: Counter[int] = field(default_factory=Counter)
    par_code: Counter[tuple[int, str]] = field(default_factory=Counter)
    par_acces: Counter[str] = field(default_factory=Counter)
    anomalies: list[Anomalie] = field(default_factory=list)
    non_envoyables: int = 0  # requests the HTTP client itself refuses to build (counted, not sent)


def _reproduction(requete: httpx.Request) -> str:
    entetes = " ".join(f"-H {f'{k}: {v}'!r}" for k, v in requete.headers.items() if k not in ("host", "accept-encoding", "connection", "user-agent", "accept"))
    corps = requete.content
    montre = corps[:600].decode("utf-8", "backslashreplace") + ("…" if len(corps) > 600 else "")
    return f"curl -X {requete.method} {str(requete.url)!r} {entetes} --data-binary {montre!r}"


class Fuzzeur:
    """One gateway under test (the ``passerelle`` fixture's object), fuzzed request by request."""

    def __init__(self, passerelle: Any, *, lever: bool = True) -> None:
        self.p = passerelle
        self.client: Any = passerelle.client
        self.lever = lever  # raise on the first anomaly (suite) or only count it (deep run)
        self.bilan = Bilan()
        document = self.client.get("/openapi.json").json()
        self.schema = schemathesis.openapi.from_dict(document)
        self.operations = sorted((r.ok() for r in self.schema.get_all_operations()), key=lambda o: o.label)
        self.strategies: dict[tuple[str, str], Any] = {}
        dossier = Path(passerelle.config) / "developpement" / "cles"
        self.cles: dict[str, Ed25519PrivateKey] = {f.stem: lire_privee_pem(f.read_bytes()) for f in sorted(dossier.glob("*.pem"))}
        self.ids: list[str] = []
        self.recus: dict[str, list[Recu]] = {}
        self.signataire: str | None = None  # the organisme an example-based body is written for
        self.jeton = ""
        flux = [o for o in self.operations if o.path.startswith(("/v1/flux/", "/v1/consultations/"))]
        self.tirage = self.operations + flux  # messages and consultations drawn twice as often

    # --- setup and the end ------------------------------------------------------------------

    def preparer(self) -> None:
        """An auditor's account, accepted messages of every request flux with an example (ids for
        the inbox, and real messages for generated answers to cite), a first checkpoint."""
        services = self.p.services
        with services.moteur.begin() as connexion:
            _, secret = comptes.creer(connexion, "fuzz-audit", "Audit du fuzzing", None, services.horloge())
        self.jeton = f"Bearer fuzz-audit.{secret}"
        jour = self.p.horloge().date()
        for flux, emetteur in sorted(EMETTEURS_EXEMPLES.items()) * 2:
            corps = exemples_flux(jour)[flux]
            r = self._envoyer_signe("POST", f"/v1/flux/{flux}", corps, f"{emetteur}-dev-2026")
            assert r.status_code == 202, r.text
            self._retenir(flux, r.json(), corps)
        self.sequencer()

    def _retenir(self, flux: str, recu: dict[str, Any], corps: Any) -> None:
        self.ids.append(recu["id"])
        nir = corps.get("nir_assure") if isinstance(corps, dict) else None
        self.recus.setdefault(flux, []).append(Recu(recu["id"], recu["emetteur"], recu["destinataire"], nir))

    def sequencer(self) -> None:
        services = self.p.services
        origine = services.reglages.origine_journal
        with services.moteur.begin() as connexion:
            integrer(connexion, services.secrets.cle_signature, origine, origine, services.horloge(),
                     lot_max=100_000, toutes_entrees=1, toutes_secondes=0.0, forcer=True)

    def verifier_journal(self, dossier: Path) -> Any:
        """Integrate everything, export, and verify the export offline: the journal is intact."""
        self.sequencer()
        services = self.p.services
        secrets, origine = services.secrets, services.reglages.origine_journal
        exporter(services.moteur, dossier, cles_verification(secrets.cles_signature, secrets.signature_active, origine),
                 origine, services.horloge())
        return verifier_export(dossier)

    def _envoyer_signe(self, methode: str, chemin: str, corps: dict[str, Any], keyid: str) -> httpx.Response:
        requete = self.client.build_request(methode, chemin, content=json.dumps(corps).encode(),
                                            headers={"Content-Type": "application/json"})
        self._signer(requete, keyid, self.cles[keyid])
        return self.client.send(requete)

    # --- keys -------------------------------------------------------------------------------

    def cles_autorisees(self, flux: str) -> list[str]:
        """Development keys of an organisme that a convention lets send ``flux`` (profile included)."""
        annuaire = self.p.services.annuaire.actuel()
        bonnes = []
        for keyid in self.cles:
            cle = annuaire.cles.get(keyid)
            organisme = annuaire.organismes.get(cle.organisme) if cle else None
            if cle is None or organisme is None or cle.robot:
                continue
            for convention in self.p.services.conventions:
                for hab in convention.habilitations:
                    if flux in hab.flux and (organisme.type in hab.emetteurs.types or organisme.code in hab.emetteurs.codes) \
                            and (not hab.profils_emetteurs or cle.profil in hab.profils_emetteurs):
                        bonnes.append(keyid)
        return sorted(set(bonnes))

    def _signer(self, requete: httpx.Request, keyid: str, cle: Ed25519PrivateKey, *, decalage: int = 0,
                agent: str = "agent.fuzz") -> None:
        for nom in ENTETES_SIGNATURE:
            requete.headers.pop(nom, None)
        requete.headers["Passerelle-Agent"] = agent
        if not requete.content:
            requete.headers.pop("Content-Type", None)
        ajouts = signer_requete(
            methode=requete.method, chemin=requete.url.raw_path.split(b"?", 1)[0].decode("ascii"),
            requete=requete.url.query.decode("ascii"), entetes={k.lower(): v for k, v in requete.headers.items()},
            corps=requete.content, cle=cle, keyid=keyid, maintenant=int(self.p.horloge.timestamp()) + decalage)
        for nom, valeur in ajouts.items():
            requete.headers[nom] = valeur

    # --- one case ---------------------------------------------------------------------------

    def _strategie(self, operation: Any, mode: str) -> Any:
        cle = (operation.label, mode)
        if cle not in self.strategies:
            self.strategies[cle] = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))
        return self.strategies[cle]

    def cas(self, data: Any) -> None:
        """Draw an operation, a case and a way of authenticating it; send it; check the answer.

        Hypothesis leans towards the simplest choice (0, ``False``, the first element), so every
        choice here puts the way to an accepted message first: the valid example, the signer's own
        key, a real message id. The hostile variants are the larger values. Turned the other way,
        accepted messages depended on the draw: with the same seed, Hypothesis also mixes constants
        harvested from the project modules already imported, so the full suite drew none of them.
        """
        operation = data.draw(st.sampled_from(self.tirage), label="operation")
        self.signataire = None
        mode = data.draw(st.sampled_from(["positive"] * 3 + ["negative"]), label="mode")
        case = data.draw(self._strategie(operation, mode), label="cas")
        chemin = operation.path
        parametres = operation.definition.raw.get("parameters", [])
        noms = {x.get("name") for x in parametres}
        signable = "Signature" in noms
        auditable = any("auditeur" in s for s in operation.definition.raw.get("security", []))
        entetes_negatifs = any(loc == ParameterLocation.HEADER and c.mode.is_negative
                               for loc, c in (case.meta.components.items() if case.meta else ()))
        if mode == "positive":
            self._enrichir(data, case, chemin)
        acces = ["brute"]
        if signable and not entetes_negatifs:
            acces = ["signee"] * 8 + ["brute", "alteree", "perimee", "autre_cle", "rejeu"]
        if auditable:
            acces = acces + ["auditeur"] * (8 if not signable else 3) + ["auditeur_faux"]
        choix = data.draw(st.sampled_from(acces), label="acces")
        try:
            kwargs = case.as_transport_kwargs(base_url="http://testserver")
            contenu = kwargs.get("data")
            if "json" in kwargs:
                contenu = json.dumps(kwargs["json"]).encode()
            if isinstance(contenu, str):
                contenu = contenu.encode("utf-8")
            if contenu and data.draw(st.integers(0, 11), label="texte hostile") == 11:
                contenu = self._texte_hostile(data, contenu)
            requete = self.client.build_request(kwargs["method"], kwargs["url"], params=kwargs.get("params"),
                                                headers=kwargs.get("headers"), content=contenu)
            requete = self._authentifier(data, requete, choix, chemin, signable)
        except (UnicodeError, ValueError, TypeError, httpx.InvalidURL, httpx.LocalProtocolError):
            self.bilan.non_envoyables += 1  # the client cannot even build it: nothing reaches the gateway
            return
        reponse = self.client.send(requete)
        if choix == "rejeu":
            reponse = self.client.send(requete)
        self._noter(operation, case, requete, reponse, choix, verifier_negatif=(mode == "negative" and choix not in ("rejeu", "auditeur")))

    def _texte_hostile(self, data: Any, contenu: bytes) -> bytes:
        """What a JSON generator never writes but a hostile caller does: a lone surrogate escape,
        an escaped NUL, a raw NUL or a byte that is not UTF-8, just after a quote (so mostly inside a string)."""
        debuts = [i + 1 for i in range(len(contenu)) if contenu[i:i + 1] == b'"']  # inside (or just after) a string
        if not debuts:
            return contenu
        ou = data.draw(st.sampled_from(debuts[:40]), label="ou")
        quoi = data.draw(st.sampled_from([b"\\ud800", b"\\udfff", b"\\u0000", b"\x00", b"\xff", b"\xc3("]), label="quoi")
        return contenu[:ou] + quoi + contenu[ou:]

    def _enrichir(self, data: Any, case: Any, chemin: str) -> None:
        """Mix a valid example into a generated flux body; point message ids at real messages."""
        flux = chemin.rsplit("/", 1)[1]
        if chemin.startswith("/v1/flux/") and isinstance(case.body, dict):
            exemple = exemples_flux(self.p.horloge().date()).get(flux)
            if exemple is not None and data.draw(st.integers(0, 2), label="exemple") < 2:
                self.signataire = EMETTEURS_EXEMPLES.get(flux)
                citables = [r for amont in self.p.services.catalogue[flux].repond_a for r in self.recus.get(amont, [])]
                if citables:  # an answer to a real message, for the same person, by its destination
                    cite = data.draw(st.sampled_from(citables[-30:]), label="cite")
                    exemple.update(en_reponse_a=cite.id, destinataire=cite.emetteur)
                    if cite.nir:
                        exemple["nir_assure"] = cite.nir
                    self.signataire = cite.destinataire
                gardes = data.draw(st.sets(st.sampled_from(sorted(case.body) or [""]), max_size=2), label="champs generes")
                case.body = {**exemple, **{k: v for k, v in case.body.items() if k in gardes}}
        if case.path_parameters and "message_id" in case.path_parameters and self.ids and not data.draw(st.booleans(), label="id fictif"):
            case.path_parameters["message_id"] = data.draw(st.sampled_from(self.ids[-50:]), label="id")

    def _authentifier(self, data: Any, requete: httpx.Request, choix: str, chemin: str, signable: bool) -> httpx.Request:
        if choix == "auditeur":
            for nom in ENTETES_SIGNATURE:
                requete.headers.pop(nom, None)
            requete.headers["Authorization"] = self.jeton
            return requete
        if choix == "auditeur_faux":
            requete.headers["Authorization"] = "Bearer fuzz-audit.faux-secret"
            return requete
        if choix == "brute" or not signable:
            return requete
        flux = chemin.rsplit("/", 1)[1]
        nom_flux = f"consultation:{flux}" if chemin.startswith("/v1/consultations/") else flux
        autorisees = self.cles_autorisees(nom_flux) if chemin.count("/") == 3 and not chemin.startswith("/v1/journal") else []
        candidates = autorisees if autorisees and data.draw(st.integers(0, 3), label="cle") < 3 else sorted(self.cles)
        if self.signataire and f"{self.signataire}-dev-2026" in self.cles and data.draw(st.integers(0, 5), label="signataire") < 5:
            candidates = [f"{self.signataire}-dev-2026"]
        keyid = data.draw(st.sampled_from(candidates), label="keyid")
        cle = self.cles[keyid]
        if choix == "autre_cle":
            cle = self.cles[data.draw(st.sampled_from(sorted(set(self.cles) - {keyid})), label="autre")]
        self._signer(requete, keyid, cle, decalage=-10_000 if choix == "perimee" else 0)
        if choix == "alteree":  # one bit of the body, or a signed header, changed after signing
            if requete.content:
                altere = requete.content[:-1] + bytes([requete.content[-1] ^ 1])
                return httpx.Request(requete.method, requete.url, headers=requete.headers, content=altere)
            requete.headers["Passerelle-Agent"] = "agent.altere"
        return requete

    def _noter(self, operation: Any, case: Any, requete: httpx.Request, reponse: httpx.Response, choix: str,
               *, verifier_negatif: bool) -> None:
        b = self.bilan
        b.requetes += 1 + (choix == "rejeu")
        b.par_statut[reponse.status_code] += 1
        b.par_acces[choix] += 1
        code = None
        motifs = []
        if reponse.status_code >= 400 and reponse.headers.get("content-type", "").startswith(PROBLEME):
            try:
                code = reponse.json().get("code")
            except ValueError:
                motifs.append("problème qui n'est pas du JSON")
        if reponse.status_code >= 400 and operation.path != "/sante":
            b.par_code[(reponse.status_code, code or "(aucun)")] += 1
            if not reponse.headers.get("content-type", "").startswith(PROBLEME) or not isinstance(code, str):
                motifs.append("refus sans application/problem+json ni code")
        if reponse.status_code >= 500:
            motifs.append("erreur serveur (5xx)")
        if reponse.status_code in (200, 202) and reponse.headers.get("content-type", "").startswith("application/json"):
            corps = reponse.json()
            if reponse.status_code == 202 and operation.path.startswith("/v1/flux/") and isinstance(corps, dict):
                try:
                    envoye = json.loads(requete.content)
                except ValueError:
                    envoye = None
                self._retenir(operation.path.rsplit("/", 1)[1], corps, envoye)
        corps_negatif = bool(case.meta) and any(loc == ParameterLocation.BODY and c.mode.is_negative
                                                for loc, c in case.meta.components.items())
        if verifier_negatif and operation.path.startswith("/v1/lots/") and corps_negatif:
            # A batch decides each line on its own (200, a problem per refused line): an invalid
            # line must come back refused, not make the batch a 4xx.
            verifier_negatif = False
            if reponse.status_code == 200 and not any('"probleme"' in ligne for ligne in reponse.text.splitlines()):
                motifs.append("lot invalide selon le document, mais aucune ligne refusée")
        try:
            case.validate_response(reponse, checks=CONTROLES + ([negative_data_rejection] if verifier_negatif else []))
        except FailureGroup as exc:  # the answer breaks the document
            motifs.append("réponse non conforme au document: " + str(exc).strip().split("\n\nReproduce")[0][:1500])
        if motifs:
            anomalie = Anomalie(operation.label, reponse.status_code, code, "; ".join(motifs), _reproduction(requete))
            b.anomalies.append(anomalie)
            if self.lever:
                raise AssertionError(str(anomalie))
