"""Solves for the chat app, in a pool of worker processes, off the server's event loop.

A solve is CPU work that holds the GIL for seconds to minutes; in the server process it would stall
every other session. Each worker is a long-lived process (started with `spawn`, so it inherits none
of the server's threads or sockets) that imports the engine once and then runs one job at a time.

Two lanes. General workers take any job, first come first served; they run at a lower CPU priority
(nice), so a long solve yields the cores to the server process and to small solves. Small-lane
workers take only small jobs (a household of a few thousand lots solves in a fraction of a second):
an XL rebalance, or several, can occupy every general worker without small answers queueing behind
them. Each caller learns its place in the queue. Cancelling a job that is waiting removes it;
cancelling one that runs kills its worker (a solver cannot be interrupted politely) and starts a
fresh one in its place.

Environment: HOUSEHOLDER_SOLVE_WORKERS — general workers (default: one per core);
HOUSEHOLDER_SMALL_WORKERS — small-lane workers (default 1; 0 for none).
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

log = logging.getLogger("householder.workers")

_SPAWN = multiprocessing.get_context("spawn")
# How much lower a general worker's CPU priority is than the server's (nice increment): +5 gives a
# busy general worker about a third of a core's share against the server and the small lane (+10
# would give a tenth, and starve an XL solve on a machine shared with other work).
GENERAL_NICE = 5


def _count(name: str, default: int, least: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a whole number") from None
    if n < least:
        raise ValueError(f"{name}: must be at least {least}")
    return n


def default_size() -> int:
    return _count("HOUSEHOLDER_SOLVE_WORKERS", max(1, os.cpu_count() or 1), 1)


def default_small() -> int:
    return _count("HOUSEHOLDER_SMALL_WORKERS", 1, 0)


def _serve(conn: Connection, nice: int = 0) -> None:
    """A worker's life: (function, arguments) in, ("ok", value) or ("error", exception) out."""
    if nice:
        try:
            os.nice(nice)
        except OSError:  # not permitted here: the worker runs at the server's priority
            pass
    import engine  # noqa: F401 — pay the import once, before the first job

    while True:
        try:
            fn, args = conn.recv()
        except EOFError:
            return
        try:
            reply = ("ok", fn(*args))
        except BaseException as err:  # noqa: BLE001 — the job's failure is the caller's to report
            reply = ("error", err)
        try:
            conn.send(reply)
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            conn.send(("error", RuntimeError(f"the result could not be sent back: {err}")))


class WorkerLost(RuntimeError):
    """The worker process died during the job (killed, or out of memory)."""


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    small_only: bool

    @classmethod
    def start(cls, small_only: bool = False) -> _Worker:
        parent, child = _SPAWN.Pipe()
        process = _SPAWN.Process(target=_serve, args=(child, 0 if small_only else GENERAL_NICE), daemon=True,
                                 name="householder-solver-small" if small_only else "householder-solver")
        process.start()
        child.close()
        return cls(process, parent, small_only)

    def roundtrip(self, fn: Callable, args: tuple):
        """Blocking: send one job and wait for its reply (runs in a thread, never on the loop)."""
        try:
            self.conn.send((fn, args))
            status, value = self.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            raise WorkerLost("the solver process ended before answering") from None
        if status == "error":
            raise value
        return value

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


@dataclass
class _Ticket:
    owner: str
    small: bool
    moved: asyncio.Event = field(default_factory=asyncio.Event)


class SolvePool:
    """`await pool.run(owner, fn, *args, small=..., on_wait=...)`: fn(*args) in a worker process.

    fn and its arguments must pickle (module-level functions, plain data). `small` jobs may also use
    the small lane. `on_wait(position)` is awaited with the job's place in the queue (1 = next)
    whenever that place changes.
    """

    def __init__(self, size: int | None = None, small: int | None = None):
        self.size = size or default_size()
        self.small = default_small() if small is None else small
        self._idle: list[_Worker] = []
        self._queue: list[_Ticket] = []
        self._started = False
        self._lock = threading.Lock()  # guards _idle across the loop and replacement threads

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self._idle = [_Worker.start() for _ in range(self.size)] + [_Worker.start(small_only=True) for _ in range(self.small)]

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def _ahead(self, ticket: _Ticket) -> list[_Ticket]:
        """The tickets before this one that compete for the same workers (a small job does not wait
        for big ones when the small lane is there)."""
        before = self._queue[: self._queue.index(ticket)]
        return [t for t in before if t.small] if ticket.small and self.small else before

    def position(self, owner: str) -> int | None:
        for t in self._queue:
            if t.owner == owner:
                return len(self._ahead(t)) + 1
        return None

    def _wake(self) -> None:
        for t in self._queue:
            t.moved.set()

    def _take(self, ticket: _Ticket) -> _Worker | None:
        with self._lock:
            before = self._queue[: self._queue.index(ticket)]
            lane = [w for w in self._idle if w.small_only]
            general = [w for w in self._idle if not w.small_only]
            # A small-lane worker goes to the first small job; a general one to the first job of all.
            if ticket.small and lane and not any(t.small for t in before):
                worker = lane[0]
            elif general and not before:
                worker = general[0]
            else:
                return None
            self._queue.remove(ticket)
            self._idle.remove(worker)
            return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    async def run(self, owner: str, fn: Callable, *args, small: bool = False, on_wait: Callable | None = None):
        self._start()
        ticket = _Ticket(owner, small)
        self._queue.append(ticket)
        shown = None
        try:
            while (worker := self._take(ticket)) is None:
                place = len(self._ahead(ticket)) + 1
                if on_wait is not None and place != shown:
                    shown = place
                    await on_wait(place)
                ticket.moved.clear()
                try:
                    await asyncio.wait_for(ticket.moved.wait(), timeout=0.5)
                except TimeoutError:
                    pass
        except BaseException:
            if ticket in self._queue:
                self._queue.remove(ticket)
                self._wake()
            raise
        self._wake()
        job = asyncio.get_running_loop().run_in_executor(None, worker.roundtrip, fn, args)
        try:
            value = await asyncio.shield(job)
        except asyncio.CancelledError:
            # Stop: the solver cannot be told to stop, so its process goes and a fresh one takes its place.
            log.info("cancelling a solve for %s: replacing its worker", owner)
            job.add_done_callback(lambda f: f.exception())  # its WorkerLost is expected: retrieved here
            worker.kill()
            await asyncio.to_thread(lambda: self._give_back(_Worker.start(worker.small_only)))
            self._wake()
            raise
        except WorkerLost:
            worker.kill()
            self._give_back(_Worker.start(worker.small_only))
            self._wake()
            raise
        except BaseException:
            self._give_back(worker)
            self._wake()
            raise
        self._give_back(worker)
        self._wake()
        return value

    def close(self) -> None:
        with self._lock:
            workers, self._idle = self._idle, []
        for w in workers:
            w.kill()


def ask(assistant, question: str, audience: str):
    """The job the chat app sends: the session's Assistant (pickled over) answers one question.

    Returns (answer, assistant): the caller keeps the returned assistant, whose context and last
    plan the answer moved on; a cancelled job returns nothing, so the session's state stays as it was.
    """
    answer = assistant.ask(question, audience=audience)
    return answer, assistant


def run_call(assistant, call):
    """The same, for a call the server already parsed: the engine's part only."""
    return assistant.run(call), assistant
