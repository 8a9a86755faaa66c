"""The household: accounts, tax lots, targets and rules, validated at the edge.

This is the only module that checks input. Everything past `load_household` trusts
the objects it receives: tickers exist, targets sum to one, taxable lots carry a basis.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

AccountKind = Literal["taxable", "traditional", "roth", "hsa"]
FilingStatus = Literal["single", "married_joint", "married_separate", "head_of_household"]
RestrictionRule = Literal["no_sell", "no_buy", "hold"]

TAX_ADVANTAGED: frozenset[str] = frozenset({"traditional", "roth", "hsa"})
CASH_CLASS = "cash"


class HouseholdError(ValueError):
    """Input that cannot be a household; each problem names the field and the fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid household:\n" + "\n".join(f"  - {p}" for p in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TaxProfile(_Strict):
    """How the household is taxed. Rates left null are derived from the brackets of the
    tax year of `as_of`; rates are fractions (0.24 = 24%)."""

    filing_status: FilingStatus = "married_joint"
    taxable_income: float = Field(0.0, ge=0, description="dollars of taxable income before this plan")
    state_rate: float = Field(0.0, ge=0, le=0.2, description="flat state rate on income and gains")
    ordinary_rate: Optional[float] = Field(None, ge=0, le=1)
    long_term_rate: Optional[float] = Field(None, ge=0, le=1)
    short_term_rate: Optional[float] = Field(None, ge=0, le=1)
    loss_carryforward: float = Field(0.0, ge=0, description="dollars of long-term capital loss carried in")
    # The year's income already realized before the plan, for the exact tax (engine/tax/federal.py).
    # `taxable_income` stays the ordinary taxable income; when `ordinary_income` is null the
    # gross ordinary income is read as taxable_income + the standard deduction of the year and ages.
    ordinary_income: Optional[float] = Field(None, ge=0, description="gross dollars of wages, pensions, interest, non-qualified dividends this year; overrides taxable_income")
    ordinary_investment_income: float = Field(0.0, ge=0, description="the part of the ordinary income that is interest and non-qualified dividends (NIIT)")
    short_term_gains: float = Field(0.0, description="dollars of net short-term gain already realized this year (loss negative)")
    long_term_gains: float = Field(0.0, description="dollars of net long-term gain already realized this year (loss negative)")
    qualified_dividends: float = Field(0.0, ge=0, description="dollars of qualified dividends this year")
    social_security_benefits: float = Field(0.0, ge=0, description="dollars of gross Social Security benefits this year")
    traditional_withdrawals_taken: float = Field(0.0, ge=0, description="dollars of traditional IRA/401(k) distributions already taken this year")
    tax_exempt_interest: float = Field(0.0, ge=0, description="dollars of tax-exempt interest this year")
    short_term_loss_carryforward: float = Field(0.0, ge=0, description="dollars of short-term capital loss carried in")
    birth_years: Optional[list[int]] = Field(None, max_length=2, description="birth years of the filers on the return; default: the owners' birth_year of the accounts")


class Security(_Strict):
    ticker: str = Field(min_length=1)
    asset_class: str = Field(min_length=1)
    price: float = Field(gt=0, description="dollars per share")
    yield_: float = Field(0.0, alias="yield", ge=0, le=1, description="annual distribution yield")
    qualified_share: float = Field(1.0, ge=0, le=1, description="share of distributions taxed as qualified")
    expected_return: float = Field(0.05, ge=-0.5, le=1, description="annual total return")


class Lot(_Strict):
    """One tax lot. In a taxable account `cost_basis` (total dollars) and `acquired` are required."""

    id: Optional[str] = None
    ticker: str = Field(min_length=1)
    shares: float = Field(gt=0)
    cost_basis: Optional[float] = Field(None, ge=0, description="total dollars paid for the lot")
    acquired: Optional[date] = None


class Account(_Strict):
    id: str = Field(min_length=1)
    kind: AccountKind
    cash: float = Field(0.0, ge=0, description="dollars of cash in the account")
    cash_reserve: float = Field(0.0, ge=0, description="dollars of cash the plan may not spend")
    whole_shares: bool = False
    owner: Optional[str] = None
    birth_year: Optional[int] = Field(None, ge=1900, le=2100)
    rmd_remaining: Optional[float] = Field(None, ge=0, description="dollars of this year's required minimum distribution not yet taken")
    holdings: list[Lot] = Field(default_factory=list)


class Restriction(_Strict):
    account: str
    ticker: Optional[str] = None
    rule: RestrictionRule


class RecentLossSale(_Strict):
    """A loss realized before `as_of`: buying it back within 30 days of `date` would wash it."""

    ticker: str
    date: date


class Household(_Strict):
    name: str = Field(min_length=1)
    as_of: date
    tax: TaxProfile = Field(default_factory=TaxProfile)
    targets: dict[str, float]
    securities: list[Security]
    accounts: list[Account] = Field(min_length=1)
    restrictions: list[Restriction] = Field(default_factory=list)
    identical: list[list[str]] = Field(default_factory=list)
    substitutes: list[list[str]] = Field(default_factory=list)
    recent_loss_sales: list[RecentLossSale] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "Household":
        problems: list[str] = []
        total = sum(self.targets.values())
        if any(w < 0 for w in self.targets.values()):
            problems.append("targets: weights must be >= 0")
        if abs(total - 1.0) > 1e-6:
            problems.append(f"targets: weights sum to {total:.6g}, they must sum to 1 (e.g. 0.6 and 0.4)")
        tickers = [s.ticker for s in self.securities]
        for t, n in Counter(tickers).items():
            if n > 1:
                problems.append(f"securities: ticker {t!r} is listed {n} times; list each once")
        known = set(tickers)
        account_ids = [a.id for a in self.accounts]
        for a_id, n in Counter(account_ids).items():
            if n > 1:
                problems.append(f"accounts: id {a_id!r} is used {n} times; give each account its own id")
        for i, acct in enumerate(self.accounts):
            lot_ids: list[str] = []
            per_ticker: Counter[str] = Counter()
            # A default id must not take an id the file gives to a later lot.
            explicit_ids = {lot.id for lot in acct.holdings if lot.id is not None}
            for j, lot in enumerate(acct.holdings):
                where = f"accounts[{i}].holdings[{j}]"
                if lot.ticker not in known:
                    problems.append(f"{where}.ticker: unknown ticker {lot.ticker!r}; add it to securities with its price and asset_class")
                if acct.kind == "taxable":
                    if lot.cost_basis is None:
                        problems.append(f"{where}.cost_basis: a lot in taxable account {acct.id!r} needs cost_basis (total dollars paid)")
                    if lot.acquired is None:
                        problems.append(f"{where}.acquired: a lot in taxable account {acct.id!r} needs its acquired date (YYYY-MM-DD)")
                if lot.acquired is not None and lot.acquired > self.as_of:
                    problems.append(f"{where}.acquired: {lot.acquired} is after as_of {self.as_of}")
                if lot.id is None:
                    per_ticker[lot.ticker] += 1
                    lot.id = f"{lot.ticker}-{per_ticker[lot.ticker]}"
                    while lot.id in lot_ids or lot.id in explicit_ids:
                        per_ticker[lot.ticker] += 1
                        lot.id = f"{lot.ticker}-{per_ticker[lot.ticker]}"
                if lot.id in lot_ids:
                    problems.append(f"{where}.id: lot id {lot.id!r} is used twice in account {acct.id!r}")
                lot_ids.append(lot.id)
            if acct.whole_shares:
                for j, lot in enumerate(acct.holdings):
                    if abs(lot.shares - round(lot.shares)) > 1e-9:
                        problems.append(f"accounts[{i}].holdings[{j}].shares: account {acct.id!r} trades whole shares but the lot holds {lot.shares}")
        for k, r in enumerate(self.restrictions):
            if r.account not in account_ids:
                problems.append(f"restrictions[{k}].account: no account {r.account!r}; accounts are {', '.join(account_ids)}")
            if r.ticker is not None and r.ticker not in known:
                problems.append(f"restrictions[{k}].ticker: unknown ticker {r.ticker!r}")
        for field in ("identical", "substitutes"):
            for k, group in enumerate(getattr(self, field)):
                for t in group:
                    if t not in known:
                        problems.append(f"{field}[{k}]: unknown ticker {t!r}; add it to securities or drop it from the group")
        for k, s in enumerate(self.recent_loss_sales):
            if s.ticker not in known:
                problems.append(f"recent_loss_sales[{k}].ticker: unknown ticker {s.ticker!r}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # Small, read-only conveniences used by the engine.
    def security(self, ticker: str) -> Security:
        return self._by_ticker()[ticker]

    def _by_ticker(self) -> dict[str, Security]:
        # Keyed by the list itself: a model_copy with new securities must not see the old index.
        cached = self.__dict__.get("_ticker_index")
        if cached is None or cached[0] is not self.securities:
            cached = (self.securities, {s.ticker: s for s in self.securities})
            self.__dict__["_ticker_index"] = cached
        return cached[1]

    def asset_classes(self) -> list[str]:
        """Target classes first, then any class held but not targeted (target 0), then cash."""
        classes = [c for c in self.targets if c != CASH_CLASS]
        for s in self.securities:
            if s.asset_class not in classes and s.asset_class != CASH_CLASS:
                classes.append(s.asset_class)
        return classes + [CASH_CLASS]

    def target(self, asset_class: str) -> float:
        return self.targets.get(asset_class, 0.0)

    def account(self, account_id: str) -> Account:
        for a in self.accounts:
            if a.id == account_id:
                return a
        raise KeyError(account_id)


def _format_validation_error(err: ValidationError) -> list[str]:
    problems: list[str] = []
    for e in err.errors():
        loc = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in e["loc"]).replace(".[", "[")
        msg = e["msg"]
        if msg.startswith("Value error, "):
            # Our own model validator already names fields; keep its lines as they are.
            problems.extend(msg[len("Value error, "):].splitlines())
            continue
        problems.append(f"{loc or 'household'}: {msg}" + (f" (got {e['input']!r})" if e["type"] not in ("missing",) and not isinstance(e.get("input"), (dict, list)) else ""))
    return problems


def parse_household(data: object) -> Household:
    """Validate a decoded JSON object; raise HouseholdError naming every bad field."""
    try:
        return Household.model_validate(data)
    except ValidationError as err:
        raise HouseholdError(_format_validation_error(err)) from None


def load_household(path: str | Path) -> Household:
    """Read and validate a household JSON file."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as err:
        raise HouseholdError([f"{p}: cannot read the file ({err.strerror}); check the path"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise HouseholdError([f"{p}: not valid JSON at line {err.lineno} column {err.colno}: {err.msg}"]) from None
    return parse_household(data)


def household_schema() -> dict:
    """The JSON Schema of the household file (what `householder schema` prints)."""
    return Household.model_json_schema(by_alias=True)
