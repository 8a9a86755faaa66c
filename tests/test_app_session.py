"""The chat app's hooks over a real Chainlit session, in a subprocess (tests/app_harness.py):
household text rendered literally in every message, input warnings shown, the "Assistant"
setting switching the picker, and a session's memory bounded and freed on close.

Rendered Markdown is checked with markdown-it-py (GFM tables, raw HTML on, linkify on: the most
permissive settings a chat renderer might use), not with the escaping code's own idea of it."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from assistant.answer import Assistant
from assistant.explain import explain
from engine import load_household, parse_household
from tools import HouseholdBook

ROOT = Path(__file__).resolve().parents[1]
MD = MarkdownIt("gfm-like", {"linkify": True, "html": True})

# What a hostile (or careless) household file can hold within the validation rules: names and
# asset classes are free text; ids and tickers allow ": / . # & ( ) '", so a URL fits.
NAME = 'Evil | <script>alert(1)</script> http://evil.example =HYPERLINK("http://evil.example","x") **loud**'
ACCOUNT = "http://evil.example/acct"
LOT = "lot(1)#&'x"
TICKER = "EVIL.COM"
ASSET_CLASS = "us | <img src=x onerror=alert(1)> www.evil.example"


def hostile_household() -> dict:
    d = json.loads((ROOT / "examples" / "rivera.json").read_text())
    d["name"] = NAME
    d["targets"] = {ASSET_CLASS if c == "us_stocks" else c: w for c, w in d["targets"].items()}
    for s in d["securities"]:
        if s["asset_class"] == "us_stocks":
            s["asset_class"] = ASSET_CLASS
        if s["ticker"] == "VTI":
            s["ticker"] = TICKER
    for a in d["accounts"]:
        if a["id"] == "joint-taxable":
            a["id"] = ACCOUNT
        for lot in a["holdings"]:
            if lot["ticker"] == "VTI":
                lot["ticker"] = TICKER
            if lot.get("id") == "VTI-2":
                lot["id"] = LOT
    d["restrictions"] = [{**r, "account": ACCOUNT} for r in d["restrictions"]]
    # A firm-wide list naming tickers this household never priced: validation drops them with a warning.
    d["substitutes"] = [[TICKER, "ITOT", "NOTHELD1"], ["VXUS", "IXUS"], ["BND", "AGG", "NOTHELD2"]]
    d["identical"] = [[TICKER, "ITOT"]]
    return d


def check_literal(markdown: str) -> str:
    """The message rendered: no tag but the renderer's own, no link, every table row 8 cells."""
    out = MD.render(markdown)
    for tag in ("<a ", "<script", "<img", "<strong>loud", "<b>"):
        assert tag not in out, (tag, out)
    for table in re.findall(r"<table>.*?</table>", out, re.S):
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
            assert len(re.findall(r"<t[hd][ >]", row)) == 8, row
    return out


def _harness(tmp_path: Path, *args: str, database: str | None = None) -> dict:
    """One scenario of tests/app_harness.py in a fresh process: a server start, as far as the app knows."""
    app_root = tmp_path / "app"
    app_root.mkdir(exist_ok=True)
    shutil.copyfile(ROOT / "chainlit.md", app_root / "chainlit.md")
    env = {**os.environ, "CHAINLIT_APP_ROOT": str(app_root), "HOUSEHOLDER_SOLVE_WORKERS": "1"}
    if database:
        env["HOUSEHOLDER_DATABASE_URL"] = database
    env.pop("OPENAI_API_KEY", None)
    env.pop("HOUSEHOLDER_USERS", None)
    out = subprocess.run([sys.executable, str(ROOT / "tests" / "app_harness.py"), *args], cwd=app_root, env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "evil.json"
    path.write_text(json.dumps(hostile_household()))
    return path


def test_explanations_render_household_text_literally_for_every_reader(hostile_file):
    h = load_household(hostile_file)
    assert h.input_warnings, "the fixture must exercise dropped tickers"
    book = HouseholdBook()
    book.add(h)
    for audience in ("advisor", "client", "support"):
        for question in ("Rebalance the household", "Raise $50k", "Any tax-loss harvesting?", "How well are the assets located?",
                         "Summarize the household"):
            answer = Assistant(book, household=h.name, audience=audience).ask(question)
            assert answer.result is not None, (question, answer.explanation)
            out = check_literal(answer.explanation)
            if answer.result.trades and audience != "client":
                assert "EVIL.COM" in out and "http://evil.example/acct" in out  # shown, as text
    # The rendering of the name reads back as the name.
    text = explain(answer.result, answer.tool, answer.arguments, "advisor", {})
    assert "Evil | &lt;script&gt;alert(1)&lt;/script&gt; http://evil.example" in MD.render(text)


def test_input_warnings_reach_the_result_and_the_explanation(hostile_file):
    h = load_household(hostile_file)
    book = HouseholdBook()
    book.add(h)
    answer = Assistant(book, household=h.name).ask("Rebalance the household")
    dropped = [w for w in answer.result.warnings if "NOTHELD1" in w or "NOTHELD2" in w]
    assert len(dropped) == 2 and all("ignored" in w for w in dropped)
    assert answer.explanation.count("Note: substitutes") == 2
    # A household without such warnings gets none added.
    clean = HouseholdBook.from_paths([ROOT / "examples" / "rivera.json"])
    assert not any("ignored" in w for w in Assistant(clean, household="Rivera household").ask("Rebalance the household").result.warnings)


def test_chat_messages_render_an_uploaded_hostile_household_literally(tmp_path, hostile_file):
    for audience in ("advisor", "client", "support"):
        messages = _harness(tmp_path, "upload_and_ask", str(hostile_file), "Rebalance the household", audience)["messages"]
        loaded = [m for m in messages if m.startswith("Loaded ")]
        assert loaded and "<script" not in MD.render(loaded[0])
        assert "NOTHELD1" in loaded[0] and "NOTHELD2" in loaded[0]  # said when the file is loaded, too
        plan = [m for m in messages if "| account | action | ticker |" in m]
        assert plan, messages
        for m in messages:
            check_literal(m)
        shown = "\n".join(MD.render(m) for m in messages)
        assert "EVIL.COM" in shown and "http://evil.example/acct" in shown
        # The dropped tickers are said, whoever the answer is written for (the letter has them in the advisor's notes).
        assert "NOTHELD1" in shown and "NOTHELD2" in shown, audience


def test_a_reply_quoting_hostile_text_shows_it_literally(tmp_path, hostile_file):
    # "How much should I raise for <the household's name>?": a reply that quotes the file.
    messages = _harness(tmp_path, "upload_and_ask", str(hostile_file), "Raise some cash")["messages"]
    reply = messages[-1]
    assert "How much" in reply and "Evil" in reply
    out = check_literal(reply)
    assert "&lt;script&gt;" in out


@pytest.mark.parametrize("question", ["Rebalance the <b>Smiths</b> at http://evil.example", "Rebalance the *Smith* family",
                                      "Rebalance the <i>Smith</i> household", "Rebalance the `Smiths`"])
def test_an_unknown_family_in_markup_is_refused_not_swapped(question):
    book = HouseholdBook.from_paths([ROOT / "examples" / "rivera.json"])
    answer = Assistant(book, household="Rivera household").ask(question)
    assert answer.kind == "refuse" and answer.result is None and "Smith" in answer.explanation


def test_the_assistant_setting_switches_between_the_model_and_the_parser(tmp_path):
    out = _harness(tmp_path, "model_switch")
    assert out["picker_on"] == "ModelPicker" and out["picker_off"] == "ParserPicker"
    assert "MODEL-WROTE-THIS" not in out["offline_first"]
    assert out["by_model"].startswith("MODEL-WROTE-THIS"), out["by_model"]  # the model's call and words
    # The parser answers again (the script is used up: asking the model once more would fail).
    assert "MODEL-WROTE-THIS" not in out["offline_again"] and "could not be reached" not in out["offline_again"]
    assert out["offline_again"] in (out["offline_first"], ) or out["offline_again"].startswith("**Summary for Rivera household**")


def test_a_session_holds_a_bounded_history_and_nothing_after_it_closes(tmp_path):
    out = _harness(tmp_path, "history")
    assert out["messages_shown"] == 3 * out["limit"]  # every question was answered
    assert out["held_while_open"] <= out["limit"]
    assert out["held_after_close"] is False and out["assistant_after_close"] is False


def test_the_terminal_shows_names_without_escaping(hostile_file, capsys):
    from assistant.cli import main

    assert main(["ask", "--household", str(hostile_file), "Rebalance the household"]) == 0
    out = capsys.readouterr().out
    assert NAME in out and "EVIL.COM" in out and "\\" not in out
    assert parse_household(hostile_household()).name == NAME


def upload_then_resume(tmp_path: Path, hostile_file: Path, database: str | None = None) -> tuple[dict, dict]:
    first = _harness(tmp_path, "upload_and_ask", str(hostile_file), "Rebalance the household", database=database)
    again = _harness(tmp_path, "resume", first["thread"], "Rebalance the household", database=database)
    return first, again


def test_an_uploaded_household_and_its_warnings_come_back_after_a_restart(tmp_path, hostile_file):
    first, again = upload_then_resume(tmp_path, hostile_file)
    assert NAME in again["households"] and again["selected"] == NAME
    plan = [m for m in again["messages"] if "| account | action | ticker |" in m]
    assert plan and "NOTHELD1" in plan[-1]  # the dropped tickers are still said
    assert [m for m in first["messages"] if "| account | action | ticker |" in m][-1].split("Status:")[0] == plan[-1].split("Status:")[0]
