"""retire, year 1 at lot level: the plan's first-year withdrawals and conversions executed by the
withdraw model keep every rule the other tools keep, and raise what the plan says, account by
account. Everything is checked from the household file, the plan's year-1 row and the trades
(tests/bookkeeping.py), never from the engine's own measures.

Cases: the Owl comparison case (a conversion into the Roth, taxable sales) and the retiree (an RMD
year, a loss lot in the brokerage that a purchase of an identical fund in the IRA 21 days earlier
washes, and a household far off target)."""
from __future__ import annotations

import csv
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from engine import load_household
from engine.retire.assumptions import Assumptions
from engine.retire.tool import retire
from engine.retire.yearone import execute_year_one

from bookkeeping import check_lots_and_restrictions, identical_groups, is_loss_lot, lots_of, price, wash_blocked_lots

ROOT = Path(__file__).resolve().parents[1]
CENT = 0.01 + 1e-6
CASES = {"owl": ("retire_owl_case.json", 80_000.0), "retiree": ("retiree.json", 30_000.0)}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    name, spending = CASES[request.param]
    h = load_household(ROOT / "examples" / name)
    plan = retire(h, Assumptions(spending=spending, time_limit=3))
    assert plan.rows, plan.outcome
    result, flows = execute_year_one(h, plan)
    assert result is not None and result.status in ("optimal", "feasible"), (result and result.message)
    return h, plan, result, flows


def owner_index(h, plan, acct) -> int:
    names = [o.name for o in plan.input.owners]
    return names.index(acct.owner) if acct.owner in names else 0


def test_each_account_gives_what_the_plan_takes_from_its_kind(case):
    h, plan, r, flows = case
    row = plan.rows[0]
    by_account = r.extra.withdrawal.by_account
    assert by_account == pytest.approx(flows.withdrawals, abs=CENT)
    for o in range(len(plan.input.owners)):
        trad = sum(v for a, v in by_account.items() if any(x.id == a and x.kind == "traditional" and owner_index(h, plan, x) == o for x in h.accounts))
        assert abs(trad - (row.traditional_withdrawals[o] + row.conversions[o])) <= 2 * CENT
        roth_in = sum(v for a, v in flows.deposits.items() if any(x.id == a and x.kind == "roth" and owner_index(h, plan, x) == o for x in h.accounts))
        assert abs(roth_in - row.conversions[o]) <= CENT
    taxable = sum(v for a, v in by_account.items() if any(x.id == a and x.kind == "taxable" for x in h.accounts))
    taxable_cash = sum(a.cash for a in h.accounts if a.kind == "taxable")
    # The year's cash: Social Security + withdrawals + what taxable money gives = spending + tax + IRMAA.
    assert abs(taxable - (row.taxable_sales + taxable_cash - row.deposit)) <= 2 * CENT
    spent = row.social_security + sum(row.traditional_withdrawals) + sum(row.roth_withdrawals) + taxable
    assert abs(spent - (row.spending + row.tax + row.irmaa)) <= 0.05


def test_year_one_trades_keep_every_rule(case):
    h, plan, r, flows = case
    check_lots_and_restrictions(h, r, excluded=set())
    # Cash never below what an account may not spend: cash + sales - buys - withdrawn + deposited.
    cash = {a.id: a.cash for a in h.accounts}
    for t in r.trades:
        cash[t.account] += (1 if t.action == "sell" else -1) * t.shares * price(h, t.ticker)
    for a in h.accounts:
        left = cash[a.id] - r.extra.withdrawal.by_account.get(a.id, 0.0) + flows.deposits.get(a.id, 0.0)
        assert left >= min(a.cash, a.cash_reserve) - CENT, (a.id, left)
    # No wash sale across accounts: no loss sale of a group bought now or in the last 30 days.
    group, lots, blocked = identical_groups(h), lots_of(h), wash_blocked_lots(h)
    bought = {t.ticker for t in r.trades if t.action == "buy"}
    for t in r.trades:
        if t.action == "sell" and is_loss_lot(h, *lots[(t.account, t.lot_id)]):
            assert not group[t.ticker] & bought, f"{t.ticker} sold at a loss while {group[t.ticker] & bought} is bought"
            assert (t.account, t.lot_id) not in blocked


def test_year_one_keeps_the_allocation_within_its_bands(case):
    h, plan, r, flows = case
    held: dict[str, float] = defaultdict(float)
    for a in h.accounts:
        for lot in a.holdings:
            held[lot.ticker] += lot.shares
    for t in r.trades:
        held[t.ticker] += t.shares if t.action == "buy" else -t.shares
    cash = sum(a.cash for a in h.accounts) + sum(t.shares * price(h, t.ticker) * (1 if t.action == "sell" else -1) for t in r.trades)
    cash += sum(flows.deposits.values()) - sum(r.extra.withdrawal.by_account.values())
    value: dict[str, float] = defaultdict(float)
    for s in h.securities:
        value[s.asset_class] += held[s.ticker] * s.price
    value["cash"] += cash
    total = sum(value.values())
    for c, target in h.targets.items():
        band = h.tolerance.classes[c].width(target) if c in h.tolerance.classes else h.tolerance.width(target)
        assert abs(value[c] / total - target) <= (band or 0.03) + 1e-4, (c, value[c] / total, target)


def test_the_retiree_year_one_takes_the_rmd_and_leaves_the_washed_loss_lot(case):
    h, plan, r, flows = case
    if h.name != load_household(ROOT / "examples" / "retiree.json").name:
        pytest.skip("the retiree's case")
    # Born 1952, 74 in 2026: the Uniform Lifetime period is 25.5. The IRA holds 20,035 VBTLX at
    # $9.62, 300 VTSAX at $159.80, 700 BNDX at $49.30 and $1,200 cash: $276,386.70 / 25.5 = $10,838.69.
    assert r.extra.withdrawal.by_account["ira"] >= 276_386.70 / 25.5 - CENT
    # BND-2020 is below its basis ($44,460 against $53,700) and VBTLX, identical, was bought in
    # the IRA on 2026-11-03, 21 days before as_of: selling it now would wash the loss.
    assert not any(t.account == "brokerage" and t.lot_id == "BND-2020" for t in r.trades)


def test_cli_writes_year_one_orders(tmp_path):
    out = tmp_path / "year1.csv"
    p = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "retire", str(ROOT / "examples" / "retire_owl_case.json"), "--spending", "80000", "--time-limit", "3", "--trades-csv", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert p.returncode == 0, p.stderr
    assert "at lot level" in p.stdout and "For educational purposes only. Not investment, tax or legal advice." in p.stdout
    rows = list(csv.DictReader(out.open()))
    assert rows and {r["action"] for r in rows} <= {"buy", "sell"}
    sold_taxable = sum(float(r["amount"]) for r in rows if r["account"] == "brokerage" and r["action"] == "sell")
    assert sold_taxable > 0  # the plan's year-1 taxable sales are real lot sales


def test_cli_refuses_a_trades_csv_in_a_missing_folder(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "retire", str(ROOT / "examples" / "retire_owl_case.json"), "--spending", "80000", "--trades-csv", str(tmp_path / "no" / "x.csv")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert p.returncode == 2 and "--trades-csv" in p.stderr and "Traceback" not in p.stderr
