"""The demonstration: a compressed year of CAF ↔ Carsat flows through a real gateway.

``passerelle demo`` (see :mod:`passerelle.demo.deroulement`). The accelerated clock it relies
on (:mod:`passerelle.demo.horloge`) is refused outside development mode.
"""

from passerelle.demo.commande import demo

__all__ = ["demo"]
