// Client de référence de la passerelle en Node.js (≥ 18), avec les seuls modules standard :
// crypto (Ed25519, SHA-256, import d'une JWK) et fetch. Rien à installer depuis npm.
// À recopier dans le SI d'une caisse (docs/integration.md, § 8).
//
//   node client-passerelle.mjs envoyer rdc rdc.json     # signe, envoie, vérifie l'accusé
//   node client-passerelle.mjs boite                     # GET /v1/boite?limite=50
//   node client-passerelle.mjs acquitter ID              # POST sans corps
//   node client-passerelle.mjs verifier STATUT SIGNATURE_INPUT SIGNATURE CONTENT_DIGEST CORPS
//
// Variables : PASSERELLE_URL (défaut http://127.0.0.1:8000), PASSERELLE_KEYID, PASSERELLE_CLE
// (clé privée Ed25519 PEM), PASSERELLE_AGENT. Codes de sortie : 0 succès, 1 refus de la
// passerelle, 2 usage, 4 passerelle injoignable, 9 accusé de réception non vérifié.

import { createHash, createPrivateKey, createPublicKey, randomBytes, randomUUID, sign, verify } from "node:crypto";
import { readFileSync } from "node:fs";

export class RecuInvalide extends Error {}

export const empreinte = (corps) => `sha-256=:${createHash("sha256").update(corps).digest("base64")}:`;

/** La clé publique d'une JWK OKP/Ed25519 du JWKS : Node importe le format JWK directement. */
export const publiqueDepuisJwk = (jwk) => createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" });

export class ClientPasserelle {
  constructor(url, keyid, clePem, agent) {
    this.url = url.replace(/\/+$/, "");
    this.keyid = keyid;
    this.cle = clePem ? createPrivateKey(clePem) : null;
    this.agent = agent;
  }

  async clesPasserelle() {
    const r = await fetch(`${this.url}/.well-known/jwks.json`);
    const cles = new Map();
    for (const jwk of (await r.json()).keys) {
      if (jwk.kty === "OKP" && jwk.crv === "Ed25519") cles.set(jwk.kid, publiqueDepuisJwk(jwk));
    }
    return cles;
  }

  /** Signe (RFC 9421 + RFC 9530) et envoie ; corps null : ni Content-Type ni Content-Digest. */
  async requete(methode, chemin, requete = "", corps = null, autres = {}) {
    const query = requete ? `?${requete}` : "?";
    const entetes = { "Passerelle-Agent": this.agent, ...autres };
    let composants = '"@method" "@path" "@query" "passerelle-agent"';
    let base = `"@method": ${methode}\n"@path": ${chemin}\n"@query": ${query}\n"passerelle-agent": ${this.agent}\n`;
    if (corps !== null) {
      const digest = empreinte(corps);
      composants += ' "content-type" "content-digest"';
      base += `"content-type": application/json\n"content-digest": ${digest}\n`;
      entetes["Content-Type"] = "application/json";
      entetes["Content-Digest"] = digest;
    }
    const nonce = randomBytes(16).toString("base64url");
    const parametres = `(${composants});created=${Math.floor(Date.now() / 1000)};keyid="${this.keyid}";alg="ed25519";nonce="${nonce}"`;
    base += `"@signature-params": ${parametres}`;
    entetes["Signature-Input"] = `sig1=${parametres}`;
    entetes["Signature"] = `sig1=:${sign(null, Buffer.from(base, "ascii"), this.cle).toString("base64")}:`;
    const r = await fetch(`${this.url}${chemin}${query === "?" ? "" : query}`, { method: methode, headers: entetes, body: corps ?? undefined });
    return { statut: r.status, entetes: Object.fromEntries(r.headers), corps: Buffer.from(await r.arrayBuffer()) };
  }

  async envoyer(flux, corps, cleIdempotence) {
    const r = await this.requete("POST", `/v1/flux/${flux}`, "", corps, { "Idempotency-Key": cleIdempotence });
    if (r.statut === 202) verifierRecu(r, await this.clesPasserelle());
    return r;
  }

  boite(limite = 50) { return this.requete("GET", "/v1/boite", `limite=${limite}`); }

  acquitter(id) { return this.requete("POST", `/v1/boite/${id}/acquittement`); }
}

/** Vérifie la signature de la passerelle sur une réponse et l'empreinte de son corps ; rend le keyid. */
export function verifierRecu(r, cles) {
  return verifier(r.statut, r.entetes["signature-input"], r.entetes["signature"], r.entetes["content-type"],
    r.entetes["content-digest"], r.corps, cles);
}

export function verifier(statut, signatureInput, signature, contentType, contentDigest, corps, cles) {
  if (!signatureInput?.startsWith("sig1=") || !signature?.startsWith("sig1=:")) throw new RecuInvalide("réponse non signée");
  const parametres = signatureInput.slice("sig1=".length);
  if (!parametres.startsWith('("@status" "content-type" "content-digest")')) throw new RecuInvalide(`composants inattendus: ${parametres}`);
  const kid = /;keyid="([^"]+)"/.exec(parametres)?.[1];
  if (!kid || !cles.has(kid)) throw new RecuInvalide(`clé de signature inconnue du JWKS: ${kid}`);
  if (empreinte(corps) !== contentDigest) throw new RecuInvalide("Content-Digest ne correspond pas au corps reçu");
  const base = `"@status": ${statut}\n"content-type": ${contentType}\n"content-digest": ${contentDigest}\n"@signature-params": ${parametres}`;
  const valeur = Buffer.from(signature.slice("sig1=:".length, signature.lastIndexOf(":")), "base64");
  if (!verify(null, Buffer.from(base, "ascii"), cles.get(kid), valeur)) throw new RecuInvalide("signature de l'accusé invalide");
  return kid;
}

function variable(nom, defaut) {
  const valeur = process.env[nom];
  if (valeur) return valeur;
  if (defaut === undefined) {
    console.error(`variable ${nom} manquante`);
    process.exit(2);
  }
  return defaut;
}

async function principal(args) {
  const url = variable("PASSERELLE_URL", "http://127.0.0.1:8000");
  try {
    if (args[0] === "verifier") {
      const kid = verifier(Number(args[1]), args[2], args[3], "application/json", args[4], readFileSync(args[5]),
        await new ClientPasserelle(url, "", null, "").clesPasserelle());
      console.log(`accusé vérifié, signé par ${kid}`);
      return 0;
    }
    const client = new ClientPasserelle(url, variable("PASSERELLE_KEYID"), readFileSync(variable("PASSERELLE_CLE")),
      variable("PASSERELLE_AGENT"));
    let r;
    if (args[0] === "envoyer") r = await client.envoyer(args[1], readFileSync(args[2]), `node-${randomUUID()}`);
    else if (args[0] === "boite") r = await client.boite();
    else if (args[0] === "acquitter") r = await client.acquitter(args[1]);
    else {
      console.error("usage: client-passerelle.mjs envoyer FLUX FICHIER | boite | acquitter ID | verifier …");
      return 2;
    }
    console.log(r.corps.toString("utf8"));
    return r.statut >= 400 ? 1 : 0;
  } catch (e) {
    if (e instanceof RecuInvalide) {
      console.error(`accusé de réception NON VÉRIFIÉ: ${e.message}`);
      return 9;
    }
    if (e instanceof TypeError && e.message === "fetch failed") {  // fetch's network failures (refused, DNS, port)
      console.error(`passerelle injoignable à ${url} (${e.cause?.code ?? e.cause?.message ?? "réseau"}): lancez-la ou corrigez PASSERELLE_URL`);
      return 4;
    }
    throw e;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await principal(process.argv.slice(2));
}
