"""Fidelity exports: Portfolio_Positions_Mmm-dd-yyyy.csv (every account in one file, one row per
holding, no purchase dates) and a lot-level cost basis file.

The positions layout is the published one (FINporterFido's fixtures; CUSTODIAN-FORMATS.md). No
open-lots layout has been published; the lot reader takes any file whose header has Account
Number, Symbol, Date Acquired, Quantity and Cost Basis columns (the names Fidelity uses in its
realized gain/loss download), in any order. Say so to users: it is our assumption, not a spec.
"""
from __future__ import annotations

from .common import Cash, Parsed, RawLot, cell, column, day, header_index, is_money_market, number, parse_cells, records

CUSTODIAN = "fidelity"


def _index(first_records: list) -> dict[str, int] | None:
    for rec in first_records[:5]:
        if not rec.blank:
            return header_index(rec.cells)
    return None


def is_positions(first_records: list) -> bool:
    ix = _index(first_records) or {}
    return "account number" in ix and "symbol" in ix and "quantity" in ix and column(ix, "last price") is not None


def is_lots(first_records: list) -> bool:
    ix = _index(first_records) or {}
    return column(ix, "account number", "account") is not None and column(ix, "symbol") is not None \
        and "date acquired" in ix and "quantity" in ix and column(ix, "cost basis") is not None


def _read(text: str, name: str, lots: bool) -> Parsed:
    out = Parsed(CUSTODIAN)
    index = None
    in_footer = False
    for rec in records(text):
        where = f"{name} line {rec.line}"
        if index is None:
            if not rec.blank:
                index = header_index(rec.cells)
            continue
        if rec.blank:
            in_footer = in_footer or bool(out.lots or out.cash)
            continue
        if in_footer or len(rec.cells) < 3:
            out.skipped.append(f"{where}: footer text ({rec.first[:40]!r}); skipped")
            continue
        account = cell(rec.cells, column(index, "account number", "account"))
        account_name = cell(rec.cells, column(index, "account name"))
        symbol = cell(rec.cells, column(index, "symbol"))
        description = cell(rec.cells, column(index, "description", "security description"))
        if symbol.lower().startswith("pending activity") or account.lower().startswith("pending activity"):
            out.skipped.append(f"{where}: 'Pending Activity' (unsettled cash, not a holding); skipped")
            continue
        if account.lower().startswith("total"):
            out.skipped.append(f"{where}: 'Total' row; skipped")
            continue
        if not account or not symbol:
            out.skipped.append(f"{where}: no account number or symbol; skipped")
            continue
        if lots and "(" in symbol:
            symbol = symbol.split("(")[0].strip()  # "VTI(922908769)" in the Symbol(CUSIP) column
        got = parse_cells(where, {
            "Current Value": (number, cell(rec.cells, column(index, "current value"))), "Quantity": (number, cell(rec.cells, column(index, "quantity"))),
            "Last Price": (number, cell(rec.cells, column(index, "last price", "price"))),
            "Cost Basis": (number, cell(rec.cells, column(index, "cost basis total", "cost basis"))),
            "Date Acquired": (day, cell(rec.cells, column(index, "date acquired"))),
        }, out.problems)
        if got is None:
            continue
        value, shares, price, basis, acquired = got["Current Value"], got["Quantity"], got["Last Price"], got["Cost Basis"], got["Date Acquired"]
        if is_money_market(symbol, description):
            if lots:
                out.skipped.append(f"{where}: money market {symbol} (cash comes from the positions file); skipped")
            else:
                out.cash.append(Cash(where, CUSTODIAN, account, account_name, value or 0.0))
            continue
        if shares is None or shares <= 0:
            out.skipped.append(f"{where}: {symbol} has no quantity; skipped")
            continue
        out.lots.append(RawLot(where, CUSTODIAN, account, account_name, symbol, shares, basis, acquired, price, is_lot=lots))
    if not out.lots and not out.cash:
        out.problems.append(f"{name}: no holdings below the header")
    return out


def read_positions(text: str, name: str) -> Parsed:
    return _read(text, name, lots=False)


def read_lots(text: str, name: str) -> Parsed:
    out = _read(text, name, lots=True)
    out.notes.append(f"{name}: Fidelity publishes no open-lots layout; read by its column names (Account Number, Symbol, Date Acquired, Quantity, Cost Basis)")
    return out
