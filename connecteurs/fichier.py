"""``fichier``: batch file exchange over SFTP, the way Cnav's SELF-style servers work.

Many caisse systems only read files from a secure server on a schedule. A batch becomes one
CSV per flux (the convention's column names) plus a signed manifest, both written atomically;
the caisse drops acknowledgement files back, which ``lire_accuses`` collects. A file name is
built from the flux catalogue, a timestamp and a UUID only — never from message content.
Formats are documented in docs/connecteurs.md.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated

import asyncssh
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, FilePath, field_validator

from connecteurs import _tableau
from connecteurs._accuses import TAILLE_MAX, Accuse, AccuseIllisible, lire_fichier_accuses
from connecteurs._http_reponses import resume_exception
from connecteurs._noms import base_lot, dossier_sur, joindre, segment_sur
from connecteurs._parametres import lire_parametres
from connecteurs._sftp import (
    AccesSftp,
    connexion_sftp,
    ecrire_atomiquement,
    lire_cle_hote,
    renommer,
    supprimer_sans_erreur,
)
from connecteurs.base import (
    Consultation,
    ContexteConnecteur,
    EtatConnecteur,
    MessageALivrer,
    Remise,
    ReponseConsultation,
)
from connecteurs.erreurs import ConsultationImpossible, ErreurConnecteur, ParametresConnecteurInvalides

__all__ = ["Accuse", "ConnecteurFichier", "EchangeFichiersImpossible", "ParametresFichier", "creer"]

journal_technique = structlog.get_logger("passerelle.connecteurs.fichier")
DOSSIER_TRAITES = "traites"
DOSSIER_REJETES = "rejetes"


class EchangeFichiersImpossible(ErreurConnecteur):
    """The SFTP server could not be used at all (unreachable, host key, authentication)."""


class ParametresFichier(BaseModel):
    """``connecteur: {type: fichier, ...}`` in config/annuaire/organismes.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hote: str = Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.:\[\]-]+$")
    port: int = Field(22, ge=1, le=65535)
    utilisateur: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    cle_privee: FilePath = Field(description="clé privée OpenSSH/PEM non chiffrée de la passerelle")
    empreinte_hote: str = Field(description="clé publique de l'hôte (ligne known_hosts) ou SHA256:…")
    dossier_depot: str
    dossier_accuses: str
    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    taille_lot: int = Field(500, ge=1, le=10000)

    @field_validator("empreinte_hote")
    @classmethod
    def _empreinte(cls, valeur: str) -> str:
        lire_cle_hote(valeur)
        return valeur.strip()

    @field_validator("dossier_depot", "dossier_accuses")
    @classmethod
    def _dossier(cls, valeur: str) -> str:
        return dossier_sur(valeur)


def motif_connexion(exc: BaseException) -> str:
    """A failure reason for operators; SSH messages hold no payload, so they may be quoted."""
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return "clé d'hôte SFTP refusée : elle ne correspond pas à empreinte_hote"
    if isinstance(exc, asyncssh.PermissionDenied):
        return "authentification SFTP refusée (utilisateur / cle_privee)"
    if isinstance(exc, TimeoutError):
        return "délai dépassé sur le serveur SFTP"
    if isinstance(exc, asyncssh.SFTPError):
        return f"opération SFTP refusée ({resume_exception(exc)})"
    if isinstance(exc, OSError):
        return f"serveur SFTP injoignable ({resume_exception(exc)})"
    return f"erreur SSH ({resume_exception(exc)})"


_ERREURS_RESEAU = (asyncssh.Error, OSError, TimeoutError)


class ConnecteurFichier:
    nom = "fichier"

    def __init__(
        self,
        organisme: str,
        parametres: ParametresFichier,
        acces: AccesSftp,
        cle: Ed25519PrivateKey,
        keyid: str,
        horloge: Callable[[], datetime],
        catalogue: Mapping[str, type[BaseModel]] | None = None,
    ) -> None:
        self.organisme = organisme
        self.parametres = parametres
        self._acces = acces
        self._cle = cle
        self._keyid = keyid
        self._horloge = horloge
        if not catalogue:
            raise ValueError("le connecteur fichier a besoin des modèles des flux (registre de la passerelle)")
        for nom, modele in catalogue.items():  # fail at start-up, not on the first batch
            segment_sur(nom)
            _tableau.colonnes_flux(modele)
        self._catalogue = dict(catalogue)

    @property
    def livraison_par_lot(self) -> int:
        return self.parametres.taille_lot

    @property
    def pousse(self) -> bool:
        return True

    async def livrer(self, messages: Sequence[MessageALivrer]) -> list[Remise]:
        remises: list[Remise | None] = [None] * len(messages)
        groupes: dict[str, list[tuple[int, list[str]]]] = {}
        for index, message in enumerate(messages):
            modele = self._catalogue.get(message.flux)
            if modele is None:
                remises[index] = Remise(
                    livre=False, definitif=True, detail="flux absent du catalogue du connecteur fichier"
                )
                continue
            try:
                ligne = _tableau.ligne(message, modele)
            except _tableau.ValeurNonTabulaire as exc:
                remises[index] = Remise(livre=False, definitif=True, detail=f"message non représentable en CSV ({exc})")
                continue
            groupes.setdefault(message.flux, []).append((index, ligne))
        if groupes:
            try:
                async with connexion_sftp(self._acces) as sftp:
                    for flux, elements in groupes.items():
                        await self._deposer_groupe(sftp, flux, elements, remises)
            except _ERREURS_RESEAU as exc:
                motif = motif_connexion(exc)
                remises = [r if r is not None else Remise(livre=False, detail=motif) for r in remises]
        assert all(r is not None for r in remises)
        return [r for r in remises if r is not None]

    async def _deposer_groupe(
        self, sftp: asyncssh.SFTPClient, flux: str, elements: list[tuple[int, list[str]]], remises: list[Remise | None]
    ) -> None:
        """One flux's CSV and manifest; a failure here leaves the other flux of the batch alone."""
        try:
            async with asyncio.timeout(self.parametres.timeout):
                nom = await self._deposer(sftp, flux, [ligne for _, ligne in elements])
        except _ERREURS_RESEAU as exc:
            for index, _ in elements:
                remises[index] = Remise(livre=False, detail=f"dépôt du lot échoué : {motif_connexion(exc)}")
            return
        for index, _ in elements:
            remises[index] = Remise(livre=True, detail=f"déposé dans {flux}/{nom}")

    async def _deposer(self, sftp: asyncssh.SFTPClient, flux: str, lignes: list[list[str]]) -> str:
        """Write the CSV, then its manifest; without a manifest the CSV must not count."""
        instant = self._horloge()
        lot = uuid.uuid4()
        base = base_lot(instant, lot)
        dossier = joindre(self.parametres.dossier_depot, segment_sur(flux))
        chemin_csv = joindre(dossier, f"{base}.csv")
        chemin_manifeste = joindre(dossier, f"{base}.manifest.json")
        contenu = _tableau.csv_lot(self._catalogue[flux], lignes)
        manifeste = _tableau.manifeste(
            fichier=f"{base}.csv",
            flux=flux,
            lot=str(lot),
            organisme=self.organisme,
            cree_le=instant,
            contenu_csv=contenu,
            ids=[ligne[0] for ligne in lignes],
            cle=self._cle,
            keyid=self._keyid,
        )
        await sftp.makedirs(dossier, exist_ok=True)
        await ecrire_atomiquement(sftp, chemin_csv, contenu)
        try:
            await ecrire_atomiquement(sftp, chemin_manifeste, manifeste)
        except Exception:
            await supprimer_sans_erreur(sftp, chemin_csv)
            raise
        return f"{base}.csv"

    async def lire_accuses(self) -> list[Accuse]:
        """Collect ``{dossier_accuses}/*.csv`` and move each file to ``traites/`` (or ``rejetes/``).

        At least once: an acknowledgement is returned only after its file was moved, but a
        crash between the move and the caller's commit loses nothing the caller cannot see
        again in ``traites/``; the caller must apply acknowledgements idempotently. When the
        server fails midway, what was already moved is returned (and the error logged); when
        nothing could be read at all, ``EchangeFichiersImpossible`` is raised.
        """
        resultat: list[Accuse] = []
        try:
            async with connexion_sftp(self._acces) as sftp:
                await self._lire_dossier_accuses(sftp, resultat)
        except _ERREURS_RESEAU as exc:
            if not resultat:
                raise EchangeFichiersImpossible(motif_connexion(exc)) from None
            journal_technique.warning(
                "accuses_lecture_interrompue", organisme=self.organisme, motif=motif_connexion(exc)
            )
        return resultat

    async def _lire_dossier_accuses(self, sftp: asyncssh.SFTPClient, resultat: list[Accuse]) -> None:
        dossier = self.parametres.dossier_accuses
        async with asyncio.timeout(self.parametres.timeout):
            noms = sorted(str(nom) for nom in await sftp.listdir(dossier))
        for nom in noms:
            if nom.startswith(".") or not nom.endswith(".csv"):
                continue
            try:
                chemin = joindre(dossier, nom)
            except ValueError:
                journal_technique.warning("accuses_nom_ignore", organisme=self.organisme)
                continue
            async with asyncio.timeout(self.parametres.timeout):
                attributs = await sftp.stat(chemin)
                if attributs.type != asyncssh.FILEXFER_TYPE_REGULAR:
                    continue
                async with sftp.open(chemin, "rb") as fichier:
                    contenu = await fichier.read(TAILLE_MAX + 1)
                assert isinstance(contenu, bytes)  # binary mode
                try:
                    accuses = lire_fichier_accuses(contenu)
                except AccuseIllisible as exc:
                    journal_technique.warning("accuses_rejetes", organisme=self.organisme, fichier=nom, motif=str(exc))
                    await self._ranger(sftp, nom, DOSSIER_REJETES)
                    continue
                await self._ranger(sftp, nom, DOSSIER_TRAITES)
            resultat.extend(accuses)

    async def _ranger(self, sftp: asyncssh.SFTPClient, nom: str, sous_dossier: str) -> None:
        dossier = self.parametres.dossier_accuses
        await sftp.makedirs(joindre(dossier, sous_dossier), exist_ok=True)
        await renommer(sftp, joindre(dossier, nom), joindre(dossier, sous_dossier, nom))

    async def consulter(self, consultation: Consultation) -> ReponseConsultation:
        raise ConsultationImpossible(
            "consultation_non_prise_en_charge", False, "un échange par fichiers ne répond pas en synchrone"
        )

    async def sante(self) -> EtatConnecteur:
        try:
            async with connexion_sftp(self._acces) as sftp:
                async with asyncio.timeout(self.parametres.timeout):
                    depot = await sftp.isdir(self.parametres.dossier_depot)
        except _ERREURS_RESEAU as exc:
            return EtatConnecteur(disponible=False, detail=motif_connexion(exc))
        if not depot:
            return EtatConnecteur(disponible=False, detail="dossier_depot absent sur le serveur SFTP")
        return EtatConnecteur(disponible=True, detail="serveur SFTP joignable, dossier de dépôt présent")

    async def fermer(self) -> None:
        """Nothing held open: each batch uses its own connection, so none can go stale."""
        return None


def creer(contexte: ContexteConnecteur) -> ConnecteurFichier:
    parametres = lire_parametres(ParametresFichier, contexte.organisme, ConnecteurFichier.nom, contexte.parametres)
    try:
        cle_client = asyncssh.read_private_key(str(parametres.cle_privee))
    except (asyncssh.KeyImportError, OSError, ValueError) as exc:
        raise ParametresConnecteurInvalides(
            contexte.organisme, ConnecteurFichier.nom,
            [("cle_privee", f"clé illisible ou chiffrée ({type(exc).__name__})")],
        ) from None
    acces = AccesSftp(
        hote=parametres.hote,
        port=parametres.port,
        utilisateur=parametres.utilisateur,
        cle_client=cle_client,
        cle_hote=lire_cle_hote(parametres.empreinte_hote),
        delai=parametres.timeout,
    )
    return ConnecteurFichier(
        contexte.organisme, parametres, acces, contexte.cle_passerelle, contexte.keyid_passerelle, contexte.horloge,
        catalogue=contexte.modeles,
    )
