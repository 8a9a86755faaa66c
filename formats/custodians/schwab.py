"""Schwab website exports: the positions file (one block per account) and the per-symbol lot
details file ("FNDA Lot Details for XXXX-4321 as of ...").

Positions give one row per holding, without purchase dates; lot details give a symbol's lots in
one account. Imported together, a symbol's lots replace its position row (see `merge`).
Layouts as described in ../shared/CUSTODIAN-FORMATS.md (opensteuerauszug, beancount-import).
"""
from __future__ import annotations

import re

from .common import Cash, CellError, Parsed, RawLot, cell, column, day, header_index, is_money_market, number, parse_cells, records

CUSTODIAN = "schwab"
_ACCOUNT = re.compile(r"^(?P<name>.*?)\s*(?P<number>(?:\.\.\.|X+-?)?\d{3,})$")
_POSITIONS_TITLE = re.compile(r"^Positions for (?:account )?(?P<label>.+?) as of ", re.I)
_LOTS_TITLE = re.compile(r"^(?P<symbol>\S+) Lot Details for (?P<label>.+?) as of ", re.I)
_TOTALS = ("positions total", "account total", "total")


def split_account(label: str) -> tuple[str, str]:
    """("Individual", "...123") from "Individual ...123"; ("", "XXXX-4321") from a bare number
    (another file may name the account); the label twice if no number is in it."""
    m = _ACCOUNT.match(label.strip())
    return (m["name"], m["number"]) if m else (label, label)


def is_positions(first_records: list) -> bool:
    return bool(first_records) and bool(_POSITIONS_TITLE.match(first_records[0].first))


def is_lot_details(first_records: list) -> bool:
    return bool(first_records) and bool(_LOTS_TITLE.match(first_records[0].first))


def read_positions(text: str, name: str) -> Parsed:
    out = Parsed(CUSTODIAN)
    account: str | None = None
    account_name = ""
    index: dict[str, int] | None = None
    for rec in records(text):
        where = f"{name} line {rec.line}"
        if rec.blank:
            continue
        title = _POSITIONS_TITLE.match(rec.first)
        if title or (len([c for c in rec.cells if c]) == 1 and index is None):
            label = title["label"] if title else rec.first
            if title and label.lower().startswith("all-accounts"):
                continue  # the all-accounts title; each block names its own account below
            account_name, account = split_account(label)
            index = None
            continue
        if rec.first.lower() == "symbol":
            index = header_index(rec.cells)
            continue
        if len([c for c in rec.cells if c]) == 1 and index is not None and not rec.first.lower().startswith(_TOTALS):
            account_name, account = split_account(rec.first)  # next block of the all-accounts file
            index = None
            continue
        if index is None or account is None:
            out.skipped.append(f"{where}: before any account title and header; skipped")
            continue
        symbol = rec.first
        if symbol.lower().startswith(_TOTALS):
            out.skipped.append(f"{where}: {symbol!r} total row; skipped")
            index = index if symbol.lower() != "account total" else None
            continue
        value_col = column(index, "mkt val", "market value")
        if symbol.lower().startswith("cash & cash investments") or is_money_market(symbol, cell(rec.cells, column(index, "description"))):
            try:
                dollars = number(cell(rec.cells, value_col)) or 0.0
            except CellError as err:
                out.problems.append(f"{where}, column Mkt Val: {err}")
                continue
            out.cash.append(Cash(where, CUSTODIAN, account, account_name, dollars))
            continue
        got = parse_cells(where, {
            "Quantity": (number, cell(rec.cells, column(index, "qty", "quantity"))), "Price": (number, cell(rec.cells, column(index, "price"))),
            "Cost Basis": (number, cell(rec.cells, column(index, "cost basis"))),
        }, out.problems)
        if got is None:
            continue
        shares, price, basis = got["Quantity"], got["Price"], got["Cost Basis"]
        if shares is None or shares <= 0:
            out.skipped.append(f"{where}: {symbol} has no quantity; skipped")
            continue
        out.lots.append(RawLot(where, CUSTODIAN, account, account_name, symbol, shares, basis, None, price))
    if not out.lots and not out.cash:
        out.problems.append(f"{name}: no positions found below a 'Symbol,Description,Qty (Quantity),...' header")
    return out


def read_lot_details(text: str, name: str) -> Parsed:
    out = Parsed(CUSTODIAN)
    recs = records(text)
    title = _LOTS_TITLE.match(recs[0].first)
    assert title is not None  # detect() chose this reader by that title
    symbol = title["symbol"]
    account_name, account = split_account(title["label"])
    index = None
    for n, rec in enumerate(recs[1:], start=1):
        where = f"{name} line {rec.line}"
        if rec.blank:
            continue
        if rec.first.lower() == "open date":
            index = header_index(rec.cells)
            continue
        if index is None:
            out.skipped.append(f"{where}: before the 'Open Date,Quantity,...' header; skipped")
            continue
        if rec.first.lower().startswith("total"):
            out.skipped.append(f"{where}: 'Total' row; skipped")
            continue
        got = parse_cells(where, {
            "Open Date": (day, rec.first), "Quantity": (number, cell(rec.cells, column(index, "quantity"))),
            "Cost Basis": (number, cell(rec.cells, column(index, "cost basis"))), "Price": (number, cell(rec.cells, column(index, "price"))),
        }, out.problems)
        if got is None:
            continue
        acquired, shares, basis, price = got["Open Date"], got["Quantity"], got["Cost Basis"], got["Price"]
        if shares is None or shares <= 0:
            out.skipped.append(f"{where}: lot without a quantity; skipped")
            continue
        out.lots.append(RawLot(where, CUSTODIAN, account, account_name, symbol, shares, basis, acquired, price, is_lot=True))
    if not out.lots:
        out.problems.append(f"{name}: no lots below the 'Open Date,Quantity,Price,...' header")
    return out
