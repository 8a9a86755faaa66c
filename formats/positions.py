"""A custodian's positions CSV plus a small targets file, turned into a Household; and a
household written back as JSON.

The positions file has one row per lot, with the header
    account, kind, ticker, shares, cost_basis, acquired
and optionally `price`, `asset_class` (to price tickers the targets file does not list) and
`lot_id`. cost_basis (total dollars) and acquired (YYYY-MM-DD) may be empty outside taxable
accounts. The targets file holds everything a custodian does not know: name, as_of, tax,
targets, securities, and optionally cash (account id -> dollars), restrictions, identical,
substitutes, recent_loss_sales.

Only the spreadsheet layer is checked here (cells that are not numbers or dates, missing
columns, an account with two kinds); the household itself is checked by `parse_household`,
and its complaints are pointed back at the file, row and column they came from. Every
problem found is reported at once, except that a file which cannot be read at all stops
the import there.
"""
from __future__ import annotations

import csv
import difflib
import io
import json
import math
import re
from datetime import date
from pathlib import Path
from typing import get_args

from engine.household import AccountKind, Household, HouseholdError, parse_household
from engine.reading import UnreadableFile, loads_user_json, read_user_text

REQUIRED_COLUMNS = ("account", "kind", "ticker", "shares", "cost_basis", "acquired")
ACCOUNT_KINDS: tuple[str, ...] = get_args(AccountKind)
TARGETS_KEYS = ("name", "as_of", "tax", "targets", "securities", "cash", "restrictions", "identical", "substitutes", "recent_loss_sales")

# Custodian exports write money as "$12,345.67"; a "$" and US thousands separators are
# unambiguous, so they are accepted. Anything else must be a plain decimal number.
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_US_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _parse_number(text: str) -> float | None:
    """A cell's number (shares or dollars), or None when the cell is not one."""
    t = text.strip()
    if t.startswith("$"):
        t = t[1:]
    elif t[:1] in "+-" and t[1:2] == "$":
        t = t[0] + t[2:]
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    if not _PLAIN_NUMBER.match(t):
        return None
    x = float(t)
    return x if math.isfinite(x) else None


def _parse_day(text: str) -> tuple[date | None, str]:
    """(the date, or None and the fix to suggest)."""
    t = text.strip()
    if _ISO_DAY.match(t):
        try:
            return date.fromisoformat(t), ""
        except ValueError:
            return None, "no such day; check the month and day"
    us = _US_DAY.match(t)
    if us:
        # Month-first is only a guess; the user confirms it by rewriting the cell.
        m, d, y = (int(g) for g in us.groups())
        try:
            return None, f"write it as YYYY-MM-DD ({date(y, m, d).isoformat()} if it means month/day/year)"
        except ValueError:
            pass
    return None, "write it as YYYY-MM-DD, e.g. 2021-03-15"


class _Problems:
    """Problems found so far, each naming its file (and row and column where it has them),
    and the rows already blamed, so the household check does not pile onto the same row."""

    def __init__(self, positions: str, targets: str):
        self.positions, self.targets = positions, targets
        self.items: list[str] = []
        self.rows: set[int] = set()

    def at_row(self, number: int, column: str | None, message: str) -> None:
        self.items.append(f"{self.positions} row {number}" + (f", column {column}" if column else "") + f": {message}")
        self.rows.add(number)

    def in_positions(self, message: str) -> None:
        self.items.append(f"{self.positions}: {message}")

    def in_targets(self, where: str | None, message: str) -> None:
        self.items.append(f"{self.targets}" + (f" {where}" if where else "") + f": {message}")


def _normal_column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _read_targets(path: Path, problems: _Problems, extra_keys: tuple[str, ...] = ()) -> dict | None:
    """The targets file's household fields (and any `extra_keys` the caller reads), or None
    when there is nothing usable in it."""
    try:
        # Bounded like every user file (engine.reading); messages name the file themselves.
        data = loads_user_json(read_user_text(path, what="targets file"), str(path), "targets file")
    except UnreadableFile as err:
        problems.items.append(str(err).replace(f"{path}:", f"{problems.targets}:", 1))
        return None
    if not isinstance(data, dict):
        problems.in_targets(None, "must be a JSON object with name, as_of, tax, targets and securities")
        return None
    for key in data:
        if key == "accounts":
            problems.in_targets(None, "'accounts' come from the positions file; put each account's cash under 'cash' instead")
        elif key not in TARGETS_KEYS + extra_keys:
            close = difflib.get_close_matches(str(key), TARGETS_KEYS + extra_keys, n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`?" if close else f"the keys are {', '.join(TARGETS_KEYS + extra_keys)}"
            problems.in_targets(None, f"unknown key {str(key)[:60]!r}; {hint}")
    fields = {k: v for k, v in data.items() if k in TARGETS_KEYS + extra_keys}
    if not isinstance(fields.get("cash", {}), dict):
        problems.in_targets("cash", 'must map account id to dollars, e.g. {"joint-taxable": 1500}')
        fields.pop("cash")
    if not isinstance(fields.get("securities", []), list):
        # Without the list no ticker can be priced; the rows would only echo this problem.
        problems.in_targets("securities", "must be a list of {ticker, asset_class, price} objects")
        return None
    return fields


def _read_positions(path: Path, problems: _Problems) -> list[tuple[int, dict[str, str]]] | None:
    """Data rows as (1-based data row number, column -> stripped cell), blank rows skipped;
    None when the file has no usable header or no rows."""
    try:
        records = list(csv.reader(io.StringIO(read_user_text(path, what="positions file"), newline="")))
    except UnreadableFile as err:
        problems.items.append(str(err).replace(f"{path}:", f"{problems.positions}:", 1))
        return None
    except csv.Error as err:
        problems.in_positions(f"not a readable CSV file ({err}); export it again as CSV")
        return None
    header_line = "the first line must be the header: " + ",".join(REQUIRED_COLUMNS)
    if not records or not any(c.strip() for c in records[0]):
        problems.in_positions(f"the file is empty or starts with a blank line; {header_line}")
        return None
    header = [_normal_column(c) for c in records[0]]
    usable = True
    for col in sorted({c for c in header if c and header.count(c) > 1}):
        problems.in_positions(f"column {col!r} appears {header.count(col)} times in the header; keep one")
        usable = False
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.in_positions(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; {header_line}")
        usable = False
    if not usable:
        return None
    rows = []
    for number, record in enumerate(records[1:], start=1):
        if not any(c.strip() for c in record):
            continue
        if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
            problems.at_row(
                number, None,
                f"{len(record)} cells but the header has {len(header)}; quote any cell holding a comma (\"1,234.50\") or remove the comma",
            )
            continue
        rows.append((number, {col: (record[k].strip() if k < len(record) else "") for k, col in enumerate(header) if col}))
    if not rows and not problems.rows:
        problems.in_positions("no positions below the header; add one row per lot")
        return None
    return rows


def _lot(number: int, cells: dict[str, str], problems: _Problems) -> dict:
    """One holding from a row, with only the cells that parse; bad cells become problems."""
    lot: dict = {"ticker": cells["ticker"]}
    if cells.get("lot_id"):
        lot["id"] = cells["lot_id"]
    if not cells["shares"]:
        problems.at_row(number, "shares", "empty; give the number of shares in the lot")
    elif (shares := _parse_number(cells["shares"])) is None:
        problems.at_row(number, "shares", f"{cells['shares']!r} is not a number; write it like 120 or 12.5")
    else:
        lot["shares"] = shares
    if cells["cost_basis"]:
        basis = _parse_number(cells["cost_basis"])
        if basis is None:
            problems.at_row(number, "cost_basis", f"{cells['cost_basis']!r} is not a number; write the total dollars paid, like 18375.00")
        else:
            lot["cost_basis"] = basis
    if cells["acquired"]:
        day, fix = _parse_day(cells["acquired"])
        if day is None:
            problems.at_row(number, "acquired", f"{cells['acquired']!r} is not a date; {fix}")
        else:
            lot["acquired"] = day.isoformat()
    return lot


class _RowSecurities:
    """Securities priced by the positions file's own price and asset_class cells, for
    tickers the targets file does not list."""

    def __init__(self, targets: str):
        self.targets = targets
        self.securities: dict[str, dict] = {}
        self.rows: dict[str, int] = {}  # ticker -> data row its price came from
        self.unpriced: dict[str, list[int]] = {}  # ticker -> rows without a price
        self.lacking: dict[str, str] = {}  # ticker -> the cells its first unpriced row lacks

    def add(self, number: int, cells: dict[str, str], problems: _Problems) -> None:
        ticker = cells["ticker"]
        price_text, asset_class = cells.get("price", ""), cells.get("asset_class", "")
        if not price_text or not asset_class:
            self.unpriced.setdefault(ticker, []).append(number)
            self.lacking.setdefault(ticker, " and ".join(c for c, v in (("price", price_text), ("asset_class", asset_class)) if not v))
            return
        price = _parse_number(price_text)
        if price is None:
            problems.at_row(number, "price", f"{price_text!r} is not a number; write dollars per share, like 72.35")
            return
        first = self.securities.get(ticker)
        if first is None:
            self.securities[ticker] = {"ticker": ticker, "asset_class": asset_class, "price": price}
            self.rows[ticker] = number
            return
        if abs(first["price"] - price) > 1e-9:
            problems.at_row(number, "price", f"{price:g} but row {self.rows[ticker]} prices {ticker} at {first['price']:g}; a ticker has one price")
        if first["asset_class"] != asset_class:
            problems.at_row(number, "asset_class", f"{asset_class!r} but row {self.rows[ticker]} puts {ticker} in {first['asset_class']!r}; a ticker has one class")

    def report_unpriced(self, problems: _Problems) -> None:
        """Once per ticker that no row prices (one priced row serves all its rows)."""
        for ticker, rows in self.unpriced.items():
            if ticker in self.securities:
                continue
            gap = self.lacking[ticker]
            problems.at_row(
                rows[0], "ticker",
                f"{ticker!r} is not in {self.targets} securities and the row has no {gap}; "
                f"add it to securities there, or fill the {gap} column{'s' if ' and ' in gap else ''}",
            )
            problems.rows.update(rows)


class _Source:
    """Where each piece of the built household came from, to point problems back at it."""

    def __init__(self, account_ids: list[str], lot_rows: dict[tuple[int, int], int], listed: int, security_rows: list[int]):
        self.account_ids = account_ids
        self.lot_rows = lot_rows  # (account index, lot index) -> data row
        self.listed = listed  # securities from the targets file; those after them come from rows
        self.security_rows = security_rows  # data row of each row-priced security


def _build(targets: dict, rows: list[tuple[int, dict[str, str]]], problems: _Problems) -> tuple[dict, _Source]:
    """The household as a plain dict, ready for `parse_household`, and where each part came from."""
    listed = targets.get("securities", [])
    known = {s["ticker"] for s in listed if isinstance(s, dict) and isinstance(s.get("ticker"), str)}
    priced = _RowSecurities(problems.targets)
    accounts: dict[str, dict] = {}
    first_row: dict[str, int] = {}
    named: set[str] = set()  # every account a row names, even on rows too broken to keep
    lot_rows: dict[tuple[int, int], int] = {}
    for number, cells in rows:
        account_id, kind, ticker = cells["account"], cells["kind"].lower(), cells["ticker"]
        if not account_id:
            problems.at_row(number, "account", "empty; give the id of the account that holds the lot")
            continue
        named.add(account_id)
        if kind not in ACCOUNT_KINDS:
            what = "empty" if not kind else f"{cells['kind']!r} is not an account kind"
            problems.at_row(number, "kind", f"{what}; use one of {', '.join(ACCOUNT_KINDS)}")
            continue
        if account_id in accounts and accounts[account_id]["kind"] != kind:
            problems.at_row(
                number, "kind",
                f"{kind!r} but row {first_row[account_id]} says account {account_id!r} is {accounts[account_id]['kind']!r}; an account has one kind",
            )
            continue
        if not ticker:
            problems.at_row(number, "ticker", "empty; give the lot's ticker")
            continue
        if ticker not in known:
            priced.add(number, cells, problems)
        if account_id not in accounts:
            accounts[account_id] = {"id": account_id, "kind": kind, "holdings": []}
            first_row[account_id] = number
        holdings = accounts[account_id]["holdings"]
        lot_rows[(list(accounts).index(account_id), len(holdings))] = number
        holdings.append(_lot(number, cells, problems))
    priced.report_unpriced(problems)
    for account_id, dollars in targets.get("cash", {}).items():
        if account_id in accounts:
            accounts[account_id]["cash"] = dollars
        elif account_id not in named:
            problems.in_targets(
                "cash", f"no account {account_id!r} in {problems.positions}; accounts there are "
                f"{', '.join(sorted(named)) or 'none'} (an account needs at least one position row)",
            )
    household = {k: v for k, v in targets.items() if k != "cash"}
    household["securities"] = listed + list(priced.securities.values())
    household["accounts"] = list(accounts.values())
    return household, _Source(list(accounts), lot_rows, len(listed), list(priced.rows.values()))


_LOT_PROBLEM = re.compile(r"^accounts\[(\d+)\]\.holdings\[(\d+)\](?:\.(\w+))?: (.*)$", re.S)
_ACCOUNT_PROBLEM = re.compile(r"^accounts\[(\d+)\]\.(\w+): (.*)$", re.S)
_SECURITY_PROBLEM = re.compile(r"^securities\[(\d+)\](?:\.(\w+))?: (.*)$", re.S)
_LOT_COLUMN = {"id": "lot_id"}  # household field -> positions column, where they differ


def _point_back(problem: str, src: _Source, problems: _Problems) -> None:
    """Report a household problem ('accounts[0].holdings[3].shares: ...') at the file, row and
    column the user has to edit, unless that row is already blamed."""
    lot = _LOT_PROBLEM.match(problem)
    if lot and (row := src.lot_rows.get((int(lot[1]), int(lot[2])))) is not None:
        if row not in problems.rows:
            problems.at_row(row, _LOT_COLUMN.get(lot[3], lot[3]), lot[4])
        return
    account = _ACCOUNT_PROBLEM.match(problem)
    if account and int(account[1]) < len(src.account_ids):
        account_id, column, message = src.account_ids[int(account[1])], account[2], account[3]
        if column == "cash":
            problems.in_targets(f"cash.{account_id}", message)
        else:
            problems.in_positions(f"account {account_id!r}, {column}: {message}")
        return
    security = _SECURITY_PROBLEM.match(problem)
    if security and 0 <= int(security[1]) - src.listed < len(src.security_rows):
        problems.at_row(src.security_rows[int(security[1]) - src.listed], security[2], security[3])
        return
    # Everything else (targets, tax, securities it lists, restrictions, groups) is the targets file's.
    problems.items.append(f"{problems.targets} {problem}")


def import_positions(positions_csv: str | Path, targets_json: str | Path) -> Household:
    """A validated Household from a positions CSV and a targets JSON file.

    Raises HouseholdError listing every problem, each naming the file, the data row (1-based,
    the header not counted) and column where it has them, and the fix.
    """
    positions, targets_path = Path(positions_csv), Path(targets_json)
    problems = _Problems(positions.name, targets_path.name)
    targets = _read_targets(targets_path, problems)
    rows = _read_positions(positions, problems)
    if targets is None or rows is None:
        raise HouseholdError(problems.items)
    household, src = _build(targets, rows, problems)
    try:
        h = parse_household(household)
    except HouseholdError as err:
        for p in err.problems:
            _point_back(p, src, problems)
        raise HouseholdError(problems.items) from None
    if problems.items:
        raise HouseholdError(problems.items)
    return h


def write_household(h: Household, path: str | Path) -> None:
    """Write `h` as household JSON, atomically: readers see the old file or the new one,
    never half of either."""
    from .atomic import write_atomically

    write_atomically(path, json.dumps(h.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2) + "\n")
