"""Reference client: what an integrator copies to sign requests and check receipts."""

from passerelle.client.client import ClientPasserelle, RecuInvalide, ReponsePasserelle
from passerelle.client.signeur import SignatureRfc9421

__all__ = ["ClientPasserelle", "RecuInvalide", "ReponsePasserelle", "SignatureRfc9421"]
