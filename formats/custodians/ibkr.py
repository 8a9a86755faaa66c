"""Interactive Brokers: Flex query XML with OpenPosition rows at lot level, and the activity
statement CSV's "Open Positions" section (Summary and Lot rows).

Layouts per csingley/ibflex (ibflex/Types.py) and IBKR activity statements as described in
CUSTODIAN-FORMATS.md. Only stock and fund lots in USD are read; other rows are reported as skipped.
"""
from __future__ import annotations

import xml.parsers.expat

from .common import Cash, CellError, Parsed, RawLot, cell, column, day, header_index, number, records

CUSTODIAN = "ibkr"
_SECURITIES = {"STK", "FUND", "ETF", "STOCKS", "STOCK", "FUNDS"}


def is_flex(text: str) -> bool:
    return text.lstrip("\ufeff \r\n\t").startswith("<") and "<FlexQueryResponse" in text[:2000]


def is_activity(first_records: list) -> bool:
    return any(len(r.cells) > 1 and r.cells[1] == "Header" and r.first in ("Statement", "Account Information", "Open Positions")
               for r in first_records[:40])


def _flex_lot(attrs: dict, where: str, out: Parsed) -> RawLot | None:
    symbol = attrs.get("symbol", "").strip()
    category = attrs.get("assetCategory", "STK").upper()
    if category not in _SECURITIES:
        out.skipped.append(f"{where}: {symbol or 'position'} is {category}, not a stock or fund; skipped")
        return None
    if attrs.get("currency", "USD") != "USD":
        out.skipped.append(f"{where}: {symbol} is in {attrs['currency']}; only USD holdings are imported; skipped")
        return None
    try:
        shares = number(attrs.get("position", ""))
        price = number(attrs.get("markPrice", ""))
        basis = number(attrs.get("costBasisMoney", ""))
        opened = attrs.get("openDateTime", "")
        acquired = day(opened) if opened else None
    except CellError as err:
        out.problems.append(f"{where}: {err}")
        return None
    if shares is None or shares <= 0:
        out.skipped.append(f"{where}: {symbol} position {attrs.get('position', '')!r} is not a long holding; skipped")
        return None
    is_lot = attrs.get("levelOfDetail", "SUMMARY").upper() == "LOT"
    lot_id = attrs.get("originatingTransactionID") or attrs.get("transactionID") or None
    return RawLot(where, CUSTODIAN, attrs.get("accountId", ""), attrs.get("accountName", ""), symbol, shares, basis, acquired, price, lot_id if is_lot else None, is_lot)


def read_flex(text: str, name: str) -> Parsed:
    out = Parsed(CUSTODIAN)
    parser = xml.parsers.expat.ParserCreate()
    statement_account = [""]
    found: list[RawLot] = []

    def start(tag: str, attrs: dict) -> None:
        where = f"{name} line {parser.CurrentLineNumber}"
        if tag == "FlexStatement":
            statement_account[0] = attrs.get("accountId", "")
        elif tag == "OpenPosition":
            attrs.setdefault("accountId", statement_account[0])
            if (lot := _flex_lot(attrs, where, out)) is not None:
                found.append(lot)
        elif tag == "CashReportCurrency" and attrs.get("currency") == "USD":
            try:
                dollars = number(attrs.get("endingCash", ""))
            except CellError as err:
                out.problems.append(f"{where}: endingCash {err}")
                return
            if dollars:
                out.cash.append(Cash(where, CUSTODIAN, attrs.get("accountId", statement_account[0]), "", dollars))

    parser.StartElementHandler = start
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as err:
        out.problems.append(f"{name} line {err.lineno}: not well-formed XML ({xml.parsers.expat.ErrorString(err.code)}); download the Flex query again")
        return out
    _keep_lots_over_summaries(found, out)
    if not out.lots and not out.problems:
        out.problems.append(f"{name}: no <OpenPosition> rows; run the Flex query with Open Positions at lot level")
    return out


def _keep_lots_over_summaries(found: list[RawLot], out: Parsed) -> None:
    """A symbol with lot rows keeps them; its summary row would count the shares twice."""
    has_lots = {(x.account, x.ticker) for x in found if x.is_lot}
    for x in found:
        if not x.is_lot and (x.account, x.ticker) in has_lots:
            out.skipped.append(f"{x.source}: {x.ticker} summary row (its lots are imported); skipped")
        else:
            out.lots.append(x)


def read_activity(text: str, name: str) -> Parsed:
    out = Parsed(CUSTODIAN)
    account = account_type = ""
    index: dict[str, int] | None = None
    nav: dict[str, int] = {}
    found: list[RawLot] = []
    cash: list[tuple[str, str]] = []
    for rec in records(text):
        where = f"{name} line {rec.line}"
        if rec.blank:
            continue
        section, kind = rec.first, cell(rec.cells, 1)
        if section == "Account Information" and kind == "Data" and cell(rec.cells, 2) == "Account":
            account = cell(rec.cells, 3).split()[0] if cell(rec.cells, 3) else ""
            continue
        if section == "Account Information" and kind == "Data" and cell(rec.cells, 2) == "Account Type":
            account_type = cell(rec.cells, 3)
            continue
        if section == "Net Asset Value":
            if kind == "Header":
                nav = header_index(rec.cells)
            elif kind == "Data" and cell(rec.cells, 2) == "Cash":
                cash.append((where, cell(rec.cells, column(nav, "current total"))))
            continue
        if section != "Open Positions" or kind == "Total":
            continue  # other sections of the statement are not holdings
        if kind == "Header":
            index = header_index(rec.cells)
            continue
        if index is None:
            out.skipped.append(f"{where}: Open Positions row before its header; skipped")
            continue
        discriminator = cell(rec.cells, column(index, "datadiscriminator"))
        symbol = cell(rec.cells, column(index, "symbol"))
        attrs = {
            "symbol": symbol, "assetCategory": cell(rec.cells, column(index, "asset category")).upper(),
            "currency": cell(rec.cells, column(index, "currency")) or "USD", "position": cell(rec.cells, column(index, "quantity")),
            "markPrice": cell(rec.cells, column(index, "close price")), "costBasisMoney": cell(rec.cells, column(index, "cost basis")),
            "openDateTime": cell(rec.cells, column(index, "open")) if discriminator == "Lot" else "",
            "levelOfDetail": "LOT" if discriminator == "Lot" else "SUMMARY", "accountId": account, "accountName": account_type,
        }
        if (lot := _flex_lot(attrs, where, out)) is not None:
            found.append(lot)
    if not account:
        out.problems.append(f"{name}: no 'Account Information,Data,Account,U...' row; export the statement with its Account Information section")
        return out
    _keep_lots_over_summaries(found, out)
    for where, dollars in cash:
        try:
            out.cash.append(Cash(where, CUSTODIAN, account, account_type, number(dollars) or 0.0))
        except CellError as err:
            out.problems.append(f"{where}, column Current Total: {err}")
    if not out.lots and not out.problems:
        out.problems.append(f"{name}: no 'Open Positions' rows")
    return out
