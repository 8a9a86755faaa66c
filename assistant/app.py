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
  OPENAI_API_KEY          offers the language-model assistant in the chat settings (the offline
                          parser stays the default)

Chainlit executes this file outside its package (no `from __future__ import annotations`, whose
string annotations dataclasses and pydantic would resolve through a module Chainlit has not
registered yet), so imports are absolute.
"""

import asyncio
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
from dataclasses import dataclass
from pathlib import Path

import chainlit as cl
import plotly.graph_objects as go
from chainlit.config import config
from chainlit.input_widget import Select
from plotly.subplots import make_subplots
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine import Household, HouseholdError, Result, load_household, parse_household
from engine.results import WithdrawExtra
from formats import import_positions
from formats import orders_csv
from formats.report import trade_rows
from tools import HouseholdBook

from assistant.answer import Answer, Assistant, model_from_environment
from assistant.explain import explain, money

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

# Pyomo's solver plumbing (temporary files, plugin registry) is process-global, so sessions
# take turns at the solver rather than solving in parallel threads.
_SOLVER = threading.Lock()

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
if os.environ.get("HOUSEHOLDER_USERS"):
    ADVISORS = load_advisors(os.environ["HOUSEHOLDER_USERS"], LIBRARY)

    # Unknown names are checked against this, so a refusal takes as long either way.
    _NOBODY = hash_password(secrets.token_hex(16))

    @cl.password_auth_callback
    async def login(username: str, password: str) -> cl.User | None:
        entry = ADVISORS.get(username)
        # PBKDF2 takes a tenth of a second of CPU: off the event loop, which serves every session.
        matches = await asyncio.to_thread(password_matches, password, entry.password if entry else _NOBODY)
        if matches and entry is not None:
            return cl.User(identifier=username, metadata={"role": "advisor", "provider": "credentials"})
        return None


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
        line += f" · {r.message}"
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


def _more_trades(hidden: int) -> str:
    return f"_…and {hidden} more trades: every trade is in the order file (CSV) below._"


def trades_table(r: Result) -> str:
    if not r.trades:
        return "No trades."
    rows = [TRADES_HEADER, "|---|---|---|---:|---:|---|---:|---|"]
    rows += ["| " + " | ".join(row) + " |" for row in trade_rows(r.trades[:TRADES_SHOWN])]
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
    fig = go.Figure()
    fig.add_bar(name="Target", x=classes, y=[targets.get(c, 0.0) for c in classes], marker_color=TARGET_COLOR)
    fig.add_bar(name="Before", x=classes, y=[r.before.allocation.get(c, 0.0) for c in classes], marker_color=BEFORE_COLOR)
    if r.after:
        fig.add_bar(name="After", x=classes, y=[r.after.allocation.get(c, 0.0) for c in classes], marker_color=AFTER_COLOR)
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


def _elements(book: HouseholdBook, answer: Answer) -> list:
    """Charts and downloads for one answer."""
    r = answer.result
    out: list = []
    for name, fig in (("allocation", allocation_chart(r, _targets(book, r))), ("location", location_chart(r))):
        if fig is not None:
            out.append(cl.Plotly(name=f"{name} chart", figure=fig, display="inline", size="large"))
    if r.trades:
        out.append(cl.File(name=f"orders-{_slug(r.household)}-{r.tool}.csv", content=orders_csv(r).encode(), mime="text/csv", display="inline"))
    out.append(cl.File(name=f"result-{_slug(r.household)}-{r.tool}.json", content=json.dumps(r.model_dump(mode="json"), indent=2).encode(),
                       mime="application/json", display="inline"))
    return out


async def send_answer(answer: Answer) -> None:
    """The explanation, the trades, the savings, charts and downloads of one answer."""
    book: HouseholdBook = cl.user_session.get("book")
    r = answer.result
    if r is None:
        await cl.Message(content=answer.explanation).send()
        return
    audience = answer.arguments.get("audience", "advisor")
    headline = savings_headline(r)
    has_table = TRADES_HEADER in answer.explanation
    if audience == "client":
        # The letter goes out as written; the figures the advisor checks it against come after it.
        letter = cl.File(name=f"letter-{_slug(r.household)}.md", content=answer.explanation.encode(), mime="text/markdown", display="inline")
        await cl.Message(content=answer.explanation, elements=[letter]).send()
        notes = ["**For the advisor — not part of the letter**", status_line(r), headline, trades_table(r)]
        await cl.Message(content="\n\n".join(n for n in notes if n), elements=_elements(book, answer)).send()
        return
    parts = [headline] if headline else []
    parts.append(clip_trades(answer.explanation, r))
    if not has_table and r.trades:
        parts.append(trades_table(r))
    await cl.Message(content="\n\n".join(parts), elements=_elements(book, answer)).send()


# ---- settings ----------------------------------------------------------------------------

async def send_settings() -> None:
    book: HouseholdBook = cl.user_session.get("book")
    assistant: Assistant = cl.user_session.get("assistant")
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


@cl.on_chat_start
async def start() -> None:
    book = HouseholdBook()
    for name in _visible_households():
        book.add(LIBRARY[name].household, LIBRARY[name].stem)
    cl.user_session.set("book", book)
    cl.user_session.set("model", model_from_environment())
    cl.user_session.set("assistant", Assistant(book, household=book.names[0] if book.names else None, audience="advisor"))
    cl.user_session.set("talking", False)
    await send_settings()


@cl.on_settings_update
async def settings_changed(settings: dict) -> None:
    assistant: Assistant = cl.user_session.get("assistant")
    before = cl.user_session.get("settings") or {}
    cl.user_session.set("settings", settings)
    if settings.get("assistant") != before.get("assistant"):
        assistant.model = cl.user_session.get("model") if settings.get("assistant") == "model" else None
    household = settings.get("household")
    if household and household != assistant.context.household:
        assistant.context.household = household
        assistant.context.last = None  # a follow-up must not carry the previous household's plan over
        assistant.last_outcome = None
        if cl.user_session.get("talking"):
            await cl.Message(content=f"Working on **{household}** now.").send()
    audience = settings.get("audience")
    if audience and audience != assistant.context.audience:
        assistant.context.audience = audience
        await _rewrite_last(audience)


async def _rewrite_last(audience: str) -> None:
    """The last plan, explained again for the new audience (no new solve)."""
    assistant: Assistant = cl.user_session.get("assistant")
    book: HouseholdBook = cl.user_session.get("book")
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
            name = jsons[0][0]
            try:
                data = json.loads(local[name].read_text(encoding="utf-8-sig"))
            except UnicodeDecodeError:
                raise HouseholdError([f"{name}: not UTF-8 text; save it as UTF-8 JSON"]) from None
            except json.JSONDecodeError as err:
                raise HouseholdError([f"{name}: not valid JSON at line {err.lineno} column {err.colno}: {err.msg}"]) from None
            return parse_household(data)
        except HouseholdError as err:
            raise HouseholdError([p.replace(f"{tmp}/", "") for p in err.problems]) from None


async def take_upload(elements: list) -> bool:
    """Load uploaded files as a household of this session; False (and the reason shown) if invalid."""
    files = [(e.name, e.path) for e in elements if getattr(e, "path", None)]
    try:
        h = household_from_uploads(files)
    except HouseholdError as err:
        problems = "\n".join(f"- {p}" for p in err.problems)
        await cl.Message(content=f"**That file is not a valid household; nothing was changed.**\n\n{problems}").send()
        return False
    book: HouseholdBook = cl.user_session.get("book")
    assistant: Assistant = cl.user_session.get("assistant")
    replaced = h.name in book.households
    book.add(h, Path(files[0][0]).stem)
    assistant.context.household = h.name
    assistant.context.last = None
    assistant.last_outcome = None
    await send_settings()
    lots = sum(len(a.holdings) for a in h.accounts)
    await cl.Message(content=f"Loaded **{h.name}** (as of {h.as_of}): {len(h.accounts)} accounts, {lots} lots"
                             + (" — it replaces the household of that name in this chat" if replaced else "")
                             + ". It is selected now; ask away.").send()
    return True


# ---- questions ---------------------------------------------------------------------------

def _ask(assistant: Assistant, question: str, audience: str) -> Answer:
    with _SOLVER:
        return assistant.ask(question, audience=audience)


async def _tick(step: cl.Step, started: float) -> None:
    """Keep the step's output saying how long the solve has run."""
    while True:
        await asyncio.sleep(1.0)
        step.output = f"Solving… {time.perf_counter() - started:.0f} s"
        await step.update()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    cl.user_session.set("talking", True)
    uploads = [e for e in (message.elements or []) if getattr(e, "path", None)]
    if uploads and not await take_upload(uploads):
        return
    question = message.content.strip()
    if not question:
        return
    assistant: Assistant = cl.user_session.get("assistant")
    audience = (cl.user_session.get("settings") or {}).get("audience") or assistant.context.audience
    started = time.perf_counter()
    async with cl.Step(name="the engine", type="tool", default_open=True) as step:
        step.input = question
        ticker = asyncio.create_task(_tick(step, started))
        try:
            answer = await cl.make_async(_ask)(assistant, question, audience)
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
    if answer is None:
        await cl.Message(content=f"**The solve failed** ({failure}). Nothing was changed; ask again or rephrase.").send()
        return
    if answer.tool is None:
        await step.remove()  # no tool ran (a question back, or a refusal): nothing to show as a call
    await send_answer(answer)
    shown = cl.user_session.get("settings") or {}
    if (assistant.context.household, assistant.context.audience) != (shown.get("household"), shown.get("audience")):
        await send_settings()  # the question named another household or reader; the panel follows the conversation
