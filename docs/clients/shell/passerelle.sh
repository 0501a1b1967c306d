#!/bin/sh
# Recette shell de la passerelle : curl + openssl (≥ 3.0 pour -rawin) + base64 (GNU coreutils).
# Signe chaque requête (RFC 9421, Ed25519 ; RFC 9530 pour le corps) et vérifie l'accusé de
# réception contre le JWKS de la passerelle, clé convertie en PEM pour openssl.
#
#   passerelle.sh envoyer FLUX FICHIER.json   POST avec corps ; accusé vérifié
#   passerelle.sh boite [LIMITE]              GET /v1/boite?limite=LIMITE (défaut 50)
#   passerelle.sh acquitter ID                POST sans corps
#   passerelle.sh verifier ENTETES CORPS      vérifie un accusé conservé (en-têtes de curl -D, corps)
#   passerelle.sh cle-pem KID                 la clé publique KID du JWKS, en PEM
#
# Variables : PASSERELLE_URL (défaut http://127.0.0.1:8000), PASSERELLE_KEYID, PASSERELLE_CLE
# (clé privée PEM), PASSERELLE_AGENT. Codes de sortie : 0 succès, 1 refus de la passerelle,
# 2 usage, 4 passerelle injoignable, 9 accusé de réception non vérifié.
set -eu
URL=${PASSERELLE_URL:-http://127.0.0.1:8000}
TRAVAIL=$(mktemp -d)
trap 'rm -rf "$TRAVAIL"' EXIT

echec() { code=$1; shift; echo "$*" >&2; exit "$code"; }

# cle_pem KID : JWK OKP/Ed25519 → PEM. Les 32 octets de « x » (base64url) suivent l'en-tête DER
# SubjectPublicKeyInfo d'Ed25519, 302a300506032b6570032100, soit « MCowBQYDK2VwAyEA » en base64
# (12 octets : la concaténation se fait directement sur le texte base64).
cle_pem() {
  curl -sS "$URL/.well-known/jwks.json" > "$TRAVAIL/jwks.json" || echec 4 "passerelle injoignable à $URL"
  x=$(tr '{' '\n' < "$TRAVAIL/jwks.json" | grep "\"kid\":\"$1\"" | sed 's/.*"x":"\([^"]*\)".*/\1/') || true
  [ -n "$x" ] || echec 9 "clé $1 absente du JWKS de la passerelle"
  b64=$(printf '%s' "$x" | tr '_-' '/+')
  while [ $(( ${#b64} % 4 )) -ne 0 ]; do b64="$b64="; done
  printf -- '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA%s\n-----END PUBLIC KEY-----\n' "$(printf '%s' "$b64" | base64 -d | base64 -w0)"
}

entete() {  # entete NOM FICHIER : valeur d'un en-tête dans une sortie de curl -D
  grep -i "^$1:" "$2" | head -n 1 | cut -d' ' -f2- | tr -d '\r'
}

# verifier ENTETES CORPS : signature de la passerelle (@status, content-type, content-digest) et
# empreinte du corps.
verifier() {
  statut=$(head -n 1 "$1" | cut -d' ' -f2)
  entree=$(entete signature-input "$1"); signature=$(entete signature "$1")
  type=$(entete content-type "$1"); digest=$(entete content-digest "$1")
  case "$entree" in 'sig1=("@status" "content-type" "content-digest");'*) ;; *) echec 9 "accusé non signé ou composants inattendus";; esac
  params=${entree#sig1=}
  kid=$(printf '%s' "$params" | sed 's/.*;keyid="\([^"]*\)".*/\1/')
  [ "sha-256=:$(openssl dgst -sha256 -binary "$2" | base64 -w0):" = "$digest" ] || echec 9 "Content-Digest ne correspond pas au corps reçu"
  printf '"@status": %s\n"content-type": %s\n"content-digest": %s\n"@signature-params": %s' \
    "$statut" "$type" "$digest" "$params" > "$TRAVAIL/base-recu.txt"
  valeur=${signature#sig1=:}; printf '%s' "${valeur%:}" | base64 -d > "$TRAVAIL/signature.bin"
  cle_pem "$kid" > "$TRAVAIL/passerelle.pem"
  openssl pkeyutl -verify -pubin -inkey "$TRAVAIL/passerelle.pem" -rawin -in "$TRAVAIL/base-recu.txt" \
    -sigfile "$TRAVAIL/signature.bin" > /dev/null 2>&1 || echec 9 "accusé de réception NON VÉRIFIÉ: signature invalide"
  echo "accusé vérifié, signé par $kid" >&2
}

# requete METHODE CHEMIN QUERY [FICHIER] : signe et envoie ; sans FICHIER, ni Content-Type ni
# Content-Digest (une requête sans corps ne doit pas en annoncer un).
requete() {
  methode=$1 chemin=$2 query=$3 fichier=${4:-}
  : "${PASSERELLE_KEYID:?variable PASSERELLE_KEYID manquante}" "${PASSERELLE_CLE:?}" "${PASSERELLE_AGENT:?}"
  composants='"@method" "@path" "@query" "passerelle-agent"'
  printf 'Passerelle-Agent: %s\n' "$PASSERELLE_AGENT" > "$TRAVAIL/entetes"
  base=$(printf '"@method": %s\n"@path": %s\n"@query": %s\n"passerelle-agent": %s' "$methode" "$chemin" "${query:-?}" "$PASSERELLE_AGENT")
  if [ -n "$fichier" ]; then
    digest="sha-256=:$(openssl dgst -sha256 -binary "$fichier" | base64 -w0):"
    composants="$composants \"content-type\" \"content-digest\""
    base=$(printf '%s\n"content-type": application/json\n"content-digest": %s' "$base" "$digest")
    printf 'Content-Type: application/json\nContent-Digest: %s\nIdempotency-Key: shell-%s\n' "$digest" "$(openssl rand -hex 16)" >> "$TRAVAIL/entetes"
  fi
  nonce=$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=')
  params="($composants);created=$(date +%s);keyid=\"$PASSERELLE_KEYID\";alg=\"ed25519\";nonce=\"$nonce\""
  printf '%s\n"@signature-params": %s' "$base" "$params" > "$TRAVAIL/base.txt"
  signature=$(openssl pkeyutl -sign -inkey "$PASSERELLE_CLE" -rawin -in "$TRAVAIL/base.txt" | base64 -w0)
  printf 'Signature-Input: sig1=%s\nSignature: sig1=:%s:\n' "$params" "$signature" >> "$TRAVAIL/entetes"
  cible="$URL$chemin"; [ "${query:-?}" = "?" ] || cible="$cible$query"
  set -- -sS -X "$methode" -H "@$TRAVAIL/entetes" -D "$TRAVAIL/reponse.entetes" -o "$TRAVAIL/reponse.corps" -w '%{http_code}'
  [ -z "$fichier" ] || set -- "$@" --data-binary "@$fichier"
  code=$(curl "$@" "$cible") || echec 4 "passerelle injoignable à $URL: lancez-la ou corrigez PASSERELLE_URL"
  cat "$TRAVAIL/reponse.corps"; echo
  [ "$code" -lt 400 ] || exit 1
}

case "${1:-}" in
  envoyer)
    [ $# -eq 3 ] || echec 2 "usage: passerelle.sh envoyer FLUX FICHIER.json"
    requete POST "/v1/flux/$2" "" "$3"
    verifier "$TRAVAIL/reponse.entetes" "$TRAVAIL/reponse.corps" ;;
  boite) requete GET /v1/boite "?limite=${2:-50}" ;;
  acquitter)
    [ $# -eq 2 ] || echec 2 "usage: passerelle.sh acquitter ID"
    requete POST "/v1/boite/$2/acquittement" "" ;;
  verifier)
    [ $# -eq 3 ] || echec 2 "usage: passerelle.sh verifier ENTETES CORPS"
    verifier "$2" "$3" ;;
  cle-pem) cle_pem "$2" ;;
  *) echec 2 "usage: passerelle.sh envoyer FLUX FICHIER | boite [LIMITE] | acquitter ID | verifier ENTETES CORPS | cle-pem KID" ;;
esac
