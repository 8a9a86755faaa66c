"""The chat app's operations parts without a browser: login back-off, the solver pool (queue,
cancel, a killed worker replaced), and the audit trail written and listed by `householder audit`."""
from __future__ import annotations

import asyncio
import time

import pytest

from assistant.guard import FIRST_LOCK_SECONDS, FREE_FAILURES, Backoff
from assistant.workers import GENERAL_NICE, SolvePool


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
        pool = SolvePool(1, small=0)
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


def test_small_jobs_take_their_own_lane_past_a_long_solve_and_long_solves_run_niced():
    async def scenario():
        pool = SolvePool(1, small=1)
        try:
            assert await pool.run("warm", pow, 2, 10) == 1024
            assert await pool.run("warm-small", pow, 2, 3, small=True) == 8
            general = [w for w in pool._idle if not w.small_only]
            lane = [w for w in pool._idle if w.small_only]
            assert len(general) == 1 and len(lane) == 1
            import os

            here = os.getpriority(os.PRIO_PROCESS, 0)
            assert os.getpriority(os.PRIO_PROCESS, general[0].process.pid) == min(19, here + GENERAL_NICE)
            assert os.getpriority(os.PRIO_PROCESS, lane[0].process.pid) == here

            long = asyncio.create_task(pool.run("xl", time.sleep, 60))  # the general worker is busy
            await asyncio.sleep(0.3)
            big = asyncio.create_task(pool.run("big", pow, 3, 3))  # a second big job waits for it
            await asyncio.sleep(0.3)
            started = time.perf_counter()
            assert await asyncio.wait_for(pool.run("s1", pow, 5, 2, small=True), timeout=10) == 25  # past both
            assert time.perf_counter() - started < 10
            assert pool.position("big") == 1 and not big.done()
            # Small jobs queue among themselves on the lane, first come first served.
            slow_small = asyncio.create_task(pool.run("s2", time.sleep, 1.0, small=True))
            await asyncio.sleep(0.2)
            places: list[int] = []

            async def note(place):
                places.append(place)

            assert await pool.run("s3", pow, 7, 2, small=True, on_wait=note) == 49
            assert places == [1] and slow_small.done()
            long.cancel()
            with pytest.raises(asyncio.CancelledError):
                await long
            assert await asyncio.wait_for(big, timeout=30) == 27
            # The replacement worker keeps its lane and priority.
            assert sorted(w.small_only for w in pool._idle) == [False, True]
        finally:
            pool.close()

    _run(scenario())
