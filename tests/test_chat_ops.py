"""The chat app's operations parts without a browser: login back-off, the solver pool (queue,
cancel, a killed worker replaced), and the audit trail written and listed by `householder audit`."""
from __future__ import annotations

import asyncio
import time

import pytest

from assistant.guard import FIRST_LOCK_SECONDS, FREE_FAILURES, Backoff
from assistant.workers import SolvePool


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_locks_after_the_free_failures_doubles_and_clears_on_success():
    clock = Clock()
    b = Backoff(clock)
    for _ in range(FREE_FAILURES):
        b.failed("user:avery", "address:10.0.0.1")
        assert b.locked_for("user:avery") == 0
    b.failed("user:avery", "address:10.0.0.1")
    assert b.locked_for("user:avery") == pytest.approx(FIRST_LOCK_SECONDS)
    assert b.locked_for("user:blake", "address:10.0.0.1") == pytest.approx(FIRST_LOCK_SECONDS)  # the address is locked too
    assert b.locked_for("user:blake", "address:10.0.0.2") == 0
    b.failed("user:avery")
    assert b.locked_for("user:avery") == pytest.approx(2 * FIRST_LOCK_SECONDS)
    clock.now += 2 * FIRST_LOCK_SECONDS + 0.1
    assert b.locked_for("user:avery") == 0
    b.succeeded("user:avery")
    b.failed("user:avery")
    assert b.locked_for("user:avery") == 0  # a success starts the count again


def _run(coro):
    return asyncio.run(coro)


def test_pool_queues_in_order_reports_the_place_and_cancel_kills_only_that_solve():
    async def scenario():
        pool = SolvePool(1)
        places: list[int] = []

        async def note(place: int) -> None:
            places.append(place)

        try:
            assert await pool.run("warm", pow, 2, 10) == 1024  # the worker is up
            long = asyncio.create_task(pool.run("a", time.sleep, 60))
            await asyncio.sleep(0.3)
            queued = asyncio.create_task(pool.run("b", pow, 3, 4, on_wait=note))
            await asyncio.sleep(0.3)
            assert pool.position("b") == 1 and places == [1]
            started = time.perf_counter()
            long.cancel()  # Stop: the 60 s "solve" is killed, and the next in line runs at once
            with pytest.raises(asyncio.CancelledError):
                await long
            assert await asyncio.wait_for(queued, timeout=30) == 81
            assert time.perf_counter() - started < 30
            with pytest.raises(ZeroDivisionError):  # a failing job reports its error and keeps the worker
                await pool.run("c", divmod, 1, 0)
            assert await pool.run("d", pow, 2, 3) == 8
        finally:
            pool.close()

    _run(scenario())


# The audit trail and the rest of the database: tests/test_store.py, on SQLite and PostgreSQL.
