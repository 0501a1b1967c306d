"""A throw-away PKI for the TLS tests: a CA, a server certificate for 127.0.0.1, a client one."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pki:
    ca: Path
    serveur_certificat: Path
    serveur_cle: Path
    client_certificat: Path
    client_cle: Path


def _nom(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ecrire_cle(cle: ec.EllipticCurvePrivateKey, chemin: Path) -> Path:
    chemin.write_bytes(
        cle.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return chemin


def _certificat(cn, cle, emetteur, cle_emetteur, *, ca=False, san=None, usage=None) -> x509.Certificate:
    maintenant = datetime.now(UTC)
    construction = (
        x509.CertificateBuilder()
        .subject_name(_nom(cn))
        .issuer_name(emetteur)
        .public_key(cle.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(maintenant - timedelta(minutes=5))
        .not_valid_after(maintenant + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        construction = construction.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    if san:
        construction = construction.add_extension(x509.SubjectAlternativeName(san), critical=False)
    if usage:
        construction = construction.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    return construction.sign(cle_emetteur, hashes.SHA256())


def creer_pki(dossier: Path) -> Pki:
    cle_ca = ec.generate_private_key(ec.SECP256R1())
    ca = _certificat("Autorité de test", cle_ca, _nom("Autorité de test"), cle_ca, ca=True)
    cle_serveur = ec.generate_private_key(ec.SECP256R1())
    serveur = _certificat(
        "127.0.0.1", cle_serveur, ca.subject, cle_ca,
        san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
        usage=[ExtendedKeyUsageOID.SERVER_AUTH],
    )
    cle_client = ec.generate_private_key(ec.SECP256R1())
    client = _certificat("passerelle", cle_client, ca.subject, cle_ca, usage=[ExtendedKeyUsageOID.CLIENT_AUTH])
    pem = serialization.Encoding.PEM
    (dossier / "ca.pem").write_bytes(ca.public_bytes(pem))
    (dossier / "serveur.pem").write_bytes(serveur.public_bytes(pem))
    (dossier / "client.pem").write_bytes(client.public_bytes(pem))
    return Pki(
        ca=dossier / "ca.pem",
        serveur_certificat=dossier / "serveur.pem",
        serveur_cle=_ecrire_cle(cle_serveur, dossier / "serveur.key"),
        client_certificat=dossier / "client.pem",
        client_cle=_ecrire_cle(cle_client, dossier / "client.key"),
    )
