"""The assistant's retire tool: the offline parser reads the three questions retirees' advisors ask
(#16) into retire calls, and `householder ask` answers them end to end from the engine's result."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.parser import Call, Context, parse
from tools import HouseholdBook

ROOT = Path(__file__).resolve().parents[1]
OWL = ROOT / "examples" / "retire_owl_case.json"
DISCLAIMER = "For educational purposes only. Not investment, tax or legal advice."


@pytest.fixture(scope="module")
def book():
    return HouseholdBook.from_paths([OWL, ROOT / "examples" / "rivera.json"])


def ask(book, q: str, ctx: Context | None = None):
    return parse(q, book, ctx or Context(household="Owl comparison case"))


@pytest.mark.parametrize("q, years", [
    ("How should they fund the next 30 years?", 30),
    ("how do we fund the next 25 years for them", 25),
    ("What's the best way to cover the next 20 yrs?", 20),
    ("Build a retirement income plan for the next 30 years", 30),
])
def test_funding_the_next_years_is_a_retire_call_with_the_horizon(book, q, years):
    c = ask(book, q)
    assert isinstance(c, Call) and c.tool == "retire", c
    assert c.arguments["years"] == years
    assert "spending" not in c.arguments  # none said: the engine finds the most they can spend


def test_a_stated_yearly_spending_is_passed_as_said(book):
    c = ask(book, "How should they fund the next 30 years on $80k a year?")
    assert c.tool == "retire" and c.arguments["spending"] == 80_000 and c.arguments["years"] == 30


@pytest.mark.parametrize("q", [
    "Should they convert to Roth this year, and how much?",
    "How much should we convert to a Roth IRA this year?",
    "Is a Roth conversion worth it for Alex this year?",
    "should we be doing roth conversions?",
])
def test_conversion_questions_lead_with_the_conversion_and_compare_without(book, q):
    c = ask(book, q)
    assert isinstance(c, Call) and c.tool == "retire", c
    assert c.arguments["focus"] == "conversion" and c.arguments.get("conversions", True)
    assert "no-conversions" in c.arguments["alternatives"]


@pytest.mark.parametrize("q", [
    "When should she claim Social Security?",
    "what's the best age for him to claim social security?",
    "When should Alex claim?",
    "Social Security claiming age for this household?",
])
def test_claiming_questions_let_the_plan_choose_and_compare_62_67_70(book, q):
    c = ask(book, q)
    assert isinstance(c, Call) and c.tool == "retire", c
    assert c.arguments["focus"] == "claiming" and c.arguments["claim_ss"] == "auto"
    assert c.arguments["alternatives"] == ["claim-62", "claim-67", "claim-70"]


def test_a_stated_claiming_age_and_no_conversions_are_read(book):
    c = ask(book, "Plan retirement income of $80,000 a year, claiming Social Security at 67, without conversions")
    assert c.tool == "retire" and c.arguments["claim_ss"] == 67 and c.arguments["conversions"] is False and c.arguments["spending"] == 80_000


def test_a_follow_up_changes_the_last_retire_call(book):
    first = ask(book, "How should they fund the next 30 years on $80k a year?")
    c = ask(book, "what if she claims at 67 instead?", Context(household="Owl comparison case", last=first))
    assert c.tool == "retire" and c.arguments["claim_ss"] == 67 and c.arguments["years"] == 30 and c.arguments["spending"] == 80_000


def test_support_audience_solves_the_alternatives(book):
    c = ask(book, "Should they convert to Roth this year? explain the reasoning for support")
    assert c.audience == "support" and {"no-conversions", "claim-67"} <= set(c.arguments["alternatives"])


def test_one_withdrawal_is_still_withdraw(book):
    assert ask(book, "Raise $50k tax-efficiently").tool == "withdraw"


def run_ask(q: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", "ask", q, "--household", str(OWL), *extra], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_ask_conversion_end_to_end_every_figure_from_the_result():
    p = run_ask("Should they convert to Roth this year, and how much?", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    e = out["result"]["extra"]
    first = e["years"][0]
    # The lead is the engine's year-1 conversion; the IRA gives it and the Roth receives it.
    assert out["explanation"].startswith(f"Convert ${e['year_one_conversion']:,.2f} to Roth in {first['year']}.")
    assert e["year_one_conversion"] == first["conversions"] > 0
    assert e["year_one_withdrawals"]["ira"] >= e["year_one_conversion"] - 0.01
    assert e["year_one_deposits"]["roth"] == e["year_one_conversion"]
    assert [a["label"] for a in e["alternatives"]] == ["without Roth conversions"]
    assert e["alternatives"][0]["roth_conversions"] == 0
    # Every dollar figure in the text is a number of the result, as rendered (cents).
    figures = set(re.findall(r"\$([\d,]+\.\d\d)", out["explanation"]))
    known = {f"{v:,.2f}" for v in numbers(out["result"])}
    assert figures <= known, figures - known
    assert DISCLAIMER in out["explanation"]
    assert out["result"]["trades"], "year 1 comes with lot-level trades"


def numbers(obj) -> list[float]:
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in numbers(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in numbers(v)]
    return [float(obj)] if isinstance(obj, (int, float)) and not isinstance(obj, bool) else []


def test_ask_claiming_end_to_end_leads_with_the_ages_and_compares_62_67_70():
    p = run_ask("When should she claim Social Security? Draft a client letter")
    assert p.returncode == 0, p.stderr
    text = p.stdout
    assert "For Social Security, the plan claims Alex at " in text
    assert DISCLAIMER in text
    p = run_ask("When should she claim Social Security?", "--json")
    out = json.loads(p.stdout)
    e = out["result"]["extra"]
    assert out["explanation"].startswith(f"Claim Social Security: Alex at {e['claim_ages']['Alex']}.")
    assert [a["claim_ages"]["Alex"] for a in e["alternatives"]] == [62, 67, 70]
    for a in e["alternatives"]:
        assert f"legacy ${a['after_tax_legacy']:,.2f}" in out["explanation"]


def test_chat_charts_plot_the_results_balances_tax_and_claiming_ages():
    from assistant.retire_charts import retire_charts
    from engine import load_household
    from engine.retire.assumptions import Assumptions
    from engine.retire.result import retire_result

    h = load_household(OWL)
    r = retire_result(h, Assumptions(spending=80_000, until_age=70, time_limit=3), ["claim-62", "claim-67"], 2)
    e = r.extra
    charts = dict(retire_charts(r))
    assert set(charts) == {"balances", "tax by year", "claiming age"}
    traces = {t.name: t for t in charts["balances"].data}
    assert list(traces["Roth"].y) == [y.roth_balance for y in e.years]
    assert list(traces["Traditional"].y) == [y.traditional_balance for y in e.years]
    assert list(charts["tax by year"].data[0].y) == [y.tax for y in e.years]
    assert list(charts["claiming age"].data[0].y) == [e.after_tax_legacy] + [a.after_tax_legacy for a in e.alternatives]
