"""`retire`: the yearly plan for a household, as a result the CLI and the assistant print."""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from ..household import Household
from ..solve import SolveOutcome
from .assumptions import Assumptions, plan_input
from .baselines import Baseline, simulate
from .model import PlanInput, build
from .read import YearRow, claim_ages, year_rows
from .solve import solve_plan

DISCLAIMER = "For educational purposes only. Not investment, tax or legal advice."


@dataclass(frozen=True)
class RetirePlan:
    input: PlanInput
    outcome: SolveOutcome
    rows: list[YearRow]
    claim_ages: dict[int, int]
    legacy: float  # after-tax, today's dollars
    lifetime_tax: float  # today's dollars, federal + state + IRMAA
    conversions: float  # today's dollars
    spending: float  # today's dollars a year
    baselines: tuple[Baseline, ...] = ()

    def summary(self) -> dict:
        o = self.outcome
        return {
            "status": o.status,
            "gap": None if o.gap is None else round(o.gap, 6),
            "seconds": round(o.seconds, 2),
            "after_tax_legacy": round(self.legacy, 2),
            "lifetime_tax": round(self.lifetime_tax, 2),
            "roth_conversions": round(self.conversions, 2),
            "spending_per_year": round(self.spending, 2),
            "claim_ages": {self.input.owners[i].name: a for i, a in self.claim_ages.items()},
            "baselines": {b.order: {"after_tax_legacy": round(b.legacy, 2), "lifetime_tax": round(b.lifetime_tax, 2), "lasts_through": b.lasts_through} for b in self.baselines},
            "note": DISCLAIMER,
        }


def plan(p: PlanInput, time_limit: float = 10.0) -> RetirePlan:
    pm = build(p)
    out = solve_plan(pm, time_limit)
    if not out.has_plan:
        return RetirePlan(p, out, [], {}, 0.0, 0.0, 0.0, 0.0)
    rows = year_rows(pm)
    today = [p.index(t) for t in range(p.years)]
    claims = claim_ages(pm)
    baselines = tuple(simulate(p, order, claims) for order in ("conventional", "pro_rata")) if p.objective == "max-legacy" else ()
    return RetirePlan(
        input=p,
        outcome=out,
        rows=rows,
        claim_ages=claims,
        legacy=float(pyo.value(pm.legacy)),
        lifetime_tax=sum((r.tax + r.irmaa) / today[t] for t, r in enumerate(rows)),
        conversions=sum(sum(r.conversions) / today[t] for t, r in enumerate(rows)),
        spending=rows[0].spending if rows else 0.0,
        baselines=baselines,
    )


def retire(h: Household, a: Assumptions | None = None) -> RetirePlan:
    a = a or Assumptions()
    return plan(plan_input(h, a), a.time_limit)


def table(r: RetirePlan) -> str:
    """The advisor's table by year (nominal dollars), then the summary."""
    if not r.rows:
        return f"retire: no plan ({r.outcome.status}): {r.outcome.message}\n{DISCLAIMER}"
    head = "year  ages     trad out  convert   roth out  taxable    soc sec     tax      irmaa    trad bal   roth bal  taxable bal"
    lines = [head]
    for x in r.rows:
        lines.append(
            f"{x.year}  {'/'.join(map(str, x.ages)):7} {sum(x.traditional_withdrawals):9,.0f} {sum(x.conversions):9,.0f} {sum(x.roth_withdrawals):9,.0f} "
            f"{x.taxable_sales:9,.0f} {x.social_security:9,.0f} {x.tax:9,.0f} {x.irmaa:8,.0f} {sum(x.traditional):11,.0f} {sum(x.roth):10,.0f} {x.taxable:11,.0f}"
        )
    s = r.summary()
    gap = "proven optimal" if s["status"] == "optimal" else f"gap {100 * (s['gap'] or 0):.2f}% at the time limit"
    lines += [
        "",
        f"After-tax legacy (today's dollars): ${s['after_tax_legacy']:,.2f}   Lifetime tax + IRMAA (today's): ${s['lifetime_tax']:,.2f}",
        f"Roth conversions (today's): ${s['roth_conversions']:,.2f}   Social Security claimed at: {s['claim_ages'] or 'none'}   Solve: {s['seconds']} s, {gap}",
    ]
    for b in r.baselines:
        lasts = "money lasts every year" if b.lasts_through is None else f"money runs out after {b.lasts_through}"
        lines.append(
            f"Against {b.order.replace('_', ' ')} (same assumptions, same claiming ages): legacy {s['after_tax_legacy'] - b.legacy:+,.2f}, "
            f"lifetime tax {s['lifetime_tax'] - b.lifetime_tax:+,.2f} (today's dollars; {lasts} there)"
        )
    lines.append(DISCLAIMER)
    return "\n".join(lines)
