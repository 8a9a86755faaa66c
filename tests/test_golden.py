"""Small hand-built households whose best plan is known, each worked out in its comment.

Unless a case says otherwise: as_of 2026-11-24, prices $100, no yield and equal expected
returns (so every security costs the same tax in a given account kind and location is
neutral), rates fixed at 30% short-term / ordinary and 15% long-term, default options
(3% drift band, $100 minimum trade, no gain budget). The drift penalty is 0.05 per dollar
moved inside the band and 1.05 per dollar moved outside it.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from engine import Options, parse_household, rebalance

AS_OF = date(2026, 11, 24)
RATES = {"short_term_rate": 0.30, "long_term_rate": 0.15, "ordinary_rate": 0.30}
OLD = "2020-01-02"  # long-term for every lot below


def days_ago(n: int) -> str:
    return (AS_OF - timedelta(days=n)).isoformat()


def household(accounts: list[dict], *, targets=None, securities=None, **extra):
    return parse_household({
        "name": "golden", "as_of": AS_OF.isoformat(), "tax": RATES,
        "targets": targets or {"stocks": 0.5, "bonds": 0.5},
        "securities": securities or [
            {"ticker": "STK", "asset_class": "stocks", "price": 100.0},
            {"ticker": "BND", "asset_class": "bonds", "price": 100.0},
        ],
        "accounts": accounts, **extra,
    })


def solve(h, **options):
    # Forced: several cases here sit inside their bands on purpose (only location is off), and
    # what they check is the plan the model chooses, not the within-tolerance shortcut.
    r = rebalance(h, Options(**({"force": True} | options)))
    assert r.status == "optimal", (r.status, r.message)
    return r


def sold(r, account=None, ticker=None, lot_id=None) -> float:
    return sum(t.shares for t in r.trades if t.action == "sell" and account in (None, t.account) and ticker in (None, t.ticker) and lot_id in (None, t.lot_id))


def bought(r, account=None, ticker=None) -> float:
    return sum(t.shares for t in r.trades if t.action == "buy" and account in (None, t.account) and ticker in (None, t.ticker))


def net_gain(r) -> float:
    return r.taxes.short_term_gain + r.taxes.long_term_gain


# (a) ------------------------------------------------------------------------------------------

def test_a_stocks_fell_so_the_ira_buys_them_and_taxable_realizes_nothing():
    # Brokerage: $50,000 STK at basis, $20,000 BND bought for $10,000. IRA: $30,000 BND.
    # Stocks are 50% of $100,000 against 60%: $10,000 must move from bonds to stocks. The IRA can
    # do it at no tax; in the brokerage it would realize $5,000 of gain. So the IRA sells 100 BND
    # and buys 100 STK, reaching 60/40 exactly, and the brokerage does nothing.
    h = household(
        [
            {"id": "brokerage", "kind": "taxable", "holdings": [
                {"ticker": "STK", "shares": 500, "cost_basis": 50_000, "acquired": OLD},
                {"ticker": "BND", "shares": 200, "cost_basis": 10_000, "acquired": OLD}]},
            {"id": "ira", "kind": "traditional", "holdings": [{"ticker": "BND", "shares": 300}]},
        ],
        targets={"stocks": 0.6, "bonds": 0.4},
    )
    r = solve(h)
    assert [t for t in r.trades if t.account == "brokerage"] == []
    assert net_gain(r) == 0 and r.taxes.estimated_tax == 0
    assert sold(r, "ira", "BND") == pytest.approx(100, abs=0.01)
    assert bought(r, "ira", "STK") == pytest.approx(100, abs=0.01)
    assert r.after.allocation["stocks"] == pytest.approx(0.6, abs=1e-4)


# (b) ------------------------------------------------------------------------------------------

def lot_order_household():
    # One brokerage account: STK lots "loss" 20 sh at basis $110 (long-term), "long" 100 sh at $80
    # (long-term) and "short" 100 sh at $80 (bought 207 days ago, short-term), and 20 BND at basis.
    # Stocks are $22,000 of $24,000 against 50%: 100 STK must be sold and 100 BND bought.
    # Per dollar sold: the loss lot costs nothing (its loss offsets the gains), "long" costs
    # 0.15 x 0.20 = 0.03 and "short" 0.30 x 0.20 = 0.06. The last dollars inside the band are worth
    # 0.05 each, so the plan sells all 20 loss shares, then 80 "long" shares, and no "short" share.
    # Net long-term gain 80 x 20 - 20 x 10 = $1,400; tax 15% = $210.
    return household([
        {"id": "brokerage", "kind": "taxable", "holdings": [
            {"id": "loss", "ticker": "STK", "shares": 20, "cost_basis": 2_200, "acquired": "2022-05-02"},
            {"id": "long", "ticker": "STK", "shares": 100, "cost_basis": 8_000, "acquired": "2021-03-01"},
            {"id": "short", "ticker": "STK", "shares": 100, "cost_basis": 8_000, "acquired": days_ago(207)},
            {"id": "bonds", "ticker": "BND", "shares": 20, "cost_basis": 2_000, "acquired": OLD}]},
    ])


def test_b_a_loss_lot_is_sold_before_a_gain_lot():
    r = solve(lot_order_household())
    assert sold(r, lot_id="loss") == 20
    assert sold(r, ticker="STK") == pytest.approx(100, abs=0.01)
    assert r.taxes.long_term_gain == pytest.approx(80 * 20 - 20 * 10, abs=0.5)
    assert r.taxes.estimated_tax == pytest.approx(0.15 * 1_400, abs=0.1)


def test_b_a_long_term_lot_is_sold_before_a_short_term_lot_of_equal_gain():
    r = solve(lot_order_household())
    assert sold(r, lot_id="short") == 0
    assert sold(r, lot_id="long") == pytest.approx(80, abs=0.01)
    assert r.taxes.short_term_gain == 0


# (c) ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("restriction", [
    {"account": "brokerage", "ticker": "STK", "rule": "no_sell"},
    {"account": "brokerage", "ticker": "STK", "rule": "hold"},
    {"account": "brokerage", "rule": "no_sell"},
], ids=["no_sell STK", "hold STK", "no_sell account"])
def test_c_a_restriction_is_kept_even_when_it_leaves_drift(restriction):
    # Brokerage $60,000 STK (half of it gain), IRA $40,000 BND: stocks 60% against 50%. Only the
    # brokerage holds stocks and it may not sell them; the IRA could only make it worse. So no
    # trade, and the drift stays at (|0.6 - 0.5| + |0.4 - 0.5|) / 2 = 0.10.
    accounts = [
        {"id": "brokerage", "kind": "taxable", "holdings": [{"ticker": "STK", "shares": 600, "cost_basis": 30_000, "acquired": OLD}]},
        {"id": "ira", "kind": "traditional", "holdings": [{"ticker": "BND", "shares": 400}]},
    ]
    free = solve(household(accounts))
    assert sold(free, "brokerage", "STK") > 0, "without the restriction the brokerage does sell"
    r = solve(household(accounts, restrictions=[restriction]))
    assert sold(r, "brokerage") == 0
    assert r.trades == []
    assert r.after.drift == pytest.approx(0.10, abs=1e-6)


# (d) ------------------------------------------------------------------------------------------

def test_d_a_zero_gain_budget_stops_any_net_gain():
    # STK lots: "gain" 300 sh at $50 (gain $50 a share), "loss" 50 sh at $120 (loss $20 a share);
    # 100 BND. Stocks $35,000 of $45,000 against 50%: $12,500 should move. With a $0 budget the
    # $1,000 loss can cover 20 gain shares, so the most it may sell is 50 + 20 = 70 STK.
    h = household([
        {"id": "brokerage", "kind": "taxable", "holdings": [
            {"id": "gain", "ticker": "STK", "shares": 300, "cost_basis": 15_000, "acquired": OLD},
            {"id": "loss", "ticker": "STK", "shares": 50, "cost_basis": 6_000, "acquired": OLD},
            {"ticker": "BND", "shares": 100, "cost_basis": 10_000, "acquired": OLD}]},
    ])
    free = solve(h)
    assert net_gain(free) > 1_000, "without a budget the plan realizes gains"
    r = solve(h, gain_budget=0.0)
    assert net_gain(r) <= 0.01
    assert sold(r, lot_id="loss") == 50
    assert sold(r, lot_id="gain") == pytest.approx(20, abs=0.01)


# (e) ------------------------------------------------------------------------------------------

def recent_purchase_household(roth_bought_days_ago: int):
    # Brokerage: 100 STK bought in 2022 for $12,000 ($2,000 loss). Roth: 10 STK bought
    # `roth_bought_days_ago` days ago and 40 BND. Stocks $11,000 of $15,000 against 50%: $3,500
    # should move; the Roth alone can move only its $1,000 of STK, so the brokerage must sell.
    return household([
        {"id": "brokerage", "kind": "taxable", "holdings": [{"ticker": "STK", "shares": 100, "cost_basis": 12_000, "acquired": "2022-06-01"}]},
        {"id": "roth", "kind": "roth", "holdings": [
            {"ticker": "STK", "shares": 10, "acquired": days_ago(roth_bought_days_ago)},
            {"ticker": "BND", "shares": 40}]},
    ])


def test_e_a_purchase_within_30_days_in_another_account_blocks_the_loss_sale():
    outside = solve(recent_purchase_household(45))
    assert sold(outside, "brokerage", "STK") > 0, "45 days ago is outside the window: the loss may be sold"
    for days in (10, 30):  # the window includes its 30th day
        r = solve(recent_purchase_household(days))
        assert sold(r, "brokerage", "STK") == 0, f"bought {days} days ago in the Roth: the loss would be washed"


# (f) and (h): asset location ------------------------------------------------------------------
#
# engine/location.py: tax cost at the horizon (H = 10 years) of $1 held today is 0 in a Roth and,
# in a taxable account, (1+r)^H - [(1+r-drag)^H - LT x ((1+r-y)^H - 1)], drag = y x (q x LT + (1-q) x ORD).
#   STK: r 8%, y 1.5%, q 1: drag 0.00225; 1.08^10 = 2.15892; 1.07775^10 = 2.11443;
#        1.065^10 - 1 = 0.87714; cost = 2.15892 - (2.11443 - 0.15 x 0.87714) = 0.1761
#   BND: r 3.5%, y 3.5%, q 0: drag 0.0105; 1.035^10 = 1.41060; 1.0245^10 = 1.27385;
#        price growth 0; cost = 1.41060 - 1.27385 = 0.1368
# STK costs more in the taxable account, so STK belongs in the Roth and BND in the taxable account.
# Swapping $10,000 saves 10,000 x (0.1761 - 0.1368) = $393 at the horizon, about $225 today at the
# 5.75% target return: far more than the tie-break on $40,000 traded.

LOCATION_SECURITIES = [
    {"ticker": "STK", "asset_class": "stocks", "price": 100.0, "yield": 0.015, "qualified_share": 1.0, "expected_return": 0.08},
    {"ticker": "STK2", "asset_class": "stocks", "price": 100.0, "yield": 0.015, "qualified_share": 1.0, "expected_return": 0.08},
    {"ticker": "BND", "asset_class": "bonds", "price": 100.0, "yield": 0.035, "qualified_share": 0.0, "expected_return": 0.035},
]


def taxable_cost(r: float, y: float, q: float, years: int = 10) -> float:
    drag = y * (q * RATES["long_term_rate"] + (1 - q) * RATES["ordinary_rate"])
    return (1 + r) ** years - ((1 + r - drag) ** years - RATES["long_term_rate"] * max(0.0, (1 + r - y) ** years - 1))


def location_household(stk_basis: float, buyable_in_roth: list[str], **extra):
    # Brokerage $10,000 STK (long-term), Roth $10,000 BND: already 50/50, only location is off.
    roth_rules = [{"account": "roth", "ticker": t, "rule": "no_buy"} for t in ("STK", "STK2") if t not in buyable_in_roth]
    return household(
        [
            {"id": "brokerage", "kind": "taxable", "holdings": [{"ticker": "STK", "shares": 100, "cost_basis": stk_basis, "acquired": OLD}]},
            {"id": "roth", "kind": "roth", "holdings": [{"ticker": "BND", "shares": 100}]},
        ],
        securities=LOCATION_SECURITIES, restrictions=roth_rules, **extra,
    )


def test_h_stocks_move_to_the_roth_when_moving_costs_no_tax():
    assert taxable_cost(0.08, 0.015, 1.0) == pytest.approx(0.1761, abs=1e-4)
    assert taxable_cost(0.035, 0.035, 0.0) == pytest.approx(0.1368, abs=1e-4)
    r = solve(location_household(stk_basis=10_000, buyable_in_roth=["STK"]))
    assert sold(r, "brokerage", "STK") == 100 and bought(r, "roth", "STK") == pytest.approx(100, abs=0.01)
    assert sold(r, "roth", "BND") == 100 and bought(r, "brokerage", "BND") == pytest.approx(100, abs=0.01)
    assert r.taxes.estimated_tax == 0
    assert r.after.location_score > r.before.location_score


@pytest.mark.parametrize("ticker, identical", [("STK", []), ("STK2", [["STK", "STK2"]])], ids=["same ticker", "identical ticker"])
def test_f_a_ticker_sold_at_a_loss_is_not_bought_back_in_the_roth(ticker, identical):
    # The location swap of (h) sells STK in the brokerage and buys `ticker` in the Roth. At basis
    # it happens; with the STK lot bought for $12,000 the sale is a loss, and buying the same or an
    # identical ticker in the Roth the same day would wash it, so the plan may not do both.
    at_basis = solve(location_household(10_000, [ticker], identical=identical))
    assert sold(at_basis, "brokerage", "STK") > 0 and bought(at_basis, "roth", ticker) > 0, "the swap is worth making"
    r = solve(location_household(12_000, [ticker], identical=identical))
    loss_sold = sold(r, "brokerage", "STK") > 0
    assert not (loss_sold and bought(r, ticker=ticker) > 0)
    assert not (loss_sold and bought(r, ticker="STK") > 0)
    if loss_sold:
        assert {"STK", ticker} <= {d.ticker for d in r.do_not_buy}


def test_f_without_an_identical_declaration_a_substitute_may_be_bought():
    # The counterpart: STK2 is not declared identical, so selling STK at a loss and buying STK2 in
    # the Roth is the location swap of (h), done at no tax, with $2,000 of loss realized.
    r = solve(location_household(12_000, ["STK2"]))
    assert sold(r, "brokerage", "STK") == 100 and bought(r, "roth", "STK2") == pytest.approx(100, abs=0.01)
    assert r.taxes.long_term_gain == pytest.approx(-2_000, abs=0.01)
    assert [d.ticker for d in r.do_not_buy] == ["STK"]


# (g) ------------------------------------------------------------------------------------------

def test_g_a_whole_share_account_trades_whole_shares():
    # IRA trading whole shares: 100 STK at $37.13 ($3,713) and 200 BND at $91.70 ($18,340), $57.17
    # cash. To reach 50/50 it buys about 7,300 / 37.13 = 197 STK, a fraction no fractional plan
    # would hit exactly. The Roth beside it trades fractions.
    h = household(
        [
            {"id": "ira", "kind": "traditional", "whole_shares": True, "cash": 57.17, "holdings": [
                {"ticker": "STK", "shares": 100}, {"ticker": "BND", "shares": 200}]},
            {"id": "roth", "kind": "roth", "holdings": [{"ticker": "BND", "shares": 33.3333}]},
        ],
        securities=[
            {"ticker": "STK", "asset_class": "stocks", "price": 37.13},
            {"ticker": "BND", "asset_class": "bonds", "price": 91.70},
        ],
    )
    r = solve(h)
    ira = [t for t in r.trades if t.account == "ira"]
    assert ira, "the IRA must trade to fix a 17/83 split"
    assert all(t.shares == int(t.shares) for t in ira), [t.shares for t in ira]
    spent = defaultdict(float)
    for t in r.trades:
        spent[t.account] += t.shares * t.price * (1 if t.action == "buy" else -1)
    assert spent["ira"] <= 57.17 + 1e-9
    assert r.after.drift <= 0.03


# Engine problems found while writing these tests, pinned with the smallest household that shows them.

def small_position_household(cash: float):
    # Brokerage: `cash`, 1 STK ($100, at basis) and a $60 position in ODD, a class with no target:
    # lot "new" (bought 4 days ago for $20) and lot "old" (bought in 2020 for $50, a $20 loss that
    # "new" washes, so it may not be sold).
    return household(
        [{"id": "brokerage", "kind": "taxable", "cash": cash, "holdings": [
            {"id": "stk", "ticker": "STK", "shares": 1, "cost_basis": 100, "acquired": OLD},
            {"id": "new", "ticker": "ODD", "shares": 1, "cost_basis": 20, "acquired": days_ago(4)},
            {"id": "old", "ticker": "ODD", "shares": 1, "cost_basis": 50, "acquired": OLD}]}],
        targets={"stocks": 1.0},
        securities=[{"ticker": "STK", "asset_class": "stocks", "price": 100.0}, {"ticker": "ODD", "asset_class": "odd", "price": 30.0}],
    )



def test_no_account_sells_and_buys_the_same_ticker():
    # Without cash, the $30 from "new" cannot buy $100 of STK; selling the 1 STK ($100) only to buy
    # 1.3 STK back would be a round trip that dodges the minimum (a net $30 order). A plan may buy
    # or sell a ticker in an account, never both.
    r = solve(small_position_household(cash=0.0))
    both = {(t.account, t.ticker) for t in r.trades if t.action == "sell"} & {(t.account, t.ticker) for t in r.trades if t.action == "buy"}
    assert both == set(), [(t.action, t.ticker, t.shares, t.amount) for t in r.trades]
