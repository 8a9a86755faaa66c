"""`retire` as a Result like every other tool's: year 1's lot-level trades in the shared fields,
the yearly plan, its baselines and the alternatives asked for in the extra (RetireExtra). What the
assistant and the chat app read; every figure is the engine's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..household import Household
from ..results import Result, RetireAlternative, RetireExtra, RetireYear, cents
from ..scenarios import Options, error_result
from ..tax.year import filer_birth_years
from .assumptions import Assumptions
from .tool import RetirePlan, retire
from .yearone import execute_year_one

Alternative = Literal["no-conversions", "claim-62", "claim-67", "claim-70"]
ALTERNATIVE_LABELS = {"no-conversions": "without Roth conversions", "claim-62": "claiming at 62", "claim-67": "claiming at 67", "claim-70": "claiming at 70"}


def until_age_for(h: Household, years: int) -> int:
    """The `until_age` that makes a plan of `years` years (the younger owner's age then)."""
    births = filer_birth_years(h)
    if not births:
        raise ValueError("tax.birth_years: the plan needs each owner's birth year; add tax.birth_years (e.g. [1961])")
    return h.as_of.year - max(births) + years - 1


def _alternative(label: str, r: RetirePlan) -> RetireAlternative:
    s = r.summary()
    return RetireAlternative(
        label=label,
        status=s["status"],
        gap=s["gap"],
        after_tax_legacy=s["after_tax_legacy"],
        lifetime_tax=s["lifetime_tax"],
        roth_conversions=s["roth_conversions"],
        spending_per_year=s["spending_per_year"],
        claim_ages=s["claim_ages"],
    )


def _variant(a: Assumptions, which: str, time_limit: float) -> Assumptions:
    if which == "no-conversions":
        return a.model_copy(update={"conversions": False, "time_limit": time_limit})
    return a.model_copy(update={"claim_ss": int(which.split("-")[1]), "time_limit": time_limit})


def retire_result(h: Household, a: Assumptions, alternatives: Sequence[str] = (), alternative_seconds: float = 4.0) -> Result:
    """The plan, year 1 executed at lot level, and each alternative solved on the same assumptions."""
    r = retire(h, a)
    if not r.rows:
        return error_result("retire", h, f"no plan: {r.outcome.message or r.outcome.status}", status="infeasible" if r.outcome.status == "infeasible" else "error", solver="highs")
    first, flows = execute_year_one(h, r, Options(time_limit=max(5.0, a.time_limit)))
    base = first if first is not None and first.status in ("optimal", "feasible") else None
    result = base or Result(tool="retire", household=h.name, as_of=h.as_of.isoformat(), status="optimal", solver="highs", solve_seconds=0.0)
    if first is not None and base is None:
        result.warnings.append(f"year 1 could not be executed at lot level: {first.message}")
    names = {i: o.name for i, o in enumerate(r.input.owners)}
    s = r.summary()
    years = [
        RetireYear(
            year=x.year,
            ages=list(x.ages),
            traditional_withdrawals=cents(sum(x.traditional_withdrawals)),
            conversions=cents(sum(x.conversions)),
            roth_withdrawals=cents(sum(x.roth_withdrawals)),
            taxable_sales=cents(x.taxable_sales),
            social_security=cents(max(0.0, x.social_security)),
            spending=cents(x.spending),
            tax=cents(x.tax),
            irmaa=cents(x.irmaa),
            traditional_balance=cents(sum(x.traditional)),
            roth_balance=cents(sum(x.roth)),
            taxable_balance=cents(x.taxable),
        )
        for x in r.rows
    ]
    baselines = {
        b.order: RetireAlternative(
            label=b.order.replace("_", " "),
            status="lasts every year" if b.lasts_through is None else f"runs out after {b.lasts_through}",
            after_tax_legacy=cents(b.legacy),
            lifetime_tax=cents(b.lifetime_tax),
            roth_conversions=0.0,
            spending_per_year=s["spending_per_year"],
            claim_ages={names[i]: age for i, age in r.claim_ages.items()},
        )
        for b in r.baselines
    }
    alts = [_alternative(ALTERNATIVE_LABELS[w], retire(h, _variant(a, w, alternative_seconds))) for w in alternatives]
    result.extra = RetireExtra(
        plan_status=r.outcome.status,
        plan_gap=s["gap"],
        plan_seconds=s["seconds"],
        objective=r.input.objective,
        after_tax_legacy=s["after_tax_legacy"],
        lifetime_tax=s["lifetime_tax"],
        roth_conversions=s["roth_conversions"],
        spending_per_year=s["spending_per_year"],
        claim_ages=s["claim_ages"],
        years=years,
        year_one_conversion=cents(sum(r.rows[0].conversions)),
        year_one_withdrawals=flows.withdrawals,
        year_one_deposits=flows.deposits,
        year_one_plan_tax=cents(r.rows[0].tax),
        year_one_notes=flows.notes,
        baselines=baselines,
        alternatives=alts,
    )
    return result
