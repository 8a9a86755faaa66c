"""Custodian exports in: detect each file's layout, read its lots and cash, merge the files into
one household with the targets file, and report every row skipped with its line number.

Readers (one module per custodian) turn a file into `RawLot`s and `Cash` lines; `build` merges
them. Public: `detect`, `import_files`, `Imported`, `FORMATS`.
"""
from __future__ import annotations

import csv
from pathlib import Path

from engine.household import HouseholdError
from engine.reading import UnreadableFile, decode_user_bytes, read_user_bytes

from . import fidelity, ibkr, schwab, vanguard
from .build import Imported, build
from .common import MAX_FILE_BYTES, Parsed, records

# format key -> (what the import report calls it, reader(text, file name) -> Parsed)
FORMATS = {
    "schwab-positions": ("Schwab positions", schwab.read_positions),
    "schwab-lots": ("Schwab lot details", schwab.read_lot_details),
    "fidelity-positions": ("Fidelity Portfolio_Positions", fidelity.read_positions),
    "fidelity-lots": ("Fidelity lot cost basis", fidelity.read_lots),
    "vanguard-holdings": ("Vanguard OfxDownload holdings", vanguard.read_holdings),
    "ibkr-flex": ("Interactive Brokers Flex query", ibkr.read_flex),
    "ibkr-activity": ("Interactive Brokers activity statement", ibkr.read_activity),
}
GENERIC = "generic"  # today's account,kind,ticker,shares,cost_basis,acquired CSV
_GENERIC_COLUMNS = {"account", "kind", "ticker", "shares", "cost_basis", "acquired"}


def detect(text: str) -> str | None:
    """The format key of a file's text (GENERIC for Householder's own positions CSV), or None."""
    if ibkr.is_flex(text):
        return "ibkr-flex"
    try:
        head = records(text[:20000])[:40]
    except csv.Error:  # a binary or broken file: not any layout we read
        return None
    head = [r for r in head if not r.blank] or head
    first = next((r for r in head if not r.blank), None)
    if first is not None and _GENERIC_COLUMNS <= {c.strip().lower().replace(" ", "_") for c in first.cells}:
        return GENERIC
    for key, test in (("schwab-positions", schwab.is_positions), ("schwab-lots", schwab.is_lot_details),
                      ("fidelity-lots", fidelity.is_lots), ("fidelity-positions", fidelity.is_positions),
                      ("vanguard-holdings", vanguard.is_holdings), ("ibkr-activity", ibkr.is_activity)):
        if test(head):
            return key
    return None


def read_text(path: Path) -> str:
    """The file's text, read through the bounded reader every door uses; HouseholdError naming
    the file when it cannot be read. Older Windows exports are cp1252, not UTF-8."""
    try:
        data = read_user_bytes(path, what="custodian export", limit=MAX_FILE_BYTES)
        try:
            return decode_user_bytes(data, path.name, "custodian export")
        except UnreadableFile:
            if b"\x00" in data[:4096]:
                raise
            return data.decode("cp1252")
    except UnreadableFile as err:
        raise HouseholdError([str(err)]) from None
    except UnicodeDecodeError:
        raise HouseholdError([f"{path.name}: not text; export it again as CSV"]) from None


_KNOWN = ("Schwab positions or lot details, Fidelity Portfolio_Positions or lot cost basis, "
          "Vanguard OfxDownload, IBKR Flex query XML or activity statement CSV, or Householder's own "
          "account,kind,ticker,shares,cost_basis,acquired CSV")


def import_files(paths: list[str | Path], targets: str | Path) -> Imported:
    """One validated household from custodian files and a targets JSON file.

    Raises HouseholdError listing every problem (file, line, field, fix) at once."""
    parsed: list[tuple[str, str, Parsed]] = []
    problems: list[str] = []
    for p in map(Path, paths):
        try:
            text = read_text(p)
        except HouseholdError as err:
            problems += err.problems
            continue
        key = detect(text)
        if key is None:
            problems.append(f"{p.name}: not a layout Householder reads; expected {_KNOWN}")
            continue
        if key == GENERIC:
            problems.append(f"{p.name}: Householder's own positions CSV cannot be merged with custodian files; import it alone")
            continue
        label, reader = FORMATS[key]
        parsed.append((p.name, label, reader(text, p.name)))
    return build(parsed, Path(targets), problems)


def is_generic_positions(path: Path) -> bool:
    """True when `path` reads as Householder's own positions CSV (or cannot be read at all, so
    that importer's messages apply)."""
    try:
        text = read_text(path)
    except HouseholdError:
        return True
    return detect(text) in (GENERIC, None) and not text.lstrip().startswith("<")
