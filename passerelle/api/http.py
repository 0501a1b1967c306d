"""From the ASGI request to the plain data the signature and pipeline functions take."""

from __future__ import annotations

from fastapi import Request

from passerelle.erreurs import Refus
from passerelle.signature.base import MessageHttp


def message_http(request: Request) -> MessageHttp:
    """The request as signed: raw path, raw query, header lines combined per RFC 9110."""
    entetes: dict[str, str] = {}
    for nom, valeur in request.headers.raw:
        cle = nom.decode("latin-1").lower()
        texte = valeur.decode("latin-1").strip()
        entetes[cle] = f"{entetes[cle]}, {texte}" if cle in entetes else texte
    chemin = request.scope.get("raw_path") or request.url.path.encode("ascii")
    return MessageHttp(
        methode=request.method,
        chemin=chemin.decode("latin-1").split("?", 1)[0],
        requete=request.scope.get("query_string", b"").decode("latin-1"),
        entetes=entetes,
        autorite=entetes.get("host"),
    )


async def lire_corps(request: Request, limite: int) -> bytes:
    """The body, refused as soon as it exceeds ``limite`` — never read whole when too large."""
    annonce = request.headers.get("content-length")
    if annonce is not None:
        try:
            if int(annonce) > limite:
                raise _trop_volumineux(limite)
        except ValueError:
            raise Refus(code="requete_malformee", detail="Content-Length illisible") from None
    morceaux: list[bytes] = []
    total = 0
    async for morceau in request.stream():
        total += len(morceau)
        if total > limite:
            raise _trop_volumineux(limite)
        morceaux.append(morceau)
    return b"".join(morceaux)


def _trop_volumineux(limite: int) -> Refus:
    return Refus(
        code="corps_trop_volumineux",
        detail=f"le corps de la requête dépasse {limite} octets",
        statut=413,
        titre="Corps trop volumineux",
    )
