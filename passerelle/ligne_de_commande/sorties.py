"""Exit codes of the ``passerelle`` command, one per kind of failure, documented in
docs/ligne-de-commande.md: a script tells "the gateway refused" from "the gateway is down"
from "my file is missing" without reading the message."""

from __future__ import annotations

from enum import IntEnum
from typing import NoReturn

import typer


class Sortie(IntEnum):
    OK = 0
    REFUS = 1  # the gateway (or the command) refused what was asked; the message says why
    USAGE = 2  # unknown option, missing argument, unreadable value
    FICHIER = 3  # a file is missing, unreadable, or already there
    INJOIGNABLE = 4  # no answer from the gateway at --url
    CONFIGURATION = 5  # configuration file or setting (PASSERELLE_*) invalid
    DEVELOPPEMENT = 6  # development keys or secrets outside development mode
    ADRESSE_OCCUPEE = 7  # the listening address is taken or not allowed
    LOT_REFUSES = 8  # a batch was accepted, but some of its lines were refused
    RECU_INVALIDE = 9  # a signed answer does not verify against the gateway's JWKS
    BASE = 10  # the database cannot be reached or read
    INTERNE = 70  # an unexpected error: a bug to report
    INTERROMPU = 130  # Ctrl-C


class Echec(Exception):
    """A failure the person can act on: one French line and its exit code."""

    def __init__(self, message: str, code: Sortie = Sortie.REFUS) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def erreur(message: str, code: Sortie = Sortie.REFUS) -> NoReturn:
    """Stop the command with one French line on standard error and ``code``."""
    raise Echec(message, code)


def afficher_erreur(message: str) -> None:
    """One line, whatever the message held (a YAML parser's report spans several)."""
    typer.secho(" ".join(message.split()), fg=typer.colors.RED, err=True)
