"""Vanguard's OfxDownload.csv: a holdings table (no cost basis, no dates), blank lines, then a
transactions table in the same file. Only the holdings are read; every transaction row is
reported as skipped. Vanguard publishes no lot-level layout, so taxable lots must come from
another file or the advisor's system (the import report says so)."""
from __future__ import annotations

from .common import Cash, Parsed, RawLot, cell, column, header_index, is_money_market, number, parse_cells, records

CUSTODIAN = "vanguard"


def is_holdings(first_records: list) -> bool:
    for rec in first_records[:5]:
        if not rec.blank:
            ix = header_index(rec.cells)
            return {"account number", "investment name", "symbol", "shares", "share price"} <= set(ix)
    return False


def read_holdings(text: str, name: str) -> Parsed:
    out = Parsed(CUSTODIAN)
    index = None
    section = "holdings"
    for rec in records(text):
        where = f"{name} line {rec.line}"
        if rec.blank:
            continue
        if index is None:
            index = header_index(rec.cells)
            continue
        if "trade date" in header_index(rec.cells):
            section = "transactions"
            out.skipped.append(f"{where}: transactions header; skipped (positions only)")
            continue
        if section == "transactions":
            out.skipped.append(f"{where}: transaction row; skipped (positions only)")
            continue
        account = rec.first
        symbol = cell(rec.cells, column(index, "symbol"))
        fund = cell(rec.cells, column(index, "investment name"))
        got = parse_cells(where, {
            "Shares": (number, cell(rec.cells, column(index, "shares"))), "Share Price": (number, cell(rec.cells, column(index, "share price"))),
            "Total Value": (number, cell(rec.cells, column(index, "total value"))),
        }, out.problems)
        if got is None:
            continue
        shares, price, value = got["Shares"], got["Share Price"], got["Total Value"]
        if is_money_market(symbol, fund) or (fund.lower().startswith("vanguard federal money market")):
            out.cash.append(Cash(where, CUSTODIAN, account, "", value or 0.0))
            continue
        if not symbol or shares is None or shares <= 0:
            out.skipped.append(f"{where}: {fund or 'row'} without a symbol or shares; skipped")
            continue
        out.lots.append(RawLot(where, CUSTODIAN, account, "", symbol, shares, None, None, price))
    if not out.lots and not out.cash:
        out.problems.append(f"{name}: no holdings below the 'Account Number,Investment Name,Symbol,Shares,...' header")
    out.notes.append(f"{name}: Vanguard's download has no cost basis or purchase dates; give taxable lots from another file")
    return out
