"""The NIR (numéro d'inscription au répertoire), checked harder than a bare mod-97 key.

The NIR is the key of every exchange: a wrong one attaches a signal to another person, so the
gateway refuses anything that cannot be a NIR *before* it is stored, with the exact reason, so
that the caisse fixes its record instead of retrying blindly.

Layout (15 characters, positions counted from 1)::

    1      sexe           1 or 2 (7/8: NIA, temporary number — refused for these flux)
    2-3    année          00-99 (two digits: the century is not in the number)
    4-5    mois           01-12, or 20-42 / 50-99 (pseudo-months of incomplete civil records)
    6-7    département    01-19, 2A, 2B, 20 (Corsica before 1976), 21-95, 96, 97, 99
    8-10   commune        001-999 (for 97x the third digit of the département is here: 97 4 11)
    11-13  ordre          001-999
    14-15  clé            01-97, = 97 - (the 13 first characters as a number mod 97),
                          with 2A read as 19 and 2B as 18

Corsica and the century: Corsica was split into 2A/2B on 1 January 1976; people born there
before keep "20". The two-digit year cannot tell 1965 from 2065, so :func:`normaliser_nir`
(which sees the number alone) only refuses what is wrong in *every* century: "20" with a year
76-99 (1976-1999 must be 2A/2B; 2076-2099 is not born yet). 2A/2B with a year 00-75 is kept,
because it is right for someone born 2000-2075. With the full birth date,
:func:`nir_coherent_avec_naissance` applies the exact rule (20 before 1976, 2A/2B from 1976).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

LONGUEUR_NIR = 15
ANNEE_BI_DEPARTEMENTALISATION_CORSE = 1976

# Canonical form only: the gateway also tolerates spaces and a lowercase a/b, then normalises.
MOTIF_NIR = r"^[12][0-9]{4}(?:[0-9]{2}|2[AB])[0-9]{6}[0-9]{2}$"

_DEPARTEMENTS_CORSE = {"2A": 19, "2B": 18}


def _est_entre(valeur: str, minimum: int, maximum: int) -> bool:
    return valeur.isdigit() and minimum <= int(valeur) <= maximum


def _verifier_caracteres(nir: str) -> None:
    for position, caractere in enumerate(nir, start=1):
        if caractere.isdigit() and caractere.isascii():
            continue
        if position == 7 and caractere in "AB" and nir[5] == "2":
            continue
        raise ValueError(
            f"caractère non autorisé en position {position} : le NIR ne contient que des "
            "chiffres, sauf le département de naissance corse (2A ou 2B, positions 6-7)"
        )


def _verifier_sexe(sexe: str) -> None:
    if sexe in "78":
        raise ValueError(
            "le NIR commence par 7 ou 8 : c'est un numéro d'inscription d'attente (NIA) "
            "temporaire, qui n'est pas accepté pour ces flux ; transmettre le NIR définitif "
            "de la personne une fois son immatriculation certifiée"
        )
    if sexe not in "12":
        raise ValueError("le premier chiffre du NIR (sexe) doit être 1 ou 2")


def _verifier_mois(mois: str) -> None:
    if not (_est_entre(mois, 1, 12) or _est_entre(mois, 20, 42) or _est_entre(mois, 50, 99)):
        raise ValueError(
            "mois de naissance du NIR (positions 4-5) invalide : attendu 01 à 12, ou 20 à 42 "
            "ou 50 à 99 (mois fictifs des états civils incomplets)"
        )


def _verifier_departement(departement: str, annee: str) -> None:
    if departement in _DEPARTEMENTS_CORSE:
        return  # 2A/2B with a year 00-75 may be 2000-2075: see the module docstring.
    if departement == "20":
        if int(annee) >= 76:
            raise ValueError(
                "département de naissance « 20 » (positions 6-7) impossible pour une année "
                "de naissance 76 à 99 : depuis 1976 la Corse est codée 2A ou 2B"
            )
        return
    if (
        _est_entre(departement, 1, 19)
        or _est_entre(departement, 21, 97)
        or departement == "99"
    ):
        return
    raise ValueError(
        "département de naissance du NIR (positions 6-7) invalide : attendu 01 à 19, 2A, 2B, "
        "20 (Corse, né avant 1976), 21 à 95, 96, 97 (outre-mer) ou 99 (né à l'étranger)"
    )


def calculer_cle(treize_premiers: str) -> int:
    """The control key of the 13 first characters (2A read as 19, 2B as 18)."""
    departement = treize_premiers[5:7]
    if departement in _DEPARTEMENTS_CORSE:
        treize_premiers = (
            treize_premiers[:5] + str(_DEPARTEMENTS_CORSE[departement]) + treize_premiers[7:]
        )
    return 97 - int(treize_premiers) % 97


def normaliser_nir(valeur: str) -> str:
    """Return the canonical NIR (no spaces, uppercase) or raise ``ValueError`` saying why not.

    Spaces are tolerated because NIRs are often printed grouped ("1 62 05 42 218 123 45");
    the reason is given for the first fault found, in layout order, so that the message
    points at one precise place of the number.
    """
    nir = "".join(valeur.split()).upper()
    if len(nir) != LONGUEUR_NIR:
        raise ValueError(
            f"le NIR doit compter 15 caractères (13 + clé de 2 chiffres) une fois les espaces "
            f"retirés ; {len(nir)} reçus"
        )
    _verifier_caracteres(nir)
    _verifier_sexe(nir[0])
    _verifier_mois(nir[3:5])
    _verifier_departement(nir[5:7], nir[1:3])
    if nir[7:10] == "000":
        raise ValueError("code commune du NIR (positions 8-10) invalide : 000 n'existe pas")
    if nir[10:13] == "000":
        raise ValueError("numéro d'ordre du NIR (positions 11-13) invalide : 000 n'existe pas")
    cle = int(nir[13:15])
    if not 1 <= cle <= 97:
        raise ValueError("clé du NIR (positions 14-15) invalide : attendu 01 à 97")
    if cle != calculer_cle(nir[:13]):
        raise ValueError(
            "la clé du NIR (positions 14-15) ne correspond pas aux 13 premiers caractères : "
            "le numéro comporte probablement une erreur de saisie"
        )
    return nir


def nir_coherent_avec_naissance(nir: str, date_naissance: date) -> str | None:
    """Why a (normalised) NIR cannot belong to someone born on ``date_naissance``, or ``None``.

    The message names positions, not values: it may be logged or journaled.
    Only what the NIR really encodes is compared: the year's two last digits, the month when
    it is a real month (01-12; pseudo-months 20-42/50-99 say the month was unknown), and the
    Corsican département code, which the full year makes unambiguous.
    """
    raisons: list[str] = []
    annee, mois, departement = nir[1:3], nir[3:5], nir[5:7]
    if annee != f"{date_naissance.year % 100:02d}":
        raisons.append(
            "l'année de naissance du NIR (positions 2-3) ne correspond pas à l'année de "
            "date_naissance"
        )
    if _est_entre(mois, 1, 12) and int(mois) != date_naissance.month:
        raisons.append(
            "le mois de naissance du NIR (positions 4-5) ne correspond pas au mois de "
            "date_naissance"
        )
    avant_1976 = date_naissance.year < ANNEE_BI_DEPARTEMENTALISATION_CORSE
    if departement == "20" and not avant_1976:
        raisons.append(
            "le département « 20 » du NIR n'est attribué qu'aux personnes nées en Corse avant "
            "1976 ; depuis 1976 : 2A ou 2B"
        )
    if departement in _DEPARTEMENTS_CORSE and avant_1976:
        raisons.append(
            f"le département « {departement} » du NIR n'existe que pour les naissances à "
            "partir de 1976 ; une personne née en Corse avant 1976 a le département « 20 »"
        )
    return " ; ".join(raisons) or None


Nir = Annotated[
    str,
    AfterValidator(normaliser_nir),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MOTIF_NIR,
            "minLength": LONGUEUR_NIR,
            "maxLength": LONGUEUR_NIR,
        }
    ),
]
"""A NIR field: canonical 15 characters once validated (spaces and lowercase tolerated)."""
