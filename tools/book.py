"""The households an advisor has loaded, found by name the way people say them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from engine import Household, load_household


def _key(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    words = [w for w in words if w not in ("the", "household", "family", "s", "household's")]
    # "Riveras" and "Rivera's" both mean the Rivera household.
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)


@dataclass
class HouseholdBook:
    households: dict[str, Household] = field(default_factory=dict)  # name -> household

    @classmethod
    def from_paths(cls, paths: list[str | Path]) -> HouseholdBook:
        book = cls()
        for p in paths:
            book.add(load_household(p), Path(p).stem)
        return book

    def add(self, h: Household, stem: str | None = None) -> None:
        self.households[h.name] = h
        if stem:
            self._stems[stem] = h.name

    def __post_init__(self) -> None:
        self._stems: dict[str, str] = {}

    @property
    def names(self) -> list[str]:
        return list(self.households)

    def find(self, name: str | None) -> tuple[Household | None, str]:
        """(household, "") or (None, why and which names are valid)."""
        if not name:
            if len(self.households) == 1:
                return next(iter(self.households.values())), ""
            return None, f"which household? Loaded: {', '.join(self.names) or 'none'}"
        if name in self.households:
            return self.households[name], ""
        if name in self._stems:
            return self.households[self._stems[name]], ""
        wanted = _key(name)
        hits = [h for n, h in self.households.items() if wanted and (_key(n) == wanted or wanted in _key(n).split() or _key(n).startswith(wanted))]
        hits += [self.households[n] for s, n in self._stems.items() if wanted and _key(s) == wanted and self.households[n] not in hits]
        if len(hits) == 1:
            return hits[0], ""
        return None, f"no household called {name!r}; loaded households are: {', '.join(self.names) or 'none'}"

    def mentioned_in(self, text: str) -> list[Household]:
        """Households whose name (or file name) appears in free text."""
        words = set(_key(text).split())
        found = []
        for n, h in self.households.items():
            key_words = [w for w in _key(n).split()]
            if key_words and all(w in words for w in key_words):
                found.append(h)
        for s, n in self._stems.items():
            if _key(s) and all(w in words for w in _key(s).split()) and self.households[n] not in found:
                found.append(self.households[n])
        return found
