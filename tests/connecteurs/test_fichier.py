"""``fichier`` against a real SFTP server: files, manifest, atomicity, acknowledgements, host key."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import socket
from pathlib import Path

import asyncssh
import pytest
import rfc8785

from connecteurs.base import Consultation
from connecteurs.erreurs import ConsultationImpossible, ParametresConnecteurInvalides
from connecteurs.fichier import Accuse, EchangeFichiersImpossible, creer
from connecteurs.registre import creer_connecteur
from passerelle.catalogue.signaux_retraite import ClotureRdc, Enveloppe, SignalementRdc
from tests.connecteurs.outils import KEYID_PASSERELLE, NIR, contexte, message
from tests.connecteurs.serveur_sftp import demarrer_serveur_sftp

NOM_LOT = re.compile(r"20261123T100000Z-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
async def serveur(tmp_path):
    serveur = await demarrer_serveur_sftp(tmp_path)
    yield serveur
    await serveur.fermer()


@pytest.fixture
def fabriquer(cle_passerelle, horloge):
    return lambda parametres: creer(contexte(parametres, cle=cle_passerelle, horloge=horloge))


def _fichiers(racine: Path) -> list[str]:
    return sorted(str(p.relative_to(racine)) for p in racine.rglob("*") if p.is_file())


def _lire_csv(chemin: Path) -> list[list[str]]:
    octets = chemin.read_bytes()
    assert not octets.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(octets.decode("utf-8"), newline=""), delimiter=";", strict=True))


def _noms_annexe(modele) -> list[str]:
    """Independent of the connector: the annex names are also the fields' titles."""
    return [info.title for nom, info in modele.model_fields.items() if nom not in Enveloppe.model_fields]


ENVELOPPE = ["IdMessage", "Emetteur", "Destinataire", "RecuLe", "EnReponseA", "Reference", "IndexJournal", "Empreinte"]


async def test_depot_d_un_lot_csv_et_manifeste(serveur, fabriquer, cle_passerelle):
    connecteur = fabriquer(serveur.parametres())
    rdc = [message("rdc") for _ in range(3)]
    cloture = message("cloture-rdc", en_reponse_a=rdc[0].id)
    remises = await connecteur.livrer([rdc[0], cloture, rdc[1], rdc[2]])

    assert [r.livre for r in remises] == [True] * 4, remises
    fichiers = _fichiers(serveur.racine)
    assert len(fichiers) == 4
    [csv_rdc] = [f for f in fichiers if f.startswith("depot/rdc/") and f.endswith(".csv")]
    assert NOM_LOT.fullmatch(Path(csv_rdc).stem), csv_rdc
    assert remises[0].detail == f"déposé dans rdc/{Path(csv_rdc).name}"

    lignes = _lire_csv(serveur.racine / csv_rdc)
    assert lignes[0] == ENVELOPPE + _noms_annexe(SignalementRdc)
    assert "NIRAssuré" in lignes[0] and "TauxIncapacitéAAH" in lignes[0]
    assert [ligne[0] for ligne in lignes[1:]] == [m.id for m in rdc]
    ligne = dict(zip(lignes[0], lignes[1], strict=True))
    assert ligne["NIRAssuré"] == NIR
    assert ligne["ZoneAdresse1"] == "12; rue des Quatre-Vents"  # the separator survives quoting
    assert ligne["Localité"] == "Saint-Étienne"
    assert ligne["TauxIncapacitéAAH"] == "80" and ligne["Téléphone1"] == ""
    assert ligne["RecuLe"] == "2026-11-23T09:59:30.123456Z" and ligne["IndexJournal"] == "41"
    assert ligne["Reference"] == "dossier-17" and ligne["EnReponseA"] == ""

    manifeste = json.loads((serveur.racine / csv_rdc.replace(".csv", ".manifest.json")).read_bytes())
    octets = (serveur.racine / csv_rdc).read_bytes()
    assert manifeste["fichier"] == Path(csv_rdc).name
    assert manifeste["sha256"] == hashlib.sha256(octets).hexdigest()
    assert manifeste["octets"] == len(octets)
    assert manifeste["lignes"] == 3 == len(lignes) - 1
    assert manifeste["messages"] == [m.id for m in rdc]
    assert manifeste["flux"] == "rdc" and manifeste["destinataire"] == "carsat-ra"
    signature = manifeste.pop("signature")
    assert signature["keyid"] == KEYID_PASSERELLE and signature["alg"] == "ed25519"
    cle_passerelle.public_key().verify(base64.b64decode(signature["valeur"]), rfc8785.dumps(manifeste))

    [csv_cloture] = [f for f in fichiers if f.startswith("depot/cloture-rdc/") and f.endswith(".csv")]
    lignes = _lire_csv(serveur.racine / csv_cloture)
    assert lignes[0] == ENVELOPPE + _noms_annexe(ClotureRdc)
    ligne = dict(zip(lignes[0], lignes[1], strict=True))
    assert ligne["RegimesAffiliation"] == "Régime général|MSA \\| salariés|RSI\\\\ancien"
    assert ligne["EnReponseA"] == rdc[0].id


async def test_le_fichier_n_apparait_que_par_renommage(serveur, fabriquer):
    await fabriquer(serveur.parametres()).livrer([message()])
    finals = _fichiers(serveur.racine)  # relative, as the client names them
    assert len(finals) == 2
    ouverts = [e[1] for e in serveur.evenements if e[0] == "open"]
    renommages = [e for e in serveur.evenements if e[0] in ("posix_rename", "rename")]
    assert not set(finals) & set(ouverts), "un fichier final a été écrit sous son nom définitif"
    assert [e[0] for e in renommages] == ["posix_rename", "posix_rename"]
    assert [e[2] for e in renommages] == sorted(finals, key=lambda f: f.endswith(".json"))  # CSV first
    for _, source, cible in renommages:
        assert source in ouverts
        assert Path(source).parent == Path(cible).parent
        assert Path(source).name.startswith(".") and source.endswith(".tmp")


async def test_manifeste_impossible_retire_le_csv(serveur, fabriquer):
    serveur.refuser_ouverture = (b".manifest.json.",)
    [remise] = await fabriquer(serveur.parametres()).livrer([message()])
    assert not remise.livre and not remise.definitif
    assert "dépôt du lot échoué" in remise.detail
    assert _fichiers(serveur.racine) == []


async def test_entrees_hostiles_sans_traversee(serveur, fabriquer):
    hostiles = [
        message("../../etc", reference="x"),
        message("rdc/../../x"),
        message("rdc", reference="../../../etc/passwd", en_reponse_a="../x"),
        message("rdc", contenu={"nom_assure": "../../x\x00", "localite": "/etc/passwd"}),
    ]
    remises = await fabriquer(serveur.parametres()).livrer(hostiles)
    assert [(r.livre, r.definitif) for r in remises] == [(False, True), (False, True), (True, False), (True, False)]
    assert NIR not in " ".join(r.detail for r in remises)
    fichiers = _fichiers(serveur.racine)
    assert all(f.startswith("depot/rdc/") for f in fichiers)
    assert len(fichiers) == 2
    assert {p.name for p in serveur.racine.parent.iterdir() if p.is_dir()} == {"sftp"}
    for f in fichiers:
        assert ".." not in Path(f).name and "\x00" not in f


async def test_valeurs_non_tabulaires_refusees_sans_bloquer_le_lot(serveur, fabriquer):
    bon = message()
    inconnu = message(contenu={"nir_assure": NIR, "champ_invente": "x"})
    imbrique = message(contenu={"nir_assure": NIR, "nom_assure": {"nom": "x"}})
    remises = await fabriquer(serveur.parametres()).livrer([inconnu, bon, imbrique])
    assert [(r.livre, r.definitif) for r in remises] == [(False, True), (True, False), (False, True)]
    assert "NomAssuré" in remises[2].detail
    assert NIR not in remises[0].detail + remises[2].detail


async def test_lecture_des_accuses(serveur, fabriquer):
    accuses = serveur.racine / "accuses"
    accuses.mkdir()
    (accuses / "a-20261123.csv").write_bytes(
        "\ufeffIdMessage;Statut;Detail\r\nm-1;accepté;\r\nm-2;REJETE;\"NIR inconnu; à vérifier\"\r\n\r\n".encode()
    )
    (accuses / "b.csv").write_text("IdMessage;Statut;Detail\nm-3;accepte;ok\n", encoding="utf-8")
    (accuses / "mauvais.csv").write_text("IdMessage;Statut;Detail\nm-4;peut-etre;\n", encoding="utf-8")
    (accuses / ".en-cours.csv").write_text("IdMessage;Statut;Detail\nm-5;accepte;\n", encoding="utf-8")
    (accuses / "notes.txt").write_text("rien", encoding="utf-8")
    connecteur = fabriquer(serveur.parametres())

    lus = await connecteur.lire_accuses()

    assert lus == [
        Accuse("m-1", "accepte", ""),
        Accuse("m-2", "rejete", "NIR inconnu; à vérifier"),
        Accuse("m-3", "accepte", "ok"),
    ]
    id_message, statut, detail = lus[0]  # plain tuples for the caller
    assert _fichiers(accuses) == [".en-cours.csv", "notes.txt", "rejetes/mauvais.csv", "traites/a-20261123.csv", "traites/b.csv"]
    assert await connecteur.lire_accuses() == []


async def test_serveur_arrete_remise_reessayable(fabriquer, serveur):
    prise = socket.socket()
    prise.bind(("127.0.0.1", 0))
    port_ferme = prise.getsockname()[1]
    prise.close()
    connecteur = fabriquer(serveur.parametres(port=port_ferme))
    remises = await connecteur.livrer([message(), message("cloture-rdc")])
    assert all(not r.livre and not r.definitif for r in remises)
    assert all("injoignable" in r.detail for r in remises)
    with pytest.raises(EchangeFichiersImpossible, match="injoignable"):
        await connecteur.lire_accuses()
    etat = await connecteur.sante()
    assert not etat.disponible and "injoignable" in etat.detail


async def test_mauvaise_cle_d_hote_refusee(serveur, fabriquer):
    autre = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    connecteur = fabriquer(serveur.parametres(empreinte_hote=autre))
    [remise] = await connecteur.livrer([message()])
    assert not remise.livre and "clé d'hôte" in remise.detail
    assert _fichiers(serveur.racine) == []
    assert not [e for e in serveur.evenements if e[0] == "open"]
    assert not (await connecteur.sante()).disponible


async def test_empreinte_sha256_et_ligne_known_hosts(serveur, fabriquer):
    empreinte = serveur.cle_hote.get_fingerprint("sha256")
    ligne = f"[127.0.0.1]:{serveur.port} " + serveur.cle_hote.export_public_key().decode().strip()
    for valeur in (empreinte, ligne):
        [remise] = await fabriquer(serveur.parametres(empreinte_hote=valeur)).livrer([message()])
        assert remise.livre, (valeur, remise)
    faux = "SHA256:" + base64.b64encode(b"\x00" * 32).decode().rstrip("=")
    [remise] = await fabriquer(serveur.parametres(empreinte_hote=faux)).livrer([message()])
    assert not remise.livre and "clé d'hôte" in remise.detail


async def test_cle_client_non_autorisee(serveur, fabriquer, tmp_path):
    intrus = tmp_path / "intrus"
    intrus.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    [remise] = await fabriquer(serveur.parametres(cle_privee=str(intrus))).livrer([message()])
    assert not remise.livre and "authentification SFTP refusée" in remise.detail


async def test_sante(serveur, fabriquer):
    connecteur = fabriquer(serveur.parametres())
    assert not (await connecteur.sante()).disponible  # no depot folder yet
    (serveur.racine / "depot").mkdir()
    assert (await connecteur.sante()).disponible


async def test_consultation_non_prise_en_charge(serveur, fabriquer):
    with pytest.raises(ConsultationImpossible) as erreur:
        await fabriquer(serveur.parametres()).consulter(Consultation("x", "caf-042", "carsat-ra", {}))
    assert (erreur.value.code, erreur.value.temporaire) == ("consultation_non_prise_en_charge", False)


@pytest.mark.parametrize(
    ("modification", "fautif"),
    [
        ({"empreinte_hote": ""}, "empreinte_hote"),
        ({"empreinte_hote": "*"}, "empreinte_hote"),
        ({"empreinte_hote": "@cert-authority * ssh-ed25519 AAAA"}, "empreinte_hote"),
        ({"empreinte_hote": None}, "empreinte_hote"),
        ({"dossier_depot": "../../etc"}, "dossier_depot"),
        ({"dossier_accuses": "accuses/../.."}, "dossier_accuses"),
        ({"dossier_depot": "depot\x00"}, "dossier_depot"),
        ({"cle_privee": "/nulle/part"}, "cle_privee"),
        ({"utilisateur": "root;rm"}, "utilisateur"),
        ({"taille_lot": 0}, "taille_lot"),
        ({"accepter_toute_cle": True}, "accepter_toute_cle"),
    ],
)
async def test_parametres_refuses(serveur, cle_passerelle, horloge, modification, fautif):
    parametres = serveur.parametres(**modification)
    if modification.get("empreinte_hote", "") is None:
        del parametres["empreinte_hote"]
    with pytest.raises(ParametresConnecteurInvalides) as erreur:
        creer_connecteur("fichier", contexte(parametres, cle=cle_passerelle, horloge=horloge))
    assert erreur.value.parametre == fautif


async def test_cle_privee_chiffree_refusee(serveur, cle_passerelle, horloge, tmp_path):
    chiffree = tmp_path / "chiffree"
    chiffree.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key("pkcs8-pem", passphrase="secret"))
    with pytest.raises(ParametresConnecteurInvalides) as erreur:
        creer_connecteur("fichier", contexte(serveur.parametres(cle_privee=str(chiffree)), cle=cle_passerelle, horloge=horloge))
    assert erreur.value.parametre == "cle_privee"


async def test_taille_de_lot(serveur, fabriquer):
    connecteur = fabriquer(serveur.parametres(taille_lot=250))
    assert connecteur.livraison_par_lot == 250 and connecteur.pousse
