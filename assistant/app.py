"""The chat front door: a Chainlit app over the same Assistant the CLI uses.

Run it with `householder serve` (or `chainlit run assistant/app.py`). Each chat session holds one
`Assistant` (its households, its last plan, its audience), so what-if follow-ups work as in
`householder chat`. Everything shown is rendered from the engine's Result: figures are formatted
here, never computed.

Environment:
  HOUSEHOLDER_HOUSEHOLDS  household JSON files, separated by the path separator (':');
                          default: every household in examples/
  HOUSEHOLDER_USERS       a users file (see examples/login/users.json); when set, advisors log in and
                          each sees only the households assigned to them. Needs CHAINLIT_AUTH_SECRET.
                          Only with login do conversations resume after a restart: Chainlit reopens a
                          thread for the user who owns it, and without login there is none.
  OPENAI_API_KEY          offers the language-model assistant in the chat settings (the offline
                          parser stays the default)
  HOUSEHOLDER_DATABASE_URL conversations, uploads, results, audit: sqlite+aiosqlite:///FILE (default
                          APP_ROOT/householder.db) or postgresql+asyncpg://USER:PASS@HOST/DB
  HOUSEHOLDER_ORIGINS     origins allowed to open the socket and call the API, comma-separated
                          (default: this server's own address, http://HOST:PORT)
  HOUSEHOLDER_SOLVE_WORKERS solver processes (default: one per core)

Solves run in worker processes (assistant.workers), never on the event loop; ordinary replies
(questions back, refusals, audience switches) are answered on the spot while solves run.

Chainlit executes this file outside its package (no `from __future__ import annotations`, whose
string annotations dataclasses and pydantic would resolve through a module Chainlit has not
registered yet), so imports are absolute.
"""

import asyncio
import copy
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import chainlit as cl
import plotly.graph_objects as go
from chainlit.config import config
from chainlit.input_widget import Select
from plotly.subplots import make_subplots
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant import workers
from assistant.answer import Answer, Assistant, model_from_environment
from assistant.explain import explain, money
from assistant.guard import Backoff
from assistant.parser import ParserPicker, Reply, parse
from assistant.retire_charts import retire_charts
from assistant.store import Store, digest
from assistant.workers import SolvePool
from engine import Household, HouseholdError, Result, load_household, parse_household
from engine.results import WithdrawExtra
from formats import import_positions, orders_csv
from formats.markdown import escape_html, escape_markdown, escape_markdown_lines
from formats.report import trade_rows
from tools import HouseholdBook, ToolOutcome

log = logging.getLogger("householder.app")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
AUDIENCES = {"Advisor": "advisor", "Client draft (letter)": "client", "Support (why this plan)": "support"}
STARTERS = ["Raise $50k tax-efficiently", "Rebalance the household", "Any tax-loss harvesting?", "How well are the assets located?"]
TARGET_COLOR, BEFORE_COLOR, AFTER_COLOR = "#9aa5b1", "#e8833a", "#2f7ed8"
TRADES_HEADER = "| account | action | ticker | shares | amount | lot | gain | term |"
# A browser renders a few thousand table rows in minutes; the order file holds every trade.
TRADES_SHOWN = 60
PBKDF2_ITERATIONS = 200_000

# Chainlit keeps every message of a session in memory (chainlit.chat_context) for as long as the
# server runs; the app reads none of it (the conversation's state is the Assistant's), so a
# session keeps only its last MAX_HISTORY messages there, and none once it has closed.
MAX_HISTORY = 20

# A session keeps at most this many uploaded households (the oldest goes first) and only its
# last plan: what one chat may hold in the server's memory is bounded.
MAX_UPLOADS = 5

# Solves go to worker processes; the language-model path (network-bound, and its tool calls solve
# in-process) runs in a thread, one at a time, since Pyomo's solver plumbing is process-global.
POOL = SolvePool()
# A job whose households hold at most this many lots in all is small: it may use the small lane
# (assistant.workers), so it never waits behind an XL rebalance. Such a solve takes well under a second.
SMALL_LOTS = 2_000
_MODEL_SOLVER = threading.Lock()

config.ui.name = "Householder"
config.ui.description = "Household-level, tax-aware rebalancing across accounts"
config.ui.default_theme = "light"
config.features.spontaneous_file_upload.accept = {"application/json": [".json"], "text/csv": [".csv"]}
config.features.spontaneous_file_upload.max_files = 2
config.features.spontaneous_file_upload.max_size_mb = 20


# ---- households and advisors: loaded once, when the server starts ----------------------

@dataclass(frozen=True)
class Shelf:
    """A household the server loaded, with the file stem people also call it by."""

    household: Household
    stem: str


def _household_paths() -> list[Path]:
    listed = os.environ.get("HOUSEHOLDER_HOUSEHOLDS", "")
    if listed.strip():
        return [Path(p) for p in listed.split(os.pathsep) if p.strip()]
    return sorted(p for p in EXAMPLES.glob("*.json") if p.name != "targets.json")


def _load_library() -> dict[str, Shelf]:
    library: dict[str, Shelf] = {}
    for path in _household_paths():
        h = load_household(path)  # a bad file stops the server with its validation message
        library[h.name] = Shelf(h, path.stem)
    return library


LIBRARY = _load_library()


# ---- the server: its folder, its database, who may talk to it -----------------------------

# Chainlit keeps uploads in APP_ROOT/.files and deletes that folder on shutdown: `householder serve`
# gives every server its own APP_ROOT (CHAINLIT_APP_ROOT), so stopping one cannot touch another's files.
from chainlit.config import APP_ROOT

DATABASE_URL = os.environ.get("HOUSEHOLDER_DATABASE_URL") or f"sqlite+aiosqlite:///{Path(APP_ROOT) / 'householder.db'}"


def _create_schema(url: str) -> None:
    """Create the tables before the first request, on a loop of its own (the server's is not running yet)."""
    async def go():
        store = Store(url)
        await store.create_schema()
        await store.close()

    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(go())
        except BaseException as err:  # noqa: BLE001 — re-raised below, in the importing thread
            failures.append(err)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


_create_schema(DATABASE_URL)
STORE = Store(DATABASE_URL)
REVOKED: set[str] = set()  # digests of logged-out tokens; loaded from the database at startup


@cl.data_layer
def _data_layer():
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer

    from assistant.store import connect_args

    return SQLAlchemyDataLayer(conninfo=DATABASE_URL, connect_args=connect_args(DATABASE_URL))


def allowed_origins() -> list[str]:
    """HOUSEHOLDER_ORIGINS, else this server's own address (by IP and, on loopback, by name)."""
    listed = [o.strip().rstrip("/") for o in os.environ.get("HOUSEHOLDER_ORIGINS", "").split(",") if o.strip()]
    if listed:
        return listed
    host, port = config.run.host or "127.0.0.1", config.run.port or 8000
    hosts = {host} | ({"127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost", "::1") else set())
    return sorted(f"http://{h}:{port}" for h in hosts)


def _guard_server() -> None:
    """Origins, revoked tokens, the client address for login back-off, and the download route."""
    from chainlit.auth.cookie import get_token_from_cookies
    from chainlit.server import app, sio
    from fastapi import HTTPException, Request
    from fastapi.responses import Response
    from starlette.requests import HTTPConnection

    origins = allowed_origins()
    # socket.io refuses a connection whose Origin is not listed (engine.io checks it on every request);
    # the HTTP API's CORS middleware reads the same list, by reference, when the server starts.
    sio.eio.cors_allowed_origins = origins
    config.project.allow_origins[:] = origins

    class Guard:
        def __init__(self, inner):
            self.inner = inner

        async def __call__(self, scope, receive, send):
            if scope["type"] in ("http", "websocket"):
                conn = HTTPConnection(scope)
                CLIENT_ADDRESS.set(scope.get("client", ("unknown", 0))[0])
                token = get_token_from_cookies(dict(conn.cookies)) or conn.headers.get("authorization", "").removeprefix("Bearer ").strip()
                if token and digest(token) in REVOKED and scope["path"] != "/logout":
                    if scope["type"] == "websocket":
                        await send({"type": "websocket.close", "code": 4401})
                        return
                    await Response("This login has ended (logged out); sign in again.", status_code=401)(scope, receive, send)
                    return
            await self.inner(scope, receive, send)

    app.add_middleware(Guard)

    async def download(token: str, request: Request):
        row = await STORE.get_download(token) if re.fullmatch(r"[A-Za-z0-9_-]{20,100}", token) else None
        if row is None:
            raise HTTPException(status_code=404, detail="No such file (links are for the chat that offered them)")
        if ADVISORS is not None:
            from chainlit.auth import authenticate_user
            from chainlit.auth.cookie import get_token_from_cookies as cookie_token

            login_token = cookie_token(dict(request.cookies))
            try:
                user = await authenticate_user(login_token) if login_token else None
            except HTTPException:
                user = None
            if user is None or user.identifier != row["user_id"]:
                raise HTTPException(status_code=401, detail="Sign in as the advisor this file was offered to")
        facts = json.loads(row["audit"])
        await STORE.audit("downloaded", user_id=row["user_id"], thread_id=row["thread_id"], detail=row["name"], **facts)
        return Response(row["content"], media_type=row["mime"],
                        headers={"Content-Disposition": f'attachment; filename="{row["name"]}"', "Cache-Control": "no-store"})

    # Chainlit's catch-all route (the web app) is already registered: this one must come first.
    app.add_api_route("/householder/download/{token}", download, methods=["GET"])
    app.router.routes.insert(0, app.router.routes.pop())


_guard_server()


@cl.on_app_startup
async def _startup() -> None:
    REVOKED.update(await STORE.revoked())
    if ADVISORS is None:
        from assistant.cli import NO_LOGIN_NOTE

        log.warning(NO_LOGIN_NOTE)


def hash_password(password: str, salt: str | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """The users-file form of a password: pbkdf2_sha256$iterations$salt$hash (hex)."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, _ = stored.split("$")
    except ValueError:
        return False
    return scheme == "pbkdf2_sha256" and hmac.compare_digest(hash_password(password, salt, int(iterations)), stored)


class AdvisorEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1)
    password: str = Field(pattern=r"^pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]+$", description="from hash_password()")
    households: list[str] = Field(description="household names or file stems this advisor may open")


class UsersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    advisors: list[AdvisorEntry]


def load_advisors(path: str | Path, library: dict[str, Shelf]) -> dict[str, AdvisorEntry]:
    """username -> entry with its households resolved to names; raises ValueError naming the fix."""
    try:
        users = UsersFile.model_validate_json(Path(path).read_text())
    except (OSError, ValidationError) as err:
        raise ValueError(f"{path}: {err}") from None
    by_stem = {s.stem: name for name, s in library.items()}
    advisors: dict[str, AdvisorEntry] = {}
    for a in users.advisors:
        names = []
        for wanted in a.households:
            name = wanted if wanted in library else by_stem.get(wanted)
            if name is None:
                raise ValueError(f"{path}: advisor {a.username!r} is assigned {wanted!r}, which is not loaded; "
                                 f"loaded: {', '.join(sorted(by_stem))} ({', '.join(library)})")
            names.append(name)
        advisors[a.username] = a.model_copy(update={"households": names})
    return advisors


ADVISORS: dict[str, AdvisorEntry] | None = None
LOGINS = Backoff()
# The client address of the request being served, set by the guard middleware below for the
# login callback (Chainlit hands the callback only the name and the password).
CLIENT_ADDRESS: ContextVar[str] = ContextVar("client_address", default="unknown")

if os.environ.get("HOUSEHOLDER_USERS"):
    ADVISORS = load_advisors(os.environ["HOUSEHOLDER_USERS"], LIBRARY)

    # Unknown names are checked against this, so a refusal takes as long either way.
    _NOBODY = hash_password(secrets.token_hex(16))

    @cl.password_auth_callback
    async def login(username: str, password: str) -> cl.User | None:
        keys = (f"user:{username[:200]}", f"address:{CLIENT_ADDRESS.get()}")
        wait = LOGINS.locked_for(*keys)
        if wait > 0:
            # Refused unchecked while the name or the address is backing off: no PBKDF2 work either.
            log.warning("login for %r from %s refused for %.0f s more (too many failures)", username[:200], CLIENT_ADDRESS.get(), wait)
            return None
        entry = ADVISORS.get(username)
        # PBKDF2 takes a tenth of a second of CPU: off the event loop, which serves every session.
        matches = await asyncio.to_thread(password_matches, password, entry.password if entry else _NOBODY)
        if matches and entry is not None:
            LOGINS.succeeded(*keys)
            return cl.User(identifier=username, metadata={"role": "advisor", "provider": "credentials"})
        LOGINS.failed(*keys)
        return None

    @cl.on_logout
    async def logout(request, response) -> dict:
        from chainlit.auth.cookie import get_token_from_cookies

        token = get_token_from_cookies(dict(request.cookies)) or request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if token:
            await STORE.revoke(token, _token_expiry(token))
            REVOKED.add(digest(token))
        return {"success": True}


def _token_expiry(token: str) -> float:
    """When a login token would have expired anyway (its `exp`), so the revocation list can forget it."""
    import jwt

    try:
        return float(jwt.decode(token, options={"verify_signature": False}).get("exp", 0)) or time.time() + 30 * 86400
    except jwt.PyJWTError:
        return time.time() + 30 * 86400


def _visible_households() -> list[str]:
    """The households this session may open: all of them, or the logged-in advisor's."""
    if ADVISORS is None:
        return list(LIBRARY)
    user = cl.user_session.get("user")
    entry = ADVISORS.get(user.identifier) if user else None
    return list(entry.households) if entry else []


# ---- rendering: every figure below is a field of the Result -------------------------------

def _slug(household: str) -> str:
    """'Rivera household' -> 'rivera': short enough to read on a download chip."""
    words = [w for w in re.split(r"[^a-z0-9]+", household.lower()) if w and w not in ("household", "family", "the")]
    return "-".join(words) or "household"


def status_line(r: Result) -> str:
    line = f"{r.status} · {r.solver} · solve {r.solve_seconds:.2f} s"
    if r.status == "feasible" and r.gap:
        line += f" · within {100 * r.gap:.2f}% of the best possible (time limit)"
    if r.status not in ("optimal", "feasible") and r.message:
        line += f" · {escape_markdown(r.message)}"
    return line


def savings_headline(r: Result) -> str:
    """The dollars this plan saves against the account-by-account way, as the result states them."""
    x = r.extra
    if isinstance(x, WithdrawExtra):
        return f"**Saves {money(x.savings_tax)} in tax** against taking it {x.savings_against.replace('_', ' ')}."
    if r.savings:
        s = r.savings
        return (f"**Saves {money(s.total)}** against rebalancing each account on its own, in today's dollars: "
                f"{money(s.tax)} tax today, {money(s.location_value_today)} from better location "
                f"({money(s.location_value)} after tax over the horizon).")
    return ""


def warnings_block(r: Result) -> str:
    """The result's warnings (input warnings first: unknown tickers dropped from a list, ...), as
    the advisor template writes them."""
    return "\n".join(f"Note: {escape_markdown(w)}" for w in r.warnings)


def _more_trades(hidden: int) -> str:
    return f"_…and {hidden} more trades: every trade is in the order file (CSV) below._"


def trades_table(r: Result) -> str:
    if not r.trades:
        return "No trades."
    rows = [TRADES_HEADER, "|---|---|---|---:|---:|---|---:|---|"]
    # Every cell is escaped: an id or ticker with `|`, a URL or HTML must not reshape the table.
    rows += ["| " + " | ".join(escape_markdown(c) for c in row) + " |" for row in trade_rows(r.trades[:TRADES_SHOWN])]
    if len(r.trades) > TRADES_SHOWN:
        rows += ["", _more_trades(len(r.trades) - TRADES_SHOWN)]
    return "\n".join(rows)


def clip_trades(text: str, r: Result) -> str:
    """The explanation with its trades table replaced by the result's, built from the trades as
    data and cut to TRADES_SHOWN rows for the screen."""
    lines = text.split("\n")
    if TRADES_HEADER not in lines:
        return text
    first = lines.index(TRADES_HEADER)
    last = first + 2  # past the header and its |---| rule
    while last < len(lines) and lines[last].startswith("|"):
        last += 1
    return "\n".join(lines[:first] + [trades_table(r)] + lines[last:])


def allocation_chart(r: Result, targets: dict[str, float]) -> go.Figure | None:
    if not r.before:
        return None
    classes = list(targets) + [c for c in r.before.allocation if c not in targets]
    # Plotly reads a subset of HTML in labels (<a href> among it): class names from the file are escaped.
    labels = [escape_html(c) for c in classes]
    fig = go.Figure()
    fig.add_bar(name="Target", x=labels, y=[targets.get(c, 0.0) for c in classes], marker_color=TARGET_COLOR)
    fig.add_bar(name="Before", x=labels, y=[r.before.allocation.get(c, 0.0) for c in classes], marker_color=BEFORE_COLOR)
    if r.after:
        fig.add_bar(name="After", x=labels, y=[r.after.allocation.get(c, 0.0) for c in classes], marker_color=AFTER_COLOR)
    fig.update_layout(title="Allocation: target, before, after", barmode="group", yaxis_tickformat=".0%", height=340,
                      margin=dict(l=40, r=20, t=50, b=40), legend=dict(orientation="h", y=-0.15))
    return fig


def location_chart(r: Result) -> go.Figure | None:
    if not r.before:
        return None
    labels, scores, drags = ["Now"], [r.before.location_score], [r.before.annual_tax_drag]
    if r.baseline:
        labels.append("Account by account")
        scores.append(r.baseline.after.location_score)
        drags.append(r.baseline.after.annual_tax_drag)
    if r.after:
        labels.append("This plan")
        scores.append(r.after.location_score)
        drags.append(r.after.annual_tax_drag)
    colors = [{"Now": BEFORE_COLOR, "Account by account": TARGET_COLOR}.get(label, AFTER_COLOR) for label in labels]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Location score (100 = best reachable)", "Annual tax drag ($)"))
    fig.add_bar(x=labels, y=scores, marker_color=colors, text=[f"{s:.1f}" for s in scores], textposition="auto", showlegend=False, row=1, col=1)
    fig.add_bar(x=labels, y=drags, marker_color=colors, text=[money(d) for d in drags], textposition="auto", showlegend=False, row=1, col=2)
    fig.update_yaxes(range=[0, 100], row=1, col=1)
    fig.update_yaxes(tickprefix="$", row=1, col=2)
    fig.update_layout(title="Asset location", height=340, margin=dict(l=40, r=20, t=70, b=40))
    return fig


def _targets(book: HouseholdBook, r: Result) -> dict[str, float]:
    h, _ = book.find(r.household)
    return dict(h.targets) if h else dict(r.extra.get("targets", {}))


def _facts(book: HouseholdBook, answer: Answer) -> dict:
    """What the audit records about a plan: the household and result by digest, the call, the status."""
    r = answer.result
    h, _ = book.find(r.household)
    return {"household": r.household, "household_digest": digest(h.model_dump_json()) if h else None, "tool": answer.tool,
            "arguments": answer.arguments, "result_digest": digest(r.model_dump_json()), "solver_status": r.status}


async def _download(name: str, content: str, mime: str, facts: dict) -> cl.File:
    """A file offered in the chat, by a link that carries a random token of its own (never the
    session id), kept in the database so the link outlives a restart; each fetch is audited."""
    token = secrets.token_urlsafe(24)
    user = cl.user_session.get("user")
    await STORE.put_download(token, thread_id=_thread_id(), user_id=user.identifier if user else None, name=name, mime=mime,
                             content=content, audit=facts)
    return cl.File(name=name, url=f"/householder/download/{token}", mime=mime, display="inline")


async def _elements(book: HouseholdBook, answer: Answer) -> list:
    """Charts and downloads for one answer."""
    r = answer.result
    facts = _facts(book, answer)
    out: list = []
    charts = [("allocation", allocation_chart(r, _targets(book, r))), ("location", location_chart(r))] + retire_charts(r)
    for name, fig in charts:
        if fig is not None:
            out.append(cl.Plotly(name=f"{name} chart", figure=fig, display="inline", size="large"))
    if r.trades:
        out.append(await _download(f"orders-{_slug(r.household)}-{r.tool}.csv", orders_csv(r), "text/csv", facts))
    out.append(await _download(f"result-{_slug(r.household)}-{r.tool}.json", json.dumps(r.model_dump(mode="json"), indent=2),
                               "application/json", facts))
    return out


async def send_answer(answer: Answer) -> None:
    """The explanation, the trades, the savings, charts and downloads of one answer."""
    book = (await _session_assistant()).book
    r = answer.result
    if r is None:
        # A reply in plain text that may quote the question or the household file: shown literally.
        await cl.Message(content=escape_markdown_lines(answer.explanation)).send()
        return
    facts = _facts(book, answer)
    user = cl.user_session.get("user")
    await STORE.audit("shown", user_id=user.identifier if user else None, thread_id=_thread_id(), **facts)
    audience = answer.audience
    headline = savings_headline(r)
    has_table = TRADES_HEADER in answer.explanation
    if audience == "client":
        # The letter goes out as written; the figures the advisor checks it against come after it.
        letter = await _download(f"letter-{_slug(r.household)}.md", answer.explanation, "text/markdown", facts)
        await cl.Message(content=answer.explanation, elements=[letter]).send()
        notes = ["**For the advisor — not part of the letter**", status_line(r), headline, trades_table(r), warnings_block(r)]
        await cl.Message(content="\n\n".join(n for n in notes if n), elements=await _elements(book, answer)).send()
        return
    parts = [headline] if headline else []
    parts.append(clip_trades(answer.explanation, r))
    if not has_table and r.trades:
        parts.append(trades_table(r))
    if r.warnings and warnings_block(r) not in answer.explanation:
        parts.append(warnings_block(r))  # the support template has no place for them
    await cl.Message(content="\n\n".join(parts), elements=await _elements(book, answer)).send()


# ---- settings ----------------------------------------------------------------------------

async def send_settings() -> None:
    assistant = await _session_assistant()
    book = assistant.book
    names = book.names
    widgets = [
        Select(id="household", label="Household", items={n: n for n in names} or {"(none: upload one)": ""},
               initial_value=assistant.context.household or (names[0] if names else "")),
        Select(id="audience", label="Write answers for", items=AUDIENCES, initial_value=assistant.context.audience),
    ]
    if cl.user_session.get("model") is not None:
        widgets.append(Select(id="assistant", label="Assistant", items={"Offline parser (default)": "offline", "Language model": "model"},
                              initial_value="model" if assistant.model is not None else "offline"))
    cl.user_session.set("settings", await cl.ChatSettings(widgets).send())


@cl.set_starters
async def starters(user: cl.User | None = None, language: str | None = None) -> list[cl.Starter]:
    return [cl.Starter(label=s, message=s) for s in STARTERS]


def _thread_id() -> str | None:
    return cl.context.session.thread_id if cl.context.session else None


def _fresh_book() -> HouseholdBook:
    book = HouseholdBook()
    for name in _visible_households():
        book.add(LIBRARY[name].household, LIBRARY[name].stem)
    return book


def session_state(assistant: Assistant) -> dict:
    """What survives a restart besides the uploads (householder_uploads): the selected household
    and reader, the picker, the last plan."""
    last = assistant.context.last
    return {
        "household": assistant.context.household,
        "audience": assistant.context.audience,
        "assistant": "model" if assistant.model is not None else "offline",
        "last_call": {"tool": last.tool, "arguments": last.arguments} if last else None,
        "last_outcome": assistant.last_outcome.model_dump(mode="json") if assistant.last_outcome else None,
    }


def restore_assistant(state: dict | None, model=None, uploads: list[dict] | None = None) -> tuple[Assistant, list[str]]:
    """The session's Assistant from a saved state (None: a fresh one) and its uploads (oldest
    first), with the uploaded households' names; `model` picks the calls if the conversation had
    chosen the language model. CPU work for a big upload: call it off the event loop."""
    from assistant.parser import Call

    book = _fresh_book()
    names: list[str] = []
    # (States saved before uploads had a table of their own kept them inline.)
    uploads = list(uploads if uploads is not None else (state or {}).get("uploads") or [])[-MAX_UPLOADS:]
    for u in uploads:
        try:
            h = parse_household(u["household"])
            # The file as saved is the validated one (dropped tickers gone): its warnings are kept with it.
            h._input_warnings = list(u.get("input_warnings") or [])
            book.add(h, u.get("stem"))
            names.append(h.name)
        except (HouseholdError, KeyError, TypeError):
            log.warning("a saved upload no longer validates; left out")
    household = (state or {}).get("household")
    if household not in book.households:
        household = book.names[0] if book.names else None
    assistant = Assistant(book, household=household, audience=(state or {}).get("audience") or "advisor",
                          model=model if (state or {}).get("assistant") == "model" else None)
    if state and state.get("last_call") and state.get("last_outcome") and household == state.get("household"):
        assistant.context.last = Call(state["last_call"]["tool"], state["last_call"]["arguments"])
        assistant.last_outcome = ToolOutcome.model_validate(state["last_outcome"])
    return assistant, names


async def _restore(thread: str | None) -> tuple[Assistant, list[str], str | None]:
    """(assistant, uploaded names, the question in flight) of a conversation, from the database."""
    state, pending = await STORE.load_state(thread) if thread else (None, None)
    uploads = await STORE.uploads(thread) if thread else []
    model = model_from_environment()
    cl.user_session.set("model", model)
    assistant, names = await asyncio.to_thread(restore_assistant, state, model, uploads or None)
    return assistant, names, pending


async def _save() -> None:
    thread = _thread_id()
    assistant: Assistant | None = cl.user_session.get("assistant")
    if thread and assistant is not None:
        user = cl.user_session.get("user")
        try:
            await STORE.save_state(thread, user.identifier if user else None, session_state(assistant))
        except Exception:  # noqa: BLE001 — the answer still goes out; only a restart would miss this state
            log.exception("could not save the conversation state of %s", thread)


async def _session_assistant() -> Assistant:
    """This session's Assistant; after its state was evicted (the socket closed and came back),
    rebuilt from the database."""
    assistant = cl.user_session.get("assistant")
    if assistant is None:
        assistant, uploads, _ = await _restore(_thread_id())
        cl.user_session.set("assistant", assistant)
        cl.user_session.set("book", assistant.book)
        cl.user_session.set("uploads", uploads)
    return assistant


@cl.on_chat_start
async def start() -> None:
    assistant, _ = restore_assistant(None)
    cl.user_session.set("book", assistant.book)
    cl.user_session.set("model", model_from_environment())
    cl.user_session.set("assistant", assistant)
    cl.user_session.set("uploads", [])
    cl.user_session.set("talking", False)
    await send_settings()


@cl.on_chat_resume
async def resume(thread: dict) -> None:
    """A conversation reopened (after a restart too): its households, reader and last plan come back."""
    assistant, uploads, pending = await _restore(thread["id"])
    cl.user_session.set("book", assistant.book)
    cl.user_session.set("assistant", assistant)
    cl.user_session.set("uploads", uploads)
    cl.user_session.set("talking", True)
    await send_settings()
    if pending:
        user = cl.user_session.get("user")
        await STORE.set_pending(thread["id"], user.identifier if user else None, None)
        # Chainlit sends the thread's history to the browser after this hook returns, replacing what
        # is on screen; the notice goes out just after it.
        asyncio.create_task(_tell_lost(pending))


async def _tell_lost(question: str) -> None:
    await asyncio.sleep(0.5)
    await cl.Message(content=f"**The answer to “{escape_markdown(question[:200])}” was lost**: the server stopped while it was being worked out. "
                             "Nothing was changed; please ask again.").send()


def bound_history() -> None:
    """This session's message history in Chainlit's memory cut to the last MAX_HISTORY messages."""
    from chainlit.chat_context import chat_contexts

    kept = chat_contexts.get(cl.context.session.id) if cl.context.session else None
    if kept is not None and len(kept) > MAX_HISTORY:
        del kept[:-MAX_HISTORY]


@cl.on_chat_end
async def end() -> None:
    """The socket closed: the heavy state goes now (it is in the database), not an hour later;
    Chainlit's copy of the messages too (it would stay until the server stops)."""
    from chainlit.chat_context import chat_contexts

    for key in ("assistant", "book", "uploads", "model"):
        cl.user_session.set(key, None)
    if cl.context.session:
        chat_contexts.pop(cl.context.session.id, None)


@cl.on_stop
async def stopped() -> None:
    """Stop pressed: the solve is cancelled (its worker killed); nothing is in flight any more."""
    if _thread_id():
        user = cl.user_session.get("user")
        await STORE.set_pending(_thread_id(), user.identifier if user else None, None)


@cl.on_settings_update
async def settings_changed(settings: dict) -> None:
    assistant = await _session_assistant()
    before = cl.user_session.get("settings") or {}
    cl.user_session.set("settings", settings)
    if settings.get("assistant") != before.get("assistant"):
        # The picker changes with the model: the language model's tool calls, or the offline parser.
        assistant.use_model(cl.user_session.get("model") if settings.get("assistant") == "model" else None)
    household = settings.get("household")
    if household and household != assistant.context.household:
        assistant.context.household = household
        assistant.context.last = None  # a follow-up must not carry the previous household's plan over
        assistant.last_outcome = None
        if cl.user_session.get("talking"):
            await cl.Message(content=f"Working on **{escape_markdown(household)}** now.").send()
    audience = settings.get("audience")
    if audience and audience != assistant.context.audience:
        assistant.context.audience = audience
        await _rewrite_last(audience)
    await _save()


async def _rewrite_last(audience: str) -> None:
    """The last plan, explained again for the new audience (no new solve)."""
    assistant = await _session_assistant()
    book = assistant.book
    outcome = assistant.last_outcome
    if outcome is None or outcome.result is None:
        return
    arguments = {**outcome.arguments, "audience": audience}
    h, _ = book.find(outcome.result.household)
    kinds = {a.id: a.kind for a in h.accounts} if h else {}
    text = explain(outcome.result, outcome.tool, arguments, audience, kinds)
    await send_answer(Answer(outcome.tool, arguments, outcome.result, text))


# ---- uploads -----------------------------------------------------------------------------

def household_from_uploads(files: list[tuple[str, str]]) -> Household:
    """A validated household from (file name, path) uploads: one household JSON, or a positions
    CSV with its targets JSON. Raises HouseholdError naming the file and the fix."""
    csvs = [f for f in files if f[0].lower().endswith(".csv")]
    jsons = [f for f in files if f[0].lower().endswith(".json")]
    others = [f[0] for f in files if f not in csvs and f not in jsons]
    if others or len(csvs) > 1 or len(jsons) != 1:
        raise HouseholdError([
            "upload one household JSON file, or a custodian positions CSV together with its targets JSON "
            f"(got: {', '.join(f[0] for f in files)})"
        ])
    with tempfile.TemporaryDirectory(prefix="householder-upload-") as tmp:
        # Copied under their own names so every problem names the file the advisor sent.
        local = {}
        for name, path in csvs + jsons:
            local[name] = Path(tmp) / Path(name).name
            shutil.copyfile(path, local[name])
        try:
            if csvs:
                return import_positions(local[csvs[0][0]], local[jsons[0][0]])
            # Bounded like every door (engine.reading): size, encoding, nesting.
            return load_household(local[jsons[0][0]])
        except HouseholdError as err:
            raise HouseholdError([p.replace(f"{tmp}/", "") for p in err.problems]) from None


async def take_upload(elements: list) -> bool:
    """Load uploaded files as a household of this session; False (and the reason shown) if invalid."""
    files = [(e.name, e.path) for e in elements if getattr(e, "path", None)]
    try:
        h = await asyncio.to_thread(household_from_uploads, files)  # parsing 50k lots is CPU work: not on the loop
    except HouseholdError as err:
        problems = "\n".join(f"- {escape_markdown(p)}" for p in err.problems)
        await cl.Message(content=f"**That file is not a valid household; nothing was changed.**\n\n{problems}").send()
        return False
    assistant = await _session_assistant()
    book = assistant.book
    replaced = h.name in book.households
    book.add(h, Path(files[0][0]).stem)
    uploads = [n for n in (cl.user_session.get("uploads") or []) if n != h.name] + [h.name]
    for old in uploads[:-MAX_UPLOADS]:  # the oldest uploads leave this chat (a library household stays)
        if old not in LIBRARY:
            book.households.pop(old, None)
    cl.user_session.set("uploads", uploads[-MAX_UPLOADS:])
    if _thread_id():
        user = cl.user_session.get("user")
        dumped = await asyncio.to_thread(h.model_dump_json)  # 50k lots: CPU work, not on the loop
        await STORE.put_upload(_thread_id(), user.identifier if user else None, name=h.name, stem=Path(files[0][0]).stem,
                               household_json=dumped, input_warnings=h.input_warnings, keep=MAX_UPLOADS)
    assistant.context.household = h.name
    assistant.context.last = None
    assistant.last_outcome = None
    await send_settings()
    await _save()
    lots = sum(len(a.holdings) for a in h.accounts)
    await cl.Message(content=f"Loaded **{escape_markdown(h.name)}** (as of {h.as_of}): {len(h.accounts)} accounts, {lots} lots"
                             + (" — it replaces the household of that name in this chat" if replaced else "")
                             + ". It is selected now; ask away."
                             + "".join(f"\n\nNote: {escape_markdown(w)}" for w in h.input_warnings)).send()
    return True


# ---- questions ---------------------------------------------------------------------------

def _ask_with_model(assistant: Assistant, question: str, audience: str) -> Answer:
    with _MODEL_SOLVER:
        return assistant.ask(question, audience=audience)


async def answer_question(assistant: Assistant, question: str, audience: str, on_wait) -> tuple[Answer, Assistant]:
    """(answer, the assistant to keep). A reply that needs no solve comes at once; a solve waits
    its turn for a worker process and runs there, on a copy of the session's assistant."""
    if assistant.model is not None:
        return await asyncio.to_thread(_ask_with_model, assistant, question, audience), assistant
    probe = copy.copy(assistant.context)
    probe.audience = audience or probe.audience
    parsed = await asyncio.to_thread(parse, question, assistant.book, probe)
    if isinstance(parsed, Reply):
        return Answer(None, {}, None, parsed.text, kind=parsed.kind, audience=probe.audience), assistant
    # The worker gets only the households the call and the last plan need (pickling every loaded
    # household, an XL one among them, for each small solve would cost seconds of the server's CPU).
    needed = {parsed.arguments.get("household"), assistant.context.household}
    job = copy.copy(assistant)
    job.context = probe
    job.book = HouseholdBook()
    for name in needed:
        if name in assistant.book.households:
            job.book.add(assistant.book.households[name])
    job.picker, job._ran = ParserPicker(job.book), {}
    lots = sum(len(a.holdings) for h in job.book.households.values() for a in h.accounts)
    answer, done = await POOL.run(cl.context.session.id, workers.run_call, job, parsed, small=lots <= SMALL_LOTS, on_wait=on_wait)
    done.book, done.picker = assistant.book, assistant.picker
    return answer, done


async def _tick(step: cl.Step, started: float) -> None:
    """Keep the step's output saying how long the solve has run."""
    session = cl.context.session.id
    while True:
        await asyncio.sleep(1.0)
        place, waited = POOL.position(session), time.perf_counter() - started
        step.output = f"Waiting for a solver: number {place} in the queue ({waited:.0f} s)" if place else f"Solving… {waited:.0f} s"
        await step.update()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    bound_history()  # also after a failed upload or solve, which return early below
    cl.user_session.set("talking", True)
    uploads = [e for e in (message.elements or []) if getattr(e, "path", None)]
    if uploads and not await take_upload(uploads):
        return
    question = message.content.strip()
    if not question:
        return
    assistant = await _session_assistant()
    audience = (cl.user_session.get("settings") or {}).get("audience") or assistant.context.audience
    started = time.perf_counter()
    user = cl.user_session.get("user")
    if _thread_id():
        try:
            await STORE.set_pending(_thread_id(), user.identifier if user else None, question)
        except Exception:  # noqa: BLE001 — the question is answered anyway; a restart could not report it lost
            log.exception("could not record the question in flight of %s", _thread_id())
    async with cl.Step(name="the engine", type="tool", default_open=True) as step:
        step.input = question
        ticker = asyncio.create_task(_tick(step, started))

        async def on_wait(place: int) -> None:
            step.output = f"Waiting for a solver: number {place} in the queue"
            await step.update()

        try:
            answer, assistant = await answer_question(assistant, question, audience, on_wait)
            cl.user_session.set("assistant", assistant)
            cl.user_session.set("book", assistant.book)
        except asyncio.CancelledError:
            # Stop (on_stop clears the question in flight) or shutdown (it stays, to be reported on resume).
            ticker.cancel()
            raise
        except Exception as err:  # the chat must outlive a failed solve
            log.exception("question failed: %s", question)
            failure = f"{type(err).__name__}: {err}"
            step.name, step.output, step.is_error = "error", failure, True
            answer = None
        finally:
            ticker.cancel()
        if answer is not None:
            step.name = answer.tool or ("clarify" if answer.kind == "clarify" else answer.kind)
            step.input = json.dumps(answer.arguments or {"question": question}, indent=2)
            elapsed = f"answered in {time.perf_counter() - started:.2f} s"
            step.output = f"{status_line(answer.result)} · {elapsed}" if answer.result else elapsed
    await _save()
    if answer is None:
        await cl.Message(content=f"**The solve failed** ({escape_markdown(failure)}). Nothing was changed; ask again or rephrase.").send()
        return
    if answer.tool is None:
        await step.remove()  # no tool ran (a question back, or a refusal): nothing to show as a call
    await send_answer(answer)
    bound_history()
    shown = cl.user_session.get("settings") or {}
    if (assistant.context.household, assistant.context.audience) != (shown.get("household"), shown.get("audience")):
        await send_settings()  # the question named another household or reader; the panel follows the conversation
