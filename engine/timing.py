"""Wall-clock seconds spent in each phase of a request, for benchmarks and profiling.

The engine marks its phases (`universe`, `location`, `build`, `translate`, `solve`, `read`,
`report`); nothing is recorded unless a caller asks with `recording()`. Phases nest and the time
is exclusive: a location LP solved while measuring a plan counts as `location`, not `report`.

    with recording() as rec:
        rebalance(h)
    rec.seconds  # {'universe': 0.01, 'build': 0.02, 'solve': 0.3, ...}
    rec.models   # every trade model solved, in order: the tool's own first, then baselines
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recording:
    seconds: dict[str, float] = field(default_factory=dict)
    models: list[tuple[Any, Any]] = field(default_factory=list)  # (Pyomo model, SolveOutcome)
    keep_models: bool = False
    _stack: list = field(default_factory=list)


_active: ContextVar[Recording | None] = ContextVar("householder_timing", default=None)


@contextmanager
def phase(name: str) -> Iterator[None]:
    rec = _active.get()
    if rec is None:
        yield
        return
    seconds, stack = rec.seconds, rec._stack
    now = time.perf_counter()
    if stack:  # pause the enclosing phase
        outer, since = stack[-1]
        seconds[outer] = seconds.get(outer, 0.0) + now - since
    stack.append([name, now])
    try:
        yield
    finally:
        now = time.perf_counter()
        _, since = stack.pop()
        seconds[name] = seconds.get(name, 0.0) + now - since
        if stack:
            stack[-1][1] = now


def solved(model: Any, outcome: Any) -> None:
    """Keep a solved trade model for the caller of `recording(keep_models=True)` (benchmarks
    export it to time the solver alone)."""
    rec = _active.get()
    if rec is not None:
        rec.models.append((model if rec.keep_models else None, outcome))


@contextmanager
def recording(keep_models: bool = False) -> Iterator[Recording]:
    """Seconds per phase for everything run inside the block (this thread or task only)."""
    rec = Recording(keep_models=keep_models)
    token = _active.set(rec)
    try:
        yield rec
    finally:
        _active.reset(token)
