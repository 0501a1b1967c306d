"""What the offline verifier found, named precisely enough to go and look.

Kept apart from the verifier so that the report's wording can change without touching the
verification, and so that tests can ask *which* entry or checkpoint was named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Alteration", "Rapport"]

_MAX_LISTE = 50


@dataclass(frozen=True)
class Alteration:
    """One finding. ``objet``: entree, feuille, checkpoint, cle, manifeste or export.

    ``position`` is an entry index (entree, feuille) or a checkpoint's line number (from 1);
    ``fin``, when given, closes a range of entry indices [position, fin).
    """

    objet: str
    position: int | None
    message: str
    fin: int | None = None


@dataclass
class Rapport:
    """Counts, the key used, and every alteration in the order found (the first divergence first)."""

    origine: str | None = None
    cles: list[str] = field(default_factory=list)
    entrees: int = 0
    checkpoints_valides: int = 0
    taille_prouvee: int = 0
    alterations: list[Alteration] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.alterations

    def signaler(self, objet: str, position: int | None, message: str, fin: int | None = None) -> None:
        self.alterations.append(Alteration(objet, position, message, fin))

    def nommes(self, objet: str) -> set[int]:
        """Every entry index or checkpoint number named for ``objet`` (ranges expanded)."""
        resultat: set[int] = set()
        for a in self.alterations:
            if a.objet == objet and a.position is not None:
                resultat.update(range(a.position, a.fin if a.fin is not None else a.position + 1))
        return resultat

    def texte(self) -> str:
        lignes = [f"Vérification hors ligne de l'export du journal « {self.origine or '?'} »"]
        for cle in self.cles:
            lignes.append(f"  clé de vérification : {cle}")
        if self.cles:
            lignes.append("  (comparez-la à celle que publie la passerelle : GET /v1/journal/cle)")
        lignes.append(
            f"  {self.entrees} entrées lues, {self.checkpoints_valides} checkpoints à signature valide, "
            f"journal prouvé intègre jusqu'à la taille {self.taille_prouvee}"
        )
        if self.ok:
            lignes.append("RÉSULTAT : intègre — chaque entrée, chaque feuille et chaque checkpoint concordent.")
        else:
            lignes.append(f"RÉSULTAT : ALTÉRÉ — {len(self.alterations)} anomalie(s) :")
            for a in self.alterations[:_MAX_LISTE]:
                lignes.append(f"  - {a.message}")
            if len(self.alterations) > _MAX_LISTE:
                lignes.append(f"  … et {len(self.alterations) - _MAX_LISTE} autres")
        return "\n".join(lignes) + "\n"
