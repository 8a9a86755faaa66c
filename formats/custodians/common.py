"""What every custodian reader shares: the cells custodians write (money, dates, placeholders),
CSV records with their line numbers, and the lots and skips a reader hands back."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

MAX_FILE_BYTES = 20_000_000  # a household's export is kilobytes; refuse to read a runaway file

# "--", "n/a" and empty cells mean "not given"; custodians write them for cash lines and funds.
_PLACEHOLDERS = {"", "--", "-", "n/a", "na", "N/A", "NA", "none"}
_US_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DAY = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")
_MONEY = re.compile(r"^[+-]?\$?[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")


class CellError(ValueError):
    """A cell that is given but is not what its column holds."""


def is_placeholder(text: str) -> bool:
    return text.strip() in _PLACEHOLDERS


def number(text: str) -> float | None:
    """Dollars or shares from a custodian cell: "$1,234.56", "+$12.30", "-$5.00", "(123.45)"
    (negative), "1,250.000", "12.5%"; None for a placeholder. CellError for anything else."""
    t = text.strip().replace("\u2212", "-")
    if t in _PLACEHOLDERS:
        return None
    negative = t.startswith("(") and t.endswith(")")
    if negative:
        t = t[1:-1].strip()
    t = t.rstrip("%").strip()
    if not _MONEY.match(t) or not any(c.isdigit() for c in t):
        raise CellError(f"{text.strip()!r} is not a number; write it like 1,234.56, $1,234.56 or (123.45)")
    sign = -1.0 if t.count("-") % 2 else 1.0
    value = float(t.replace("$", "").replace(",", "").replace("+", "").replace("-", ""))
    return -value if negative else sign * value


def day(text: str) -> date | None:
    """A date from MM/DD/YYYY (with or without an "as of ..." tail), YYYY-MM-DD, YYYYMMDD or
    IBKR's "2011-08-08;134413"; None for a placeholder. CellError otherwise."""
    t = text.strip()
    if t in _PLACEHOLDERS:
        return None
    try:
        if m := _US_DAY.match(t):
            return date(int(m[3]), int(m[1]), int(m[2]))
        if m := _ISO_DAY.match(t):
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise CellError(f"{t!r} is not a real day; check the month and day") from None
    raise CellError(f"{t!r} is not a date (MM/DD/YYYY or YYYY-MM-DD)")


@dataclass
class Record:
    """One CSV record: the line it starts on (1-based, as an editor counts) and its stripped cells."""

    line: int
    cells: list[str]

    @property
    def blank(self) -> bool:
        return not any(self.cells)

    @property
    def first(self) -> str:
        return self.cells[0] if self.cells else ""


def records(text: str) -> list[Record]:
    """Every CSV record of `text` with the line it starts on; trailing empty cells (custodians
    end rows with a comma) dropped."""
    reader = csv.reader(io.StringIO(text))
    out = []
    start = 1
    for row in reader:
        cells = [c.strip() for c in row]
        while cells and not cells[-1]:
            cells.pop()
        out.append(Record(start, cells))
        start = reader.line_num + 1
    return out


def header_index(cells: list[str]) -> dict[str, int]:
    """Column name (lower case, inner spaces collapsed) -> position."""
    return {re.sub(r"\s+", " ", c.strip().lower()): k for k, c in enumerate(cells)}


def column(index: dict[str, int], *names: str) -> int | None:
    """The position of the first of `names` (or a header starting with it) in the header."""
    for name in names:
        if name in index:
            return index[name]
    for name in names:
        for key, k in index.items():
            if key.startswith(name):
                return k
    return None


@dataclass
class RawLot:
    """One lot or position as a custodian file states it, before the household is built.

    `shares` in shares, `cost_basis` total dollars, `price` dollars per share; `acquired` None
    for a position without lot detail (summary rows)."""

    source: str  # "file line N": where an error about this lot points
    custodian: str
    account: str  # the account number (or masked number) as the file shows it
    account_name: str
    ticker: str
    shares: float
    cost_basis: float | None = None
    acquired: date | None = None
    price: float | None = None
    lot_id: str | None = None
    is_lot: bool = False  # True when the row is one tax lot, False for a whole position


@dataclass
class Cash:
    """Cash or a money-market sweep line, dollars."""

    source: str
    custodian: str
    account: str
    account_name: str
    dollars: float


@dataclass
class Parsed:
    """What one file gave: lots, cash lines, rows skipped (with why), problems that make the
    import fail, and notes for the import report."""

    custodian: str
    lots: list[RawLot] = field(default_factory=list)
    cash: list[Cash] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def cell(cells: list[str], k: int | None) -> str:
    return cells[k] if k is not None and k < len(cells) else ""


# Money-market sweep funds custodians show as positions; they are the account's cash.
MONEY_MARKET = {"SPAXX", "FDRXX", "SPRXX", "FZFXX", "FCASH", "CORE", "VMFXX", "VMMXX", "SWVXX", "SNVXX", "SNSXX"}


def is_money_market(symbol: str, description: str = "") -> bool:
    s = symbol.rstrip("*").upper()
    return symbol.endswith("**") or s in MONEY_MARKET or "money market" in description.lower()


def parse_cells(where: str, wanted: dict[str, tuple], problems: list[str]) -> dict | None:
    """Parse several cells of one row, {column: (parser, text)} -> {column: value}; every cell
    that fails becomes a problem naming its column, and the row is None when any failed."""
    values, ok = {}, True
    for name, (parse, text) in wanted.items():
        try:
            values[name] = parse(text)
        except CellError as err:
            problems.append(f"{where}, column {name}: {err}")
            ok = False
    return values if ok else None
