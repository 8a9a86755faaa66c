"""Load test of the chat app on loopback: N advisors ask a mix of questions while one session
rebalances an XL household. Starts the real server (`householder serve`), talks Chainlit's
socket.io protocol as the browser does, checks every answer against the same offline assistant
run here, and prints p50/p95 latency of the others' answers (question sent -> answer shown).

    .venv/bin/python bench/chat_load.py --sessions 20 --rounds 3      # about 2-4 minutes

Bounded: every answer has a deadline (--deadline, default 300 s, late answers are counted; the XL solve --xl-deadline, 900 s) and the
server is stopped at the end whatever happens.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.answer import Assistant  # noqa: E402 (after the sys.path line)
from bench.generate import household  # noqa: E402
from formats.markdown import plain_text  # noqa: E402
from tools import HouseholdBook  # noqa: E402

EXAMPLES = ROOT / "examples"
# Ordinary questions (answered without a solve) and small solves, as advisors ask them all day.
QUESTIONS = [
    "hello",
    "Rebalance the Rivera household",
    "Raise $50k from the Rivera household tax-efficiently",
    "Any tax-loss harvesting for the Rivera household?",
    "How well are the assets located in the Rivera household?",
    "What can you do?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def expected_first_lines(book: HouseholdBook, questions: list[str]) -> list[str]:
    """The first line of the offline assistant's own answer to each question of one conversation,
    asked in order (a follow-up depends on what came before): the server's answers must contain them."""
    assistant = Assistant(book, household="Rivera household")
    lines = []
    for question in questions:
        text = assistant.ask(question).explanation
        lines.append(plain_text(next(line for line in text.splitlines() if line.strip())))
    return lines


def conversation(i: int, rounds: int) -> list[str]:
    return [QUESTIONS[(i + r) % len(QUESTIONS)] for r in range(rounds)]


class Session:
    def __init__(self, url: str):
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.thread = str(uuid.uuid4())
        self.messages: asyncio.Queue = asyncio.Queue()
        self.idle = asyncio.Event()
        self.client.on("new_message", self._message)
        self.client.on("task_end", lambda *_: self.idle.set())

    async def _message(self, step: dict) -> None:
        if step.get("type") == "assistant_message":
            await self.messages.put(step.get("output") or "")

    async def connect(self) -> None:
        auth = {"clientType": "webapp", "sessionId": str(uuid.uuid4()), "threadId": self.thread, "userEnv": "{}"}
        await self.client.connect(self.url, socketio_path="/ws/socket.io", transports=["websocket"], auth=auth,
                                  headers={"Origin": self.url}, wait_timeout=30)
        await self.client.emit("connection_successful")
        await asyncio.sleep(1.0)  # on_chat_start sends the settings panel

    async def ask(self, question: str, expect: str, deadline: float) -> float:
        while not self.messages.empty():
            self.messages.get_nowait()
        self.idle.clear()
        started = time.perf_counter()
        step = {"id": str(uuid.uuid4()), "threadId": self.thread, "name": "User", "type": "user_message", "output": question,
                "createdAt": datetime.now(UTC).isoformat()}
        await self.client.emit("client_message", {"message": step, "fileReferences": []})
        while True:
            text = await asyncio.wait_for(self.messages.get(), timeout=deadline - (time.perf_counter() - started))
            if expect in plain_text(text):  # the chat escapes what it quotes; compare the words shown
                seconds = time.perf_counter() - started
                await asyncio.wait_for(self.idle.wait(), timeout=deadline)
                return seconds
            if "The solve failed" in text:
                raise AssertionError(f"{question!r}: {text[:300]}")


async def run(url: str, sessions: int, rounds: int, xl_name: str, book: HouseholdBook, deadline: float, xl_deadline: float) -> dict:
    # Computed before the run (the conversations repeat every len(QUESTIONS) sessions), not during it.
    expect = {i: expected_first_lines(book, conversation(i, rounds)) for i in range(min(sessions, len(QUESTIONS)))}
    xl = Session(url)
    others = [Session(url) for _ in range(sessions)]
    await asyncio.gather(*(s.connect() for s in [xl, *others]))
    xl_started = time.perf_counter()
    xl_task = asyncio.create_task(xl.ask(f"Rebalance the {xl_name}", f"Rebalance for {xl_name}", xl_deadline))
    await asyncio.sleep(2.0)  # the XL solve is under way
    latencies: list[tuple[str, float]] = []

    late: list[str] = []

    async def advisor(i: int, s: Session) -> None:
        for r, q in enumerate(conversation(i, rounds)):
            try:
                latencies.append((q, await s.ask(q, expect[i % len(QUESTIONS)][r], deadline)))
            except TimeoutError:
                late.append(q)  # counted, and this advisor stops asking (its session is still busy)
                return

    load_during = os.getloadavg()[0]
    await asyncio.gather(*(advisor(i, s) for i, s in enumerate(others)))
    others_done = time.perf_counter() - xl_started
    load_during = max(load_during, os.getloadavg()[0])
    values = sorted(v for _, v in latencies)
    print(f"others done in {others_done:.1f} s: {len(values)} answers, {len(late)} late, p50 {statistics.median(values):.2f} s, "
          f"p95 {values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]:.2f} s; waiting for the XL solve", file=sys.stderr, flush=True)
    try:
        xl_seconds = await xl_task
    except TimeoutError:
        xl_seconds = None  # later than --xl-deadline: reported as such, the others' figures stand
    for s in [xl, *others]:
        await s.client.disconnect()
    values = sorted(v for _, v in latencies)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    instant = sorted(v for q, v in latencies if q in ("hello", "What can you do?"))
    return {"answers": len(values), "late": len(late), "late_questions": late, "p50": statistics.median(values), "p95": p95, "max": values[-1],
            "p50_no_solve": statistics.median(instant) if instant else None, "xl_seconds": xl_seconds,
            "others_done_while_xl_ran": xl_seconds is None or others_done < xl_seconds, "others_seconds": others_done,
            "load_during_others": load_during, "load_after_xl": os.getloadavg()[0],
            "by_question_max": {q: sorted(v for k, v in latencies if k == q)[-1] for q in dict.fromkeys(k for k, _ in latencies)}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--deadline", type=float, default=300.0, help="seconds one ordinary answer may take")
    ap.add_argument("--xl-deadline", type=float, default=900.0, help="seconds the XL rebalance may take")
    ap.add_argument("--workers", type=int, help="solver processes (default: the server's, one per core)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="householder-load-"))
    xl = household("XL", seed=0)
    xl_path = tmp / "xl.json"
    xl_path.write_text(json.dumps(xl))
    paths = [EXAMPLES / f"{n}.json" for n in ("rivera", "retiree", "couple")] + [xl_path]
    book = HouseholdBook.from_paths(paths)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CHAINLIT_APP_ROOT": str(tmp / "app")}
    env.pop("OPENAI_API_KEY", None)
    if args.workers:
        env["HOUSEHOLDER_SOLVE_WORKERS"] = str(args.workers)
    command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)] + [a for p in paths for a in ("--household", str(p))]
    with (tmp / "server.log").open("w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        load = os.getloadavg()[0]
        out = asyncio.run(run(url, args.sessions, args.rounds, xl["name"], book, args.deadline, args.xl_deadline))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    out.update(sessions=args.sessions, rounds=args.rounds, load_before=load, cores=os.cpu_count())
    print(json.dumps(out, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
