"""``python -m passerelle.serveur module:fabrique --port N``: any ASGI factory (no argument) under
the gateway's server construction, with the ``PASSERELLE_*`` settings of the environment.

For the benches, so that the gateway and the bare comparison route run on the very same server
as ``passerelle serve``; an operator runs ``passerelle serve``.
"""

from __future__ import annotations

import argparse

from passerelle.reglages import Reglages
from passerelle.serveur.lancement import configuration, servir


def principal() -> None:
    analyse = argparse.ArgumentParser(prog="python -m passerelle.serveur", description=__doc__.split("\n\n")[0])
    analyse.add_argument("fabrique", help="module:fonction sans argument qui rend l'application ASGI")
    analyse.add_argument("--hote", default=None)
    analyse.add_argument("--port", type=int, default=None)
    args = analyse.parse_args()
    surcharges = {nom: valeur for nom, valeur in (("hote", args.hote), ("port", args.port)) if valeur is not None}
    servir(configuration(args.fabrique, Reglages(**surcharges), factory=True))


if __name__ == "__main__":
    principal()
