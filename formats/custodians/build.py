"""Merging what the custodian readers found into one household: accounts matched across files,
lot detail replacing position rows, cash from sweep lines, kinds and prices from the targets
file; then the household check, its complaints pointed back at the file and line."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.household import Household, HouseholdError, parse_household

from ..positions import ACCOUNT_KINDS, _Problems, _read_targets
from .common import Cash, Parsed, RawLot

EXTRA_TARGETS_KEYS = ("account_kinds",)


@dataclass
class Imported:
    """The household and the import report: what each file was read as, every row skipped
    (file and line) and notes on what the files cannot say."""

    household: Household
    files: dict[str, str] = field(default_factory=dict)  # file name -> layout read
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def _kind_from_name(name: str) -> str | None:
    """The account kind a custodian's account name states plainly, else None."""
    n = name.lower()
    if "roth" in n:
        return "roth"
    if "health savings" in n or re.search(r"\bhsa\b", n):
        return "hsa"
    if re.search(r"\bira\b|401\s*\(?k|403\s*\(?b|rollover|sep\b|simple", n):
        return "traditional"
    if re.search(r"individual|joint|brokerage|\btod\b|trust|intelligent", n):
        return "taxable"
    return None


class _Account:
    def __init__(self, custodian: str, number: str, name: str):
        self.custodian, self.number, self.name = custodian, number, name
        self.positions: list[RawLot] = []
        self.lots: list[RawLot] = []
        self.cash: list[Cash] = []
        self.position_files: set[str] = set()

    @property
    def id(self) -> str:
        return f"{self.custodian}-{_digits(self.number) or re.sub(r'[^A-Za-z0-9]+', '-', self.number).strip('-')}"

    def matches(self, custodian: str, number: str) -> bool:
        """Masked numbers match by their last digits ("...321" is "XXXX-4321")."""
        if custodian != self.custodian:
            return False
        a, b = _digits(self.number), _digits(number)
        if a and b:
            return a.endswith(b) or b.endswith(a)
        return self.number == number


def _account(accounts: list[_Account], custodian: str, number: str, name: str) -> _Account:
    for a in accounts:
        if a.matches(custodian, number):
            if len(_digits(number)) > len(_digits(a.number)):
                a.number = number
            a.name = a.name or name
            return a
    accounts.append(_Account(custodian, number, name))
    return accounts[-1]


def _kind(a: _Account, kinds: dict, problems: list[str], targets_name: str) -> str | None:
    for key in (a.id, a.number, _digits(a.number)):
        if key and key in kinds:
            kind = kinds[key]
            if kind not in ACCOUNT_KINDS:
                problems.append(f"{targets_name} account_kinds.{key}: {kind!r} is not an account kind; use one of {', '.join(ACCOUNT_KINDS)}")
                return None
            return kind
    kind = _kind_from_name(a.name)
    if kind is None:
        said = f" (named {a.name!r})" if a.name else ""
        problems.append(f"{targets_name}: the kind of account {a.id}{said} is not in the file; add \"account_kinds\": {{\"{a.id}\": \"taxable\"}} (one of {', '.join(ACCOUNT_KINDS)})")
    return kind


def build(parsed: list[tuple[str, str, Parsed]], targets_path: Path, problems: list[str]) -> Imported:
    tp = _Problems("the custodian files", targets_path.name)
    targets = _read_targets(targets_path, tp, EXTRA_TARGETS_KEYS)
    problems = problems + tp.items
    report = Imported(household=None)  # type: ignore[arg-type]  # filled in below
    accounts: list[_Account] = []
    lot_files: dict[tuple[str, str], str] = {}
    for name, label, p in parsed:
        report.files[name] = label
        report.skipped += p.skipped
        report.notes += p.notes
        problems += p.problems
        for lot in p.lots:
            a = _account(accounts, lot.custodian, lot.account, lot.account_name)
            if lot.is_lot:
                first = lot_files.setdefault((a.id, lot.ticker), name)
                if first != name:
                    problems.append(f"{lot.source}: lots of {lot.ticker} in account {a.id} also come from {first}; import each lot file once")
                    continue
                a.lots.append(lot)
            else:
                a.positions.append(lot)
                a.position_files.add(name)
        for cash in p.cash:
            a = _account(accounts, cash.custodian, cash.account, cash.account_name)
            a.cash.append(cash)
            a.position_files.add(name)
    for a in accounts:
        if len(a.position_files) > 1:
            problems.append(f"account {a.id}: positions come from {' and '.join(sorted(a.position_files))}; import each positions file once")
    report.skipped.sort(key=_file_line)
    if targets is None:
        raise HouseholdError(problems)

    kinds = targets.pop("account_kinds", {}) or {}
    if not isinstance(kinds, dict):
        raise HouseholdError(problems + [f"{targets_path.name} account_kinds: must map account id to kind, e.g. {{\"schwab-4321\": \"taxable\"}}"])
    listed = {s.get("ticker") for s in targets.get("securities", []) if isinstance(s, dict)}
    cash_given = targets.pop("cash", {}) or {}
    sources: dict[tuple[int, int], str] = {}
    household_accounts: list[dict] = []
    unknown: dict[str, str] = {}
    for a in accounts:
        kind = _kind(a, kinds, problems, targets_path.name)
        with_lots = {lot.ticker for lot in a.lots}
        holdings: list[dict] = []
        for lot in a.lots + [x for x in a.positions if x.ticker not in with_lots]:
            if lot.ticker not in listed:
                unknown.setdefault(lot.ticker, lot.source)
                continue
            sources[(len(household_accounts), len(holdings))] = lot.source
            h = {"ticker": lot.ticker, "shares": lot.shares}
            if lot.lot_id:
                h["id"] = lot.lot_id
            if lot.cost_basis is not None:
                h["cost_basis"] = abs(lot.cost_basis)
            if lot.acquired is not None:
                h["acquired"] = lot.acquired.isoformat()
            holdings.append(h)
        for ticker in sorted(with_lots):
            in_lots = sum(x.shares for x in a.lots if x.ticker == ticker)
            in_positions = sum(x.shares for x in a.positions if x.ticker == ticker)
            if a.positions and abs(in_lots - in_positions) > 1e-6 and in_positions:
                report.notes.append(f"account {a.id}: {ticker} lots add up to {in_lots:g} shares, the positions file says {in_positions:g}; the lots are used")
        cash = cash_given.get(a.id, round(sum(c.dollars for c in a.cash), 2))
        household_accounts.append({"id": a.id, "kind": kind or "taxable", "holdings": holdings, "cash": cash})
    for ticker, source in unknown.items():
        problems.append(f"{source}: {ticker!r} is not in {targets_path.name} securities; add {{\"ticker\": \"{ticker}\", \"asset_class\": ..., \"price\": ...}} there")
    for account_id in cash_given:
        if account_id not in {x["id"] for x in household_accounts}:
            problems.append(f"{targets_path.name} cash: no account {account_id!r} in the files; accounts there are {', '.join(x['id'] for x in household_accounts) or 'none'}")
    if problems:
        raise HouseholdError(problems)
    try:
        report.household = parse_household({**targets, "accounts": household_accounts})
    except HouseholdError as err:
        raise HouseholdError([_point_back(p, sources, household_accounts, targets_path.name) for p in err.problems]) from None
    return report


def _file_line(entry: str) -> tuple[str, int]:
    m = re.match(r"^(.*) line (\d+)", entry)
    return (m[1], int(m[2])) if m else (entry, 0)


_LOT_PROBLEM = re.compile(r"^accounts\[(\d+)\]\.holdings\[(\d+)\](?:\.(\w+))?: (.*)$", re.S)


def _point_back(problem: str, sources: dict, accounts: list[dict], targets_name: str) -> str:
    m = _LOT_PROBLEM.match(problem)
    if m and (source := sources.get((int(m[1]), int(m[2])))):
        message = m[4]
        if m[3] == "acquired" and "needs" in message:
            ticker = accounts[int(m[1])]["holdings"][int(m[2])]["ticker"]
            message = f"the file gives {ticker} without purchase dates, and a taxable account needs them; import its lot detail file too, or give the account's kind in {targets_name} account_kinds"
        return f"{source}, {m[3] or 'lot'}: {message}"
    return f"{targets_name} {problem}" if not problem.startswith("accounts") else problem
