"""Order files: the plan's trades as CSV a trading desk loads, in one of a few layouts.

Layouts (`ORDER_FORMATS`):
- `generic`: one row per trade as the engine returns it (a sell of three lots is three rows),
  the columns of `ORDER_COLUMNS`.
- `desk`: one row per order (account, side, ticker), with the quantity summed over its lots and,
  for sells that name lots, the lot-relief instruction that makes specific identification
  stick at the custodian: the lot ids and the "versus purchase" (VSP) dates with the shares
  relieved from each. Market orders, good for the day.
- `desk-lots`: the same orders, one row per lot relieved, joined by `order_id`; for order
  management systems that take lot allocations as separate lines.

These are Householder's own layouts, not any custodian's upload template (none is published);
map the columns in the desk's import tool.

Every text cell is neutralised against CSV (formula) injection per the OWASP rule: a cell that
begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a single quote, so
a spreadsheet shows it as text instead of running it. Numbers are written as numbers.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Literal, get_args

from engine.results import Result, Trade

ORDER_COLUMNS = ["account", "ticker", "action", "shares", "price", "amount", "lot_id", "acquired", "realized_gain", "term"]
DESK_COLUMNS = ["order_id", "account", "side", "ticker", "quantity", "order_type", "time_in_force", "lot_relief", "lot_ids", "versus_purchase", "est_price", "est_amount"]
DESK_LOT_COLUMNS = ["order_id", "account", "side", "ticker", "quantity", "order_type", "time_in_force", "lot_relief", "lot_id", "versus_purchase", "est_price", "est_amount"]

OrderFormat = Literal["generic", "desk", "desk-lots"]
ORDER_FORMATS: tuple[str, ...] = get_args(OrderFormat)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUANTITY_DECIMALS = 6  # shares; fractional shares are kept to a millionth


def safe_cell(value: object) -> object:
    """A cell a spreadsheet will not execute: text starting with = + - @ tab or CR gets a
    leading single quote (OWASP CSV injection); None is an empty cell; numbers pass as numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_rows(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text with a header, every cell passed through `safe_cell`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([safe_cell(c) for c in columns])
    for row in rows:
        w.writerow([safe_cell(c) for c in row])
    return buf.getvalue()


def orders_csv(r: Result) -> str:
    """The `generic` layout: one row per trade."""
    return write_rows(ORDER_COLUMNS, ([getattr(t, k) for k in ORDER_COLUMNS] for t in r.trades))


def _quantity(shares: float) -> float | int:
    q = round(shares, _QUANTITY_DECIMALS)
    return int(q) if q == int(q) else q


def _orders(r: Result) -> list[tuple[str, list[Trade]]]:
    """Trades grouped into orders, one per (account, side, ticker), in the plan's order;
    sells before buys so the cash a sale raises is there when the buys settle."""
    groups: dict[tuple[str, str, str], list[Trade]] = {}
    for t in r.trades:
        groups.setdefault((t.account, t.action, t.ticker), []).append(t)
    ordered = sorted(groups.items(), key=lambda kv: kv[0][1] != "sell")
    return [(f"{n:04d}", trades) for n, (_, trades) in enumerate(ordered, start=1)]


def _relief(trades: list[Trade]) -> str:
    """SPECIFIC_LOT for a sell whose every lot carries its purchase date (the engine dates the
    lots of taxable sells), else empty: in a tax-deferred account the lot sold changes no
    tax, and the custodian's default method applies."""
    return "SPECIFIC_LOT" if trades[0].action == "sell" and all(t.acquired for t in trades) else ""


def _vsp(t: Trade) -> str:
    return f"VSP {t.acquired} x {_quantity(t.shares)}" if t.acquired else ""


def desk_csv(r: Result) -> str:
    """The `desk` layout: one row per order, its lots in the lot_ids and versus_purchase cells
    ("L1 x 35; L2 x 140" and "VSP 2016-09-12 x 140; ...")."""
    rows = []
    for order_id, trades in _orders(r):
        t0, relief = trades[0], _relief(trades)
        lot_ids = "; ".join(f"{t.lot_id} x {_quantity(t.shares)}" for t in trades if t.lot_id) if relief else ""
        vsp = "; ".join(v for t in trades if (v := _vsp(t))) if relief else ""
        shares = sum(t.shares for t in trades)
        amount = f"{sum(t.amount for t in trades):.2f}"
        rows.append([order_id, t0.account, t0.action.upper(), t0.ticker, _quantity(shares), "MARKET", "DAY", relief, lot_ids, vsp, t0.price, amount])
    return write_rows(DESK_COLUMNS, rows)


def desk_lots_csv(r: Result) -> str:
    """The `desk-lots` layout: one row per lot of each order, the order's id on every row."""
    rows = []
    for order_id, trades in _orders(r):
        relief = _relief(trades)
        for t in trades:
            rows.append([order_id, t.account, t.action.upper(), t.ticker, _quantity(t.shares), "MARKET", "DAY", relief,
                         t.lot_id if relief else None, _vsp(t) if relief else None, t.price, f"{t.amount:.2f}"])
    return write_rows(DESK_LOT_COLUMNS, rows)


def order_file(r: Result, layout: str = "generic") -> str:
    """The plan's orders in `layout` (one of ORDER_FORMATS)."""
    writers = {"generic": orders_csv, "desk": desk_csv, "desk-lots": desk_lots_csv}
    if layout not in writers:
        raise ValueError(f"order layout {layout!r}: use one of {', '.join(ORDER_FORMATS)}")
    return writers[layout](r)
