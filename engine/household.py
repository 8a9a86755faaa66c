"""The household: accounts, tax lots, targets and rules, validated at the edge.

This is the only module that checks input. Everything past `load_household` trusts
the objects it receives: tickers exist, targets sum to one, taxable lots carry a basis.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, Optional

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from .reading import UnreadableFile, read_user_json

AccountKind = Literal["taxable", "traditional", "roth", "hsa"]
FilingStatus = Literal["single", "married_joint", "married_separate", "head_of_household"]
RestrictionRule = Literal["no_sell", "no_buy", "hold"]
SecurityKind = Literal["stock", "fund", "etf"]
SecurityRole = Literal["model", "hold", "restricted"]

TAX_ADVANTAGED: frozenset[str] = frozenset({"traditional", "roth", "hsa"})
CASH_CLASS = "cash"

# Bounds on what one household file may hold (README, "Input limits"). They keep a hostile or
# broken file from costing minutes or gigabytes; real households are far inside them.
MAX_NAME_LENGTH = 200  # household name, owner: characters
MAX_ID_LENGTH = 64  # account and lot ids, asset classes: characters
MAX_TICKER_LENGTH = 32
MAX_ACCOUNTS = 1_000
MAX_SECURITIES = 20_000
MAX_LOTS = 100_000  # in all accounts together
MAX_LIST_ITEMS = 20_000  # restrictions, identical/substitutes groups, recent loss sales

# Ids and tickers end up in order CSVs, spreadsheets and Markdown tables: a first character of
# = + - @ makes a spreadsheet formula, | shifts a table's columns, a newline breaks a row. The
# pattern is checked by pydantic-core (no Python call per lot); `_id_problem` explains a miss.
_ID_FIRST, _ID_REST = "A-Za-z0-9_", "A-Za-z0-9_ .:/#&()'-"
SAFE_ID_PATTERN = rf"^[{_ID_FIRST}](?:[{_ID_REST}]*[{_ID_REST.replace(' ', '')}])?$"
_SAFE_ID_CHARS = "letters, digits, space and _ . : / # & ( ) ' -"
# No control characters (C0, DEL, C1) and no Unicode line or paragraph separators.
PLAIN_TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"


def _id_problem(value: str) -> str:
    """Why `value` is not a safe id or ticker, and the fix."""
    if value[:1] in "=+-@":
        return f"{value[:40]!r} starts with {value[0]!r}, which spreadsheets read as a formula; start it with a letter, digit or _"
    if value.endswith(" "):
        return f"{value[:40]!r} ends with a space; remove it"
    first = re.compile(f"[{_ID_FIRST}]")
    rest = re.compile(f"[{_ID_REST}]")
    bad = value[0] if not first.fullmatch(value[:1]) else next((c for c in value if not rest.fullmatch(c)), "?")
    return f"{value[:40]!r} holds {bad!r}; use only {_SAFE_ID_CHARS}, starting with a letter, digit or _"


SafeId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=SAFE_ID_PATTERN)]
Ticker = Annotated[str, Field(min_length=1, max_length=MAX_TICKER_LENGTH, pattern=SAFE_ID_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=PLAIN_TEXT_PATTERN)]
AssetClass = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=PLAIN_TEXT_PATTERN)]


class HouseholdError(ValueError):
    """Input that cannot be a household; each problem names the field and the fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid household:\n" + "\n".join(f"  - {p}" for p in problems))


class UnreadableHousehold(HouseholdError):
    """A household file that could not be read at all (size, encoding, nesting): one line."""

    def __init__(self, problem: str):
        self.problems = [problem]
        ValueError.__init__(self, problem)


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
    social_security_pia: Optional[list[Annotated[float, Field(ge=0, le=20_000)]]] = Field(
        None, max_length=2, description="Social Security a month at full retirement age per filer, today's dollars"
    )


class Security(_Strict):
    ticker: Ticker
    asset_class: AssetClass
    price: float = Field(gt=0, description="dollars per share")
    yield_: float = Field(0.0, alias="yield", ge=0, le=1, description="annual distribution yield")
    qualified_share: float = Field(1.0, ge=0, le=1, description="share of distributions taxed as qualified")
    expected_return: float = Field(0.05, ge=-0.5, le=1, description="annual total return")
    kind: SecurityKind = Field("fund", description="stock (a single company), fund or etf")
    role: Optional[SecurityRole] = Field(
        None,
        description="model: bought and sold freely; hold: a legacy position, sold when it pays, never bought; restricted: neither bought nor sold. "
        "Default: on its class's buy list -> model; else a fund or etf of a class without a buy list, or the only security of its class -> model; else hold",
    )


class Band(_Strict):
    """A tolerance band around a class's target weight: the smaller of `absolute` (fraction of the
    household, 0.05 = 5 percentage points) and `relative` (fraction of the target weight, 0.25 =
    25%), when both are given; the 5/25 rule is {"absolute": 0.05, "relative": 0.25}."""

    absolute: Optional[float] = Field(None, ge=0, le=1)
    relative: Optional[float] = Field(None, ge=0, le=10)

    def width(self, target: float) -> float | None:
        """Fraction of the household the class may drift either way, or None when the band sets nothing."""
        sides = [w for w in (self.absolute, None if self.relative is None else self.relative * target) if w is not None]
        return min(sides) if sides else None


class Tolerance(Band):
    """The household's default band, per-class bands that override it, and what a breach
    triggers: `target` trades the class back to its target, `band-edge` only to the band's edge."""

    absolute: Optional[float] = Field(0.03, ge=0, le=1)
    classes: dict[AssetClass, Band] = Field(default_factory=dict, max_length=MAX_SECURITIES)
    to: Literal["target", "band-edge"] = "target"


# Per asset class, the securities new money goes into: a list (equal standing, no split) or
# {ticker: weight} (the class's model funds and their split; weights are normalised).
BuyList = typing.Union[list[Ticker], dict[Ticker, float]]


class Lot(_Strict):
    """One tax lot. In a taxable account `cost_basis` (total dollars) and `acquired` are required."""

    id: Optional[SafeId] = None
    ticker: Ticker
    shares: float = Field(gt=0)
    cost_basis: Optional[float] = Field(None, ge=0, description="total dollars paid for the lot")
    acquired: Optional[date] = None


class Account(_Strict):
    id: SafeId
    kind: AccountKind
    cash: float = Field(0.0, ge=0, description="dollars of cash in the account")
    cash_reserve: float = Field(0.0, ge=0, description="dollars of cash the plan may not spend")
    whole_shares: bool = False
    owner: Optional[Name] = None
    birth_year: Optional[int] = Field(None, ge=1900, le=2100)
    rmd_remaining: Optional[float] = Field(None, ge=0, description="dollars of this year's required minimum distribution not yet taken")
    holdings: list[Lot] = Field(default_factory=list, max_length=MAX_LOTS)


class Restriction(_Strict):
    account: str = Field(max_length=MAX_ID_LENGTH)
    ticker: Optional[str] = Field(None, max_length=MAX_TICKER_LENGTH)
    rule: RestrictionRule


class RecentLossSale(_Strict):
    """A loss realized before `as_of`: buying it back within 30 days of `date` would wash it."""

    ticker: str = Field(max_length=MAX_TICKER_LENGTH)
    date: date


class Household(_Strict):
    name: Name
    as_of: date
    tax: TaxProfile = Field(default_factory=TaxProfile)
    targets: dict[AssetClass, float] = Field(max_length=MAX_SECURITIES)
    securities: list[Security] = Field(max_length=MAX_SECURITIES)
    accounts: list[Account] = Field(min_length=1, max_length=MAX_ACCOUNTS)
    restrictions: list[Restriction] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    identical: list[list[Annotated[str, Field(max_length=MAX_TICKER_LENGTH)]]] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    substitutes: list[list[Annotated[str, Field(max_length=MAX_TICKER_LENGTH)]]] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    recent_loss_sales: list[RecentLossSale] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    tolerance: Tolerance = Field(default_factory=Tolerance)
    model_portfolio: Optional[dict[AssetClass, BuyList]] = Field(
        None, max_length=MAX_SECURITIES, description="per asset class, the buy list; a class left out buys its funds and etfs (or its only security)"
    )
    # What validation let through but the user should hear about (e.g. a ticker dropped from a
    # substitutes group). Not part of the file; the CLI prints them on stderr.
    _input_warnings: list[str] = PrivateAttr(default_factory=list)

    @property
    def input_warnings(self) -> list[str]:
        return list(self._input_warnings)

    @model_validator(mode="after")
    def _consistent(self) -> Household:
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
        lots = sum(len(a.holdings) for a in self.accounts)
        if lots > MAX_LOTS:
            problems.append(f"accounts: {lots:,} lots in all; a household may hold at most {MAX_LOTS:,} (split it into several households)")
        # Every check below is one pass with set lookups: a 50,000-lot file validates in well under a second.
        for i, acct in enumerate(self.accounts):
            lot_ids: set[str] = set()
            per_ticker: Counter[str] = Counter()
            taxable = acct.kind == "taxable"
            # A default id must not take an id the file gives to a later lot.
            explicit_ids = {lot.id for lot in acct.holdings if lot.id is not None}
            for j, lot in enumerate(acct.holdings):
                if lot.ticker not in known:
                    problems.append(f"accounts[{i}].holdings[{j}].ticker: unknown ticker {lot.ticker!r}; add it to securities with its price and asset_class")
                if taxable:
                    if lot.cost_basis is None:
                        problems.append(f"accounts[{i}].holdings[{j}].cost_basis: a lot in taxable account {acct.id!r} needs cost_basis (total dollars paid)")
                    if lot.acquired is None:
                        problems.append(f"accounts[{i}].holdings[{j}].acquired: a lot in taxable account {acct.id!r} needs its acquired date (YYYY-MM-DD)")
                if lot.acquired is not None and lot.acquired > self.as_of:
                    problems.append(f"accounts[{i}].holdings[{j}].acquired: {lot.acquired} is after as_of {self.as_of}")
                lot_id = lot.id
                if lot_id is None:
                    per_ticker[lot.ticker] += 1
                    lot_id = f"{lot.ticker}-{per_ticker[lot.ticker]}"
                    while lot_id in lot_ids or lot_id in explicit_ids:
                        per_ticker[lot.ticker] += 1
                        lot_id = f"{lot.ticker}-{per_ticker[lot.ticker]}"
                    lot.id = lot_id
                elif lot_id in lot_ids:
                    problems.append(f"accounts[{i}].holdings[{j}].id: lot id {lot_id!r} is used twice in account {acct.id!r}")
                lot_ids.add(lot_id)
            if acct.whole_shares:
                for j, lot in enumerate(acct.holdings):
                    if abs(lot.shares - round(lot.shares)) > 1e-9:
                        problems.append(f"accounts[{i}].holdings[{j}].shares: account {acct.id!r} trades whole shares but the lot holds {lot.shares}")
        account_set = set(account_ids)
        for k, r in enumerate(self.restrictions):
            if r.account not in account_set:
                problems.append(f"restrictions[{k}].account: no account {r.account!r}; accounts are {_listing(account_ids)}")
            if r.ticker is not None and r.ticker not in known:
                problems.append(f"restrictions[{k}].ticker: unknown ticker {r.ticker!r}")
        self._input_warnings = []
        for field in ("identical", "substitutes"):
            # Firm-wide lists name tickers this household never priced: those cannot be bought
            # without a price, so they leave the group with a warning instead of failing the file.
            kept_groups: list[list[str]] = []
            for k, group in enumerate(getattr(self, field)):
                kept = [t for t in dict.fromkeys(group) if t in known]
                dropped = [t for t in dict.fromkeys(group) if t not in known]
                if dropped:
                    self._input_warnings.append(
                        f"{field}[{k}]: ignored {', '.join(map(repr, dropped))}: not in securities (no price), so never bought"
                        + ("; the group is left with fewer than two tickers and is dropped" if len(kept) < 2 else "")
                    )
                if len(kept) >= 2:
                    kept_groups.append(kept)
            setattr(self, field, kept_groups)
        self._input_warnings += self._check_model_portfolio(known, problems)
        for k, s in enumerate(self.recent_loss_sales):
            if s.ticker not in known:
                problems.append(f"recent_loss_sales[{k}].ticker: unknown ticker {s.ticker!r}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _check_model_portfolio(self, known: set[str], problems: list[str]) -> list[str]:
        """A firm-wide model portfolio names funds a household never priced: they are left out
        with a warning (they cannot be bought without a price). A listed ticker of another class,
        or a weight below zero, is an error."""
        if self.model_portfolio is None:
            return []
        warnings: list[str] = []
        by_ticker = {s.ticker: s for s in self.securities}
        kept: dict[str, dict[str, float]] = {}
        for c, listed in self.model_portfolio.items():
            weights = dict.fromkeys(listed, 1.0) if isinstance(listed, list) else dict(listed)
            missing = [t for t in weights if t not in known]
            if missing:
                warnings.append(f"model_portfolio[{c!r}]: ignored {', '.join(map(repr, missing))}: not in securities (no price), so never bought")
            for t, w in weights.items():
                if t in known and by_ticker[t].asset_class != c:
                    problems.append(f"model_portfolio[{c!r}]: {t} is in asset class {by_ticker[t].asset_class!r}; list it under that class")
                if w < 0:
                    problems.append(f"model_portfolio[{c!r}][{t!r}]: weight {w} is below 0; give weights >= 0")
            weights = {t: w for t, w in weights.items() if t in known}
            if isinstance(listed, dict) and weights and sum(weights.values()) <= 0:
                problems.append(f"model_portfolio[{c!r}]: the weights sum to 0; give at least one a positive weight")
            kept[c] = weights
        self.model_portfolio = {c: (list(w) if isinstance(self.model_portfolio[c], list) else w) for c, w in kept.items()}
        return warnings

    # Small, read-only conveniences used by the engine.
    def buy_list(self, asset_class: str) -> list[str]:
        """The securities of the class new money may go into (role `model`), in file order."""
        return [s.ticker for s in self.securities if s.asset_class == asset_class and self.role(s.ticker) == "model"]

    def class_split(self, asset_class: str) -> dict[str, float] | None:
        """{ticker: share of the class's model holdings} when the model portfolio weights the class."""
        listed = (self.model_portfolio or {}).get(asset_class)
        if not isinstance(listed, dict):
            return None
        split = {t: w for t, w in listed.items() if self.role(t) == "model" and w > 0}
        total = sum(split.values())
        return {t: w / total for t, w in split.items()} if total > 0 else None

    def role(self, ticker: str) -> str:
        """model, hold or restricted (see Security.role for the defaults)."""
        roles = self.__dict__.get("_roles")
        if roles is None or roles[0] is not self.securities or roles[1] is not self.model_portfolio:
            roles = (self.securities, self.model_portfolio, self._default_roles())
            self.__dict__["_roles"] = roles
        return roles[2][ticker]

    def _default_roles(self) -> dict[str, str]:
        listed = {t for c, tickers in (self.model_portfolio or {}).items() for t in tickers}
        classes_listed = set(self.model_portfolio or {})
        members: dict[str, list[Security]] = {}
        for s in self.securities:
            members.setdefault(s.asset_class, []).append(s)
        out: dict[str, str] = {}
        for s in self.securities:
            if s.role is not None:
                out[s.ticker] = s.role
            elif s.asset_class in classes_listed:
                out[s.ticker] = "model" if s.ticker in listed else "hold"
            elif s.kind != "stock" or all(x.kind == "stock" for x in members[s.asset_class]):
                # A single stock is a legacy position where the class has a fund to buy instead;
                # a class of stocks alone (or of one security) buys what it has.
                out[s.ticker] = "model"
            else:
                out[s.ticker] = "hold"
        return out

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


def _listing(names: list[str], most: int = 20) -> str:
    """Names for a message, bounded: a 1,000-account household must not make a 1,000-name line."""
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class a validation error location points into (Household for the top)."""
    model: type[BaseModel] | None = Household
    for step in loc[:-1]:
        if isinstance(step, int) or model is None:
            continue
        field = model.model_fields.get(step) or next((f for f in model.model_fields.values() if f.alias == step), None)
        model = _inner_model(field.annotation) if field is not None else None
    return model


def _inner_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _unknown_field(loc: tuple, where: str) -> str:
    key = str(loc[-1])
    model = _model_at(loc)
    names = [f.alias or n for n, f in model.model_fields.items()] if model is not None else []
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    if close:
        return f"{where}: unknown field {_clip(repr(key))}; did you mean `{close[0]}`?"
    return f"{where}: unknown field {_clip(repr(key))}; the fields here are {', '.join(names)}" if names else f"{where}: unknown field {_clip(repr(key))}"


def _format_validation_error(err: ValidationError) -> list[str]:
    problems: list[str] = []
    for e in err.errors():
        loc = _where(tuple(e["loc"]))
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            problems.append(_unknown_field(tuple(e["loc"]), loc))
            continue
        if msg.startswith("Value error, "):
            if not e["loc"]:
                # Our own model validator already names fields; keep its lines as they are.
                problems.extend(msg[len("Value error, ") :].splitlines())
            else:
                problems.append(f"{loc}: {msg[len('Value error, ') :]}")
            continue
        if e["type"] == "string_pattern_mismatch":
            pattern = (e.get("ctx") or {}).get("pattern")
            if pattern == SAFE_ID_PATTERN:
                problems.append(f"{loc}: {_id_problem(str(e['input']))}")
            else:
                problems.append(f"{loc}: holds a newline or control character; write it on one line of plain text")
            continue
        if e["type"] in ("string_too_long", "too_long"):
            problems.append(f"{loc}: {msg}; shorten it")
            continue
        shown = "" if e["type"] == "missing" or isinstance(e.get("input"), (dict, list)) else f" (got {_clip(repr(e['input']))})"
        problems.append(f"{loc or 'household'}: {msg}{shown}")
    return problems


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _where(loc: tuple) -> str:
    """A validation location as the file's path: accounts[0].holdings[2].id. A key from the
    file that is not a plain name (a target class with a newline, say) is quoted and clipped,
    so the message stays one line."""
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif p == "[key]":
            parts.append(" (the key)")
        elif _PLAIN_KEY.fullmatch(str(p)):
            parts.append(f".{p}" if parts else str(p))
        else:
            parts.append(f"[{_clip(repr(str(p)), 40)}]")
    return "".join(parts)


def _clip(text: str, most: int = 80) -> str:
    """A user's value in a message, cut short: a 19 MB name must not become a 19 MB message."""
    return text if len(text) <= most else text[: most - 1] + "…"


def parse_household(data: object) -> Household:
    """Validate a decoded JSON object; raise HouseholdError naming every bad field."""
    try:
        return Household.model_validate(data)
    except ValidationError as err:
        raise HouseholdError(_format_validation_error(err)) from None


def with_model_portfolio(h: Household, portfolio: object) -> Household:
    """The household with a firm-wide model portfolio (a decoded JSON object {class: buy list})
    where its own file gives none; validated like a household's own."""
    if h.model_portfolio is not None:
        return h
    data = h.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["model_portfolio"] = portfolio
    try:
        out = parse_household(data)
    except HouseholdError as err:
        raise HouseholdError([p.replace("model_portfolio", "--model-portfolio", 1) for p in err.problems]) from None
    out._input_warnings = h.input_warnings + [w for w in out.input_warnings if w.startswith("model_portfolio")]
    return out


def load_household(path: str | Path) -> Household:
    """Read (bounded: engine.reading's limits) and validate a household JSON file."""
    try:
        data = read_user_json(path, what="household file")
    except UnreadableFile as err:
        raise UnreadableHousehold(str(err)) from None
    return parse_household(data)


def household_schema() -> dict:
    """The JSON Schema of the household file (what `householder schema` prints)."""
    return Household.model_json_schema(by_alias=True)
