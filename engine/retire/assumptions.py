"""The household read as a multi-year plan's input, with the assumptions the plan adds."""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from ..household import CASH_CLASS, Household
from ..tax.year import filer_birth_years
from .model import Owner, PlanInput, TaxableGroup

TAXABLE_GROUPS = 4  # starting lots pooled by basis ratio (sold pro rata within a group)
# The assumptions the plan's input carries as the advisor gave them (same names on both sides).
PLAN_TAKES_AS_GIVEN = {"inflation", "spending", "objective", "heirs_rate", "conversions", "law_expires"}


class Assumptions(BaseModel):
    """What the plan assumes beyond the household file. Dollars of today; rates are fractions."""

    model_config = ConfigDict(extra="forbid")

    spending: float = Field(0.0, ge=0, le=10_000_000, description="after-tax spending a year, today's dollars")
    until_age: int = Field(95, ge=60, le=120, description="the plan runs until the younger owner reaches this age")
    objective: Literal["max-spending", "max-legacy"] = "max-legacy"
    claim_ss: Union[Literal["auto"], int] = Field("auto", description="'auto' (the plan chooses 62-70) or one age for every owner")
    conversions: bool = True
    heirs_rate: float = Field(0.25, ge=0, le=0.6, description="heirs' tax rate on traditional money left")
    inflation: float = Field(0.025, ge=-0.02, le=0.15)
    law_expires: Optional[int] = Field(None, ge=2026, le=2100, description="hypothesis: pre-2018 brackets from this year (not current law)")
    time_limit: float = Field(10.0, gt=0, le=3600)


def plan_input(h: Household, a: Assumptions) -> PlanInput:
    """Owners, balances by kind and the taxable lots by basis ratio; returns from the targets."""
    births = filer_birth_years(h)
    if not births:
        raise ValueError("tax.birth_years: the plan needs each owner's birth year; add tax.birth_years (e.g. [1961]) or birth_year on the accounts")
    names: list[str] = []
    for acct in h.accounts:
        if acct.owner and acct.owner not in names:
            names.append(acct.owner)
    names = (names + [f"owner {i + 1}" for i in range(len(births))])[: len(births)]
    pia = list(h.tax.social_security_pia or []) + [0.0] * 2
    price = {s.ticker: s.price for s in h.securities}
    trad = [0.0] * len(births)
    roth = [0.0] * len(births)
    lots: list[tuple[float, float]] = []
    cash = 0.0
    for acct in h.accounts:
        value = acct.cash + sum(lot.shares * price[lot.ticker] for lot in acct.holdings)
        o = names.index(acct.owner) if acct.owner in names else 0
        if acct.kind == "traditional":
            trad[o] += value
        elif acct.kind in ("roth", "hsa"):  # HSA as Roth: tax-free out for medical costs
            roth[o] += value
        else:
            cash += acct.cash
            lots += [(lot.shares * price[lot.ticker], lot.cost_basis or 0.0) for lot in acct.holdings]
    claim = None if a.claim_ss == "auto" else int(a.claim_ss)
    owners = tuple(Owner(names[i], births[i], trad[i], roth[i], pia[i], claim) for i in range(len(births)))
    start = h.as_of.year
    years = max(1, min(a.until_age - (start - b) for b in births) + 1)
    total_return = taxable_yield = qualified = 0.0
    for c, w in h.targets.items():
        members = [s for s in h.securities if s.asset_class == c] or []
        if not members:
            continue
        total_return += w * sum(s.expected_return for s in members) / len(members)
        y = sum(s.yield_ for s in members) / len(members)
        taxable_yield += w * y
        qualified += w * y * sum(s.qualified_share for s in members) / len(members) if c != CASH_CLASS else 0.0
    return PlanInput(
        start_year=start,
        years=years,
        filing_status=h.tax.filing_status,
        owners=owners,
        taxable=_groups(lots),
        cash=cash,
        total_return=total_return,
        taxable_yield=taxable_yield,
        qualified_share=qualified / taxable_yield if taxable_yield > 0 else 1.0,
        **a.model_dump(include=PLAN_TAKES_AS_GIVEN),
        state_rate=h.tax.state_rate,
    )


def _groups(lots: list[tuple[float, float]]) -> tuple[TaxableGroup, ...]:
    """Lots pooled into at most TAXABLE_GROUPS groups of neighbouring basis ratios."""
    lots = sorted((l for l in lots if l[0] > 0), key=lambda l: l[1] / l[0])
    if not lots:
        return ()
    size = -(-len(lots) // TAXABLE_GROUPS)
    return tuple(TaxableGroup(sum(v for v, _ in chunk), sum(b for _, b in chunk)) for chunk in (lots[i : i + size] for i in range(0, len(lots), size)))
