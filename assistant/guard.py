"""Back-off on failed logins, per user name and per client address.

A few mistakes are free; after that each further failure doubles the time during which that name
(or that address) is refused without a password check — so guessing costs the guesser time, and
costs the server no PBKDF2 work. A success clears the name's and the address's record.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 3
FIRST_LOCK_SECONDS = 2.0
MAX_LOCK_SECONDS = 15 * 60.0
MAX_KEYS = 100_000  # the table itself is bounded: the oldest records go first


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class Backoff:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._records: dict[str, _Record] = {}

    def locked_for(self, *keys: str) -> float:
        """Seconds until every one of the keys may try again (0 = now)."""
        now = self.clock()
        return max([0.0] + [r.locked_until - now for k in keys if (r := self._records.get(k))])

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for k in keys:
            r = self._records.pop(k, None) or _Record()
            r.failures += 1
            r.last = now
            if r.failures > FREE_FAILURES:
                r.locked_until = now + min(MAX_LOCK_SECONDS, FIRST_LOCK_SECONDS * 2 ** (r.failures - FREE_FAILURES - 1))
            self._records[k] = r  # re-inserted: dict order is oldest-first
        while len(self._records) > MAX_KEYS:
            self._records.pop(next(iter(self._records)))

    def succeeded(self, *keys: str) -> None:
        for k in keys:
            self._records.pop(k, None)
