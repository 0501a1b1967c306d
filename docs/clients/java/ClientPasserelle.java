/*
 * Client de référence de la passerelle en Java 17, avec le seul JDK : java.net.http pour HTTP,
 * l'EdDSA du JDK (Ed25519) pour signer et vérifier, SHA-256 de MessageDigest pour Content-Digest.
 * Aucune dépendance Maven. À recopier dans le SI d'une caisse (docs/integration.md, § 8).
 *
 *   javac -d classes ClientPasserelle.java
 *   java -cp classes ClientPasserelle envoyer rdc rdc.json      # signe, envoie, vérifie l'accusé
 *   java -cp classes ClientPasserelle boite                      # GET /v1/boite?limite=50
 *   java -cp classes ClientPasserelle acquitter ID               # POST sans corps
 *   java -cp classes ClientPasserelle verifier STATUT SIGNATURE_INPUT SIGNATURE CONTENT_DIGEST CORPS
 *
 * Variables d'environnement : PASSERELLE_URL (défaut http://127.0.0.1:8000), PASSERELLE_KEYID,
 * PASSERELLE_CLE (clé privée Ed25519 PEM PKCS#8), PASSERELLE_AGENT.
 * Codes de sortie : 0 succès, 1 refus de la passerelle (corps du problème affiché), 2 usage,
 * 4 passerelle injoignable, 9 accusé de réception non vérifié.
 */

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class ClientPasserelle {

    /** L'accusé de réception ne porte pas une signature valide d'une clé publiée par la passerelle. */
    public static final class RecuInvalide extends Exception {
        private static final long serialVersionUID = 1L;

        RecuInvalide(String message) { super(message); }
    }

    /** Une réponse : statut, en-têtes (noms en minuscules) et corps. */
    public record Reponse(int statut, Map<String, String> entetes, byte[] corps) {
        public String texte() { return new String(corps, StandardCharsets.UTF_8); }
    }

    private static final byte[] PREFIXE_X509_ED25519 = hex("302a300506032b6570032100");
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)          // pas de tentative h2c sur http://
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final SecureRandom aleatoire = new SecureRandom();
    private final String url;
    private final String keyid;
    private final PrivateKey cle;
    private final String agent;

    public ClientPasserelle(String url, String keyid, PrivateKey cle, String agent) {
        this.url = url.replaceAll("/+$", "");
        this.keyid = keyid;
        this.cle = cle;
        this.agent = agent;
    }

    // --- clés -----------------------------------------------------------------------------------

    /** Clé privée Ed25519 au format PEM PKCS#8 (« BEGIN PRIVATE KEY », openssl genpkey -algorithm ed25519). */
    public static PrivateKey lirePrivee(Path pem) throws IOException, GeneralSecurityException {
        String texte = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(texte)));
    }

    /** JWK OKP/Ed25519 → clé publique : les 32 octets de « x » derrière l'en-tête DER SubjectPublicKeyInfo. */
    public static PublicKey publiqueDepuisJwk(String x) throws GeneralSecurityException {
        byte[] brute = Base64.getUrlDecoder().decode(x);
        byte[] der = new byte[PREFIXE_X509_ED25519.length + brute.length];
        System.arraycopy(PREFIXE_X509_ED25519, 0, der, 0, PREFIXE_X509_ED25519.length);
        System.arraycopy(brute, 0, der, PREFIXE_X509_ED25519.length, brute.length);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    }

    /** Les clés publiées par la passerelle, par kid (GET /.well-known/jwks.json, sans signature). */
    public Map<String, PublicKey> clesPasserelle() throws IOException, InterruptedException, GeneralSecurityException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url + "/.well-known/jwks.json")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        Map<String, PublicKey> cles = new LinkedHashMap<>();
        Object document = Json.lire(new String(r.body(), StandardCharsets.UTF_8));
        for (Object o : (List<?>) ((Map<?, ?>) document).get("keys")) {
            Map<?, ?> jwk = (Map<?, ?>) o;
            if ("OKP".equals(jwk.get("kty")) && "Ed25519".equals(jwk.get("crv"))) {
                cles.put((String) jwk.get("kid"), publiqueDepuisJwk((String) jwk.get("x")));
            }
        }
        return cles;
    }

    // --- requêtes signées (RFC 9421 + RFC 9530) --------------------------------------------------

    public static String empreinte(byte[] corps) throws GeneralSecurityException {
        return "sha-256=:" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(corps)) + ":";
    }

    private String nonce() {
        byte[] octets = new byte[16];
        aleatoire.nextBytes(octets);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(octets);
    }

    /** Signe et envoie ; {@code corps == null} : requête sans corps (ni Content-Type ni Content-Digest). */
    public Reponse requete(String methode, String chemin, String requete, byte[] corps, Map<String, String> autres)
            throws IOException, InterruptedException, GeneralSecurityException {
        String query = requete == null || requete.isEmpty() ? "?" : "?" + requete;
        StringBuilder composants = new StringBuilder("\"@method\" \"@path\" \"@query\" \"passerelle-agent\"");
        StringBuilder base = new StringBuilder()
                .append("\"@method\": ").append(methode).append('\n')
                .append("\"@path\": ").append(chemin).append('\n')
                .append("\"@query\": ").append(query).append('\n')
                .append("\"passerelle-agent\": ").append(agent).append('\n');
        HttpRequest.Builder construction = HttpRequest.newBuilder(URI.create(url + chemin + (query.equals("?") ? "" : query)))
                .timeout(Duration.ofSeconds(30)).header("Passerelle-Agent", agent);
        if (corps != null) {
            String digest = empreinte(corps);
            composants.append(" \"content-type\" \"content-digest\"");
            base.append("\"content-type\": application/json\n").append("\"content-digest\": ").append(digest).append('\n');
            construction.header("Content-Type", "application/json").header("Content-Digest", digest);
        }
        String parametres = "(" + composants + ");created=" + (System.currentTimeMillis() / 1000)
                + ";keyid=\"" + keyid + "\";alg=\"ed25519\";nonce=\"" + nonce() + "\"";
        base.append("\"@signature-params\": ").append(parametres);
        Signature signataire = Signature.getInstance("Ed25519");
        signataire.initSign(cle);
        signataire.update(base.toString().getBytes(StandardCharsets.US_ASCII));
        construction.header("Signature-Input", "sig1=" + parametres)
                .header("Signature", "sig1=:" + Base64.getEncoder().encodeToString(signataire.sign()) + ":");
        autres.forEach(construction::header);
        construction.method(methode, corps == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(corps));
        HttpResponse<byte[]> r = http.send(construction.build(), HttpResponse.BodyHandlers.ofByteArray());
        Map<String, String> entetes = new LinkedHashMap<>();
        r.headers().map().forEach((nom, valeurs) -> entetes.put(nom.toLowerCase(), String.join(", ", valeurs)));
        return new Reponse(r.statusCode(), entetes, r.body());
    }

    public Reponse envoyer(String flux, byte[] corps, String cleIdempotence) throws Exception {
        Reponse r = requete("POST", "/v1/flux/" + flux, "", corps, Map.of("Idempotency-Key", cleIdempotence));
        if (r.statut() == 202) {
            verifierRecu(r, clesPasserelle());
        }
        return r;
    }

    public Reponse boite(int limite) throws Exception {
        return requete("GET", "/v1/boite", "limite=" + limite, null, Map.of());
    }

    public Reponse acquitter(String id) throws Exception {
        return requete("POST", "/v1/boite/" + id + "/acquittement", "", null, Map.of());
    }

    // --- vérification d'un accusé de réception ---------------------------------------------------

    /** Vérifie la signature de la passerelle (composants @status, content-type, content-digest) et
     *  l'empreinte du corps ; rend le keyid de la clé qui a signé. */
    public static String verifierRecu(Reponse r, Map<String, PublicKey> cles) throws RecuInvalide, GeneralSecurityException {
        return verifier(r.statut(), r.entetes().get("signature-input"), r.entetes().get("signature"),
                r.entetes().get("content-type"), r.entetes().get("content-digest"), r.corps(), cles);
    }

    public static String verifier(int statut, String signatureInput, String signature, String contentType,
                                  String contentDigest, byte[] corps, Map<String, PublicKey> cles)
            throws RecuInvalide, GeneralSecurityException {
        if (signatureInput == null || !signatureInput.startsWith("sig1=") || signature == null || !signature.startsWith("sig1=:")) {
            throw new RecuInvalide("réponse non signée (Signature-Input / Signature sig1 absents)");
        }
        String parametres = signatureInput.substring("sig1=".length());
        if (!parametres.startsWith("(\"@status\" \"content-type\" \"content-digest\")")) {
            throw new RecuInvalide("composants signés inattendus: " + parametres);
        }
        java.util.regex.Matcher kid = java.util.regex.Pattern.compile(";keyid=\"([^\"]+)\"").matcher(parametres);
        if (!kid.find() || !cles.containsKey(kid.group(1))) {
            throw new RecuInvalide("clé de signature inconnue du JWKS: " + parametres);
        }
        if (!empreinte(corps).equals(contentDigest)) {
            throw new RecuInvalide("Content-Digest ne correspond pas au corps reçu");
        }
        String base = "\"@status\": " + statut + "\n\"content-type\": " + contentType + "\n\"content-digest\": "
                + contentDigest + "\n\"@signature-params\": " + parametres;
        Signature verificateur = Signature.getInstance("Ed25519");
        verificateur.initVerify(cles.get(kid.group(1)));
        verificateur.update(base.getBytes(StandardCharsets.US_ASCII));
        String valeur = signature.substring("sig1=:".length(), signature.lastIndexOf(':'));
        if (!verificateur.verify(Base64.getDecoder().decode(valeur))) {
            throw new RecuInvalide("signature de l'accusé invalide");
        }
        return kid.group(1);
    }

    // --- ligne de commande -----------------------------------------------------------------------

    private static String variable(String nom, String defaut) {
        String valeur = System.getenv(nom);
        if (valeur == null || valeur.isEmpty()) {
            if (defaut == null) {
                System.err.println("variable " + nom + " manquante");
                System.exit(2);
            }
            return defaut;
        }
        return valeur;
    }

    public static void main(String[] arguments) throws Exception {
        if (arguments.length == 0) {
            System.err.println("usage: ClientPasserelle envoyer FLUX FICHIER | boite | acquitter ID | verifier STATUT SIGNATURE_INPUT SIGNATURE CONTENT_DIGEST CORPS");
            System.exit(2);
        }
        String url = variable("PASSERELLE_URL", "http://127.0.0.1:8000");
        try {
            if (arguments[0].equals("verifier")) {
                ClientPasserelle lecteur = new ClientPasserelle(url, "", null, "");
                byte[] corps = Files.readAllBytes(Path.of(arguments[5]));
                String kid = verifier(Integer.parseInt(arguments[1]), arguments[2], arguments[3], "application/json",
                        arguments[4], corps, lecteur.clesPasserelle());
                System.out.println("accusé vérifié, signé par " + kid);
                return;
            }
            ClientPasserelle client = new ClientPasserelle(url, variable("PASSERELLE_KEYID", null),
                    lirePrivee(Path.of(variable("PASSERELLE_CLE", null))), variable("PASSERELLE_AGENT", null));
            Reponse r = switch (arguments[0]) {
                case "envoyer" -> client.envoyer(arguments[1], Files.readAllBytes(Path.of(arguments[2])),
                        "java-" + java.util.UUID.randomUUID());
                case "boite" -> client.boite(50);
                case "acquitter" -> client.acquitter(arguments[1]);
                default -> {
                    System.err.println("commande inconnue: " + arguments[0]);
                    System.exit(2);
                    yield null;
                }
            };
            System.out.println(r.texte());
            System.exit(r.statut() >= 400 ? 1 : 0);
        } catch (RecuInvalide e) {
            System.err.println("accusé de réception NON VÉRIFIÉ: " + e.getMessage());
            System.exit(9);
        } catch (ConnectException e) {
            System.err.println("passerelle injoignable à " + url + " (connexion refusée): lancez-la ou corrigez PASSERELLE_URL");
            System.exit(4);
        }
    }

    private static byte[] hex(String texte) {
        byte[] octets = new byte[texte.length() / 2];
        for (int i = 0; i < octets.length; i++) {
            octets[i] = (byte) Integer.parseInt(texte.substring(2 * i, 2 * i + 2), 16);
        }
        return octets;
    }

    /** Juste assez de JSON (RFC 8259) pour lire le JWKS et la boîte : objets, tableaux, chaînes,
     *  nombres, booléens, null. Un SI de caisse a le plus souvent Jackson ou JSON-B : prenez-le. */
    static final class Json {
        private final String t;
        private int i;

        private Json(String texte) { t = texte; }

        static Object lire(String texte) {
            Json j = new Json(texte);
            Object v = j.valeur();
            j.blancs();
            if (j.i != j.t.length()) throw new IllegalArgumentException("JSON: texte après la valeur");
            return v;
        }

        private void blancs() { while (i < t.length() && " \t\r\n".indexOf(t.charAt(i)) >= 0) i++; }

        private Object valeur() {
            blancs();
            char c = t.charAt(i);
            if (c == '{') {
                Map<String, Object> objet = new LinkedHashMap<>();
                i++;
                blancs();
                if (t.charAt(i) == '}') { i++; return objet; }
                while (true) {
                    blancs();
                    String cle = (String) valeur();
                    blancs();
                    if (t.charAt(i++) != ':') throw new IllegalArgumentException("JSON: « : » attendu");
                    objet.put(cle, valeur());
                    blancs();
                    char s = t.charAt(i++);
                    if (s == '}') return objet;
                    if (s != ',') throw new IllegalArgumentException("JSON: « , » ou « } » attendu");
                }
            }
            if (c == '[') {
                List<Object> liste = new ArrayList<>();
                i++;
                blancs();
                if (t.charAt(i) == ']') { i++; return liste; }
                while (true) {
                    liste.add(valeur());
                    blancs();
                    char s = t.charAt(i++);
                    if (s == ']') return liste;
                    if (s != ',') throw new IllegalArgumentException("JSON: « , » ou « ] » attendu");
                }
            }
            if (c == '"') {
                StringBuilder b = new StringBuilder();
                i++;
                while (true) {
                    char d = t.charAt(i++);
                    if (d == '"') return b.toString();
                    if (d != '\\') { b.append(d); continue; }
                    char e = t.charAt(i++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> { b.append((char) Integer.parseInt(t.substring(i, i + 4), 16)); i += 4; }
                        default -> b.append(e);
                    }
                }
            }
            if (t.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
            if (t.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
            if (t.startsWith("null", i)) { i += 4; return null; }
            int debut = i;
            while (i < t.length() && "+-0123456789.eE".indexOf(t.charAt(i)) >= 0) i++;
            if (debut == i) throw new IllegalArgumentException("JSON: valeur attendue à la position " + i);
            return Double.parseDouble(t.substring(debut, i));
        }
    }
}
