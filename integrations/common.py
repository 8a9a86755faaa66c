"""What the MCP server and the HTTP API share: the book folder, argument checks with the CLI's
field-by-field messages, the JSON a tool answers with, a short text summary, and a process pool
that runs solves away from the server's event loop."""
from __future__ import annotations

import asyncio
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pydantic import ValidationError
from starlette.responses import JSONResponse

from engine.household import Household, HouseholdError, load_household
from engine.results import DISCLAIMER

# A household file or an inline household document larger than this is refused (bytes).
MAX_DOCUMENT_BYTES = 2_000_000
# The largest JSON of tool arguments accepted through MCP (bytes).
MAX_ARGUMENT_BYTES = 64_000
# A request may ask for less solve time than the server allows, never more (seconds).
DEFAULT_TIME_LIMIT = 30.0
# Beyond the solver's time limit, model building and reporting get this long before the
# request is answered as timed out (seconds).
GRACE_SECONDS = 30.0


class BookError(ValueError):
    """A book folder that cannot be served: the message names the file and the fix."""


def default_book_folder() -> Path:
    return Path(__file__).resolve().parents[1] / "examples"


def load_book(folder: str | Path | None):
    """Every household file (*.json) in a folder; a file that is not a valid household stops the
    server with its field-by-field problems, so a book is never served half-loaded. targets.json
    (the import helper's targets) is not a household and is skipped."""
    from tools import HouseholdBook

    root = Path(folder) if folder else default_book_folder()
    if not root.is_dir():
        raise BookError(f"--book: {root} is not a folder; give a folder of household JSON files")
    paths = sorted(p for p in root.glob("*.json") if p.name != "targets.json")
    if not paths:
        raise BookError(f"--book: no household files (*.json) in {root}")
    book = HouseholdBook()
    problems: list[str] = []
    for p in paths:
        if p.stat().st_size > MAX_DOCUMENT_BYTES:
            problems.append(f"{p}: larger than {MAX_DOCUMENT_BYTES:,} bytes")
            continue
        try:
            book.add(load_household(p), p.stem)
        except HouseholdError as err:
            problems.extend(f"{p.name}: {line}" for line in err.problems)
    if problems:
        raise BookError("the book has bad household files:\n  " + "\n  ".join(problems))
    return book


def argument_problems(tool: str, arguments: object) -> list[str]:
    """Every bad field of a tool call as 'field: what is wrong', empty when the call is valid."""
    from tools import ARGS

    if tool not in ARGS:
        return [f"tool: unknown tool {tool!r}; tools are: {', '.join(ARGS)}"]
    try:
        ARGS[tool].model_validate(arguments)
    except ValidationError as err:
        return [_field_message(e) for e in err.errors()]
    return []


def _field_message(e: dict) -> str:
    loc = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in e["loc"]).replace(".[", "[") or "arguments"
    msg = e["msg"]
    if e["type"] == "extra_forbidden":
        msg = "not an argument of this tool; see its schema"
    shown = e.get("input")
    got = f" (got {shown!r})" if e["type"] != "missing" and not isinstance(shown, (dict, list)) and e["type"] != "extra_forbidden" else ""
    return f"{loc}: {msg}{got}"


def payload(outcome) -> dict:
    """The JSON a tool answers with: the Result exactly as `householder <tool> --json` prints it;
    compare adds the difference of the two plans."""
    body = outcome.result.model_dump(mode="json")
    if outcome.tool == "compare":
        return {"result": body, "comparison": outcome.comparison.model_dump(mode="json") if outcome.comparison else None}
    return body


def summary(outcome) -> str:
    """A few lines for an assistant to read aloud; the structured content has the rest."""
    from formats import money

    r = outcome.result
    lines = [f"{r.tool} for {r.household} (as of {r.as_of}): {r.status}" + (f", gap {r.gap:.2%}" if r.gap else "")]
    if r.message:
        lines.append(r.message)
    if r.tool != "household_summary":
        lines.append(f"{len(r.trades)} orders" + (f"; estimated tax {money(r.taxes.estimated_tax)}" if r.taxes else ""))
    if r.after is not None:
        lines.append(f"drift after {r.after.drift:.2%}, location score {r.after.location_score:.1f}")
    elif r.before is not None:
        lines.append(f"value {money(r.before.value)}, drift {r.before.drift:.2%}")
    if outcome.comparison is not None:
        c = outcome.comparison
        lines.append(f"after minus before: estimated tax {money(c.estimated_tax)}, orders {c.trades:+d}")
    lines.append(DISCLAIMER)
    return "\n".join(lines)


def solve(household: Household, tool: str, arguments: dict, solver: str, time_limit: float):
    """Run one tool call on one household (in a worker process). Returns the ToolOutcome."""
    from tools import HouseholdBook, call_tool

    book = HouseholdBook()
    book.add(household)
    return call_tool(book, tool, {**arguments, "household": household.name}, solver, time_limit=time_limit)


class Pool:
    """Solves in worker processes: Pyomo and the solvers' temporary files are not safe to share
    between threads, and a solve in the server's process would stall every other request."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def _get(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn: the server has threads (uvicorn, anyio) that a fork would copy half-way.
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._executor

    async def run(self, household: Household, tool: str, arguments: dict, solver: str, time_limit: float, grace: float = GRACE_SECONDS):
        """The outcome, or asyncio.TimeoutError when the solve and its grace time are spent."""
        future = asyncio.get_running_loop().run_in_executor(self._get(), solve, household, tool, arguments, solver, time_limit)
        return await asyncio.wait_for(future, timeout=time_limit + grace)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


class BodyLimit:
    """Pure ASGI: refuse a body over `limit` bytes with 413, by its Content-Length or, for a chunked
    body, as soon as the bytes read pass the limit; nothing is parsed or run. The body (at most
    `limit` bytes) is read here and replayed to the app."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_big = JSONResponse({"error": f"request body larger than {self.limit:,} bytes; send a smaller household or refer to one in the book by name",
                                "problems": []}, status_code=413)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await too_big(scope, receive, send)
        if scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            return await self.app(scope, receive, send)
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.limit:
                return await too_big(scope, receive, send)
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def json_size(value: object) -> int:
    return len(json.dumps(value, default=str))
