"""Civil quarters, written ``2026T3`` as the family branch's reports name them.

Strict on purpose: a report for the wrong quarter looks perfectly plausible, so ``2026t3``,
``2026-T3``, ``26T3`` or ``2026T5`` are refused rather than guessed. Quarters are cut in UTC,
like every instant the gateway records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

_TRIMESTRE = re.compile(r"([0-9]{4})T([1-4])")


@dataclass(frozen=True, order=True)
class Trimestre:
    annee: int
    numero: int  # 1 to 4

    @classmethod
    def lire(cls, texte: str) -> Trimestre:
        trouve = _TRIMESTRE.fullmatch(texte)
        if trouve is None or int(trouve.group(1)) < 1970:
            raise ValueError(
                f"trimestre illisible: {texte!r} (attendu AAAAT1 à AAAAT4, par exemple 2026T3 pour juillet à septembre 2026)"
            )
        return cls(int(trouve.group(1)), int(trouve.group(2)))

    @property
    def debut(self) -> datetime:
        """First instant of the quarter (UTC, inclusive)."""
        return datetime(self.annee, 3 * self.numero - 2, 1, tzinfo=timezone.utc)

    @property
    def fin(self) -> datetime:
        """First instant of the next quarter (UTC, exclusive)."""
        if self.numero == 4:
            return datetime(self.annee + 1, 1, 1, tzinfo=timezone.utc)
        return datetime(self.annee, 3 * self.numero + 1, 1, tzinfo=timezone.utc)

    def __str__(self) -> str:
        return f"{self.annee}T{self.numero}"
