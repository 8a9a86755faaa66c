"""Explanations of a `retire` result for the three audiences. Every figure is a field of the result
(RetireExtra and the year-1 Result), formatted, never computed here: comparisons are shown side by
side, each plan's own numbers, and no difference is taken."""

from __future__ import annotations

from engine import DISCLAIMER, Result

from .explain import money


def _gap(e) -> str:
    if e.plan_status == "optimal":
        return "proven optimal"
    return f"best plan found in {e.plan_seconds:g} s, within {100 * (e.plan_gap or 0):.2f}% of the best possible"


def _claims(claims: dict[str, int]) -> str:
    return ", ".join(f"{n} at {a}" for n, a in claims.items()) or "no Social Security benefit in the household file"


def _lead(e, arguments: dict) -> str:
    first = e.years[0]
    focus = arguments.get("focus", "plan")
    if focus == "conversion":
        if e.year_one_conversion > 0:
            return f"Convert {money(e.year_one_conversion)} to Roth in {first.year}."
        return f"No Roth conversion in {first.year}: the plan converts {money(e.roth_conversions)} over all years (today's dollars)."
    if focus == "claiming":
        return f"Claim Social Security: {_claims(e.claim_ages)}."
    if e.objective == "max-spending":
        return f"The most {arguments.get('household')} can spend every year: {money(e.spending_per_year)} after tax (today's dollars), through {e.years[-1].year}."
    return f"{money(e.spending_per_year)} a year after tax (today's dollars) is met every year through {e.years[-1].year}."


def _summary(e) -> list[str]:
    return [
        f"Spending {money(e.spending_per_year)} a year after tax; after-tax legacy {money(e.after_tax_legacy)}; "
        f"lifetime tax and IRMAA {money(e.lifetime_tax)}; Roth conversions {money(e.roth_conversions)} (all today's dollars).",
        f"Social Security: {_claims(e.claim_ages)}. Solve: {_gap(e)}.",
    ]


def _comparisons(e) -> list[str]:
    out = []
    for b in e.baselines.values():
        out.append(f"- {b.label} order (no conversions, same claiming ages): legacy {money(b.after_tax_legacy)}, lifetime tax {money(b.lifetime_tax)}; money {b.status}")
    for a in e.alternatives:
        out.append(
            f"- {a.label}: legacy {money(a.after_tax_legacy)}, lifetime tax {money(a.lifetime_tax)}, conversions {money(a.roth_conversions)}, "
            f"spending {money(a.spending_per_year)} a year; claiming {_claims(a.claim_ages)} ({a.status}" + (f", gap {100 * a.gap:.2f}%" if a.gap else "") + ")"
        )
    return out


def _table(e) -> list[str]:
    head = "| year | ages | trad out | convert | Roth out | taxable sold | Social Security | tax | IRMAA | trad bal | Roth bal | taxable bal |"
    rows = [head, "|" + "---|" * 12]
    for y in e.years:
        rows.append(
            f"| {y.year} | {'/'.join(map(str, y.ages))} | {money(y.traditional_withdrawals)} | {money(y.conversions)} | {money(y.roth_withdrawals)} | {money(y.taxable_sales)} "
            f"| {money(y.social_security)} | {money(y.tax)} | {money(y.irmaa)} | {money(y.traditional_balance)} | {money(y.roth_balance)} | {money(y.taxable_balance)} |"
        )
    return rows


def _year_one(r: Result) -> list[str]:
    e = r.extra
    out = ["Year 1 at lot level: out of " + (", ".join(f"{a} {money(d)}" for a, d in e.year_one_withdrawals.items()) or "no account")]
    if e.year_one_deposits:
        out.append("into " + ", ".join(f"{a} {money(d)}" for a, d in e.year_one_deposits.items()))
    for t in r.trades:
        out.append(f"- {t.action} {t.shares:,.4f} {t.ticker} in {t.account} ({money(t.amount)})")
    if r.taxes is not None:
        out.append(f"Tax of year 1 on these lots: {money(r.taxes.estimated_tax)} (the plan priced {money(e.year_one_plan_tax)}).")
    out += [f"Note: {n}" for n in r.warnings]
    return out


def explain_retire(r: Result, arguments: dict, audience: str) -> str:
    e = r.extra
    if not hasattr(e, "years") or not e.years:
        return f"No retirement plan: {r.message}\n\n{DISCLAIMER}\n"
    lead = _lead(e, arguments)
    if audience == "client":
        first = e.years[0]
        lines = [f"Dear {arguments.get('household')},", ""]
        if e.year_one_conversion > 0:
            without = next((a for a in e.alternatives if a.label == "without Roth conversions"), None)
            why = (
                f"because it pays {money(first.tax)} of tax in {first.year} and leaves more for your heirs after tax: "
                f"{money(e.after_tax_legacy)} with the plan's conversions"
                + (f", against {money(without.after_tax_legacy)} without them" if without else "")
                + " (today's dollars)."
            )
            lines.append(f"We suggest converting {money(e.year_one_conversion)} from your traditional IRA to your Roth this year, {why}")
        else:
            lines.append(f"We do not suggest a Roth conversion this year. {lead}")
        if arguments.get("focus") == "claiming" or e.claim_ages:
            lines.append(f"For Social Security, the plan claims {_claims(e.claim_ages)}.")
        lines.append(f"Your spending of {money(e.spending_per_year)} a year (today's dollars) is covered every year through {e.years[-1].year}.")
        lines += ["", DISCLAIMER]
        return "\n".join(lines) + "\n"
    if audience == "support":
        lines = [
            lead,
            "",
            "What decided it: the plan maximizes " + ("after-tax legacy" if e.objective == "max-legacy" else "yearly spending") + " over all years, each year taxed exactly.",
        ]
        lines += _summary(e) + ["", "What changes:"]
        lines += _comparisons(e) or ['- no alternative was solved; ask e.g. "what if they don\'t convert, or claim at 67?"']
        lines += ["", DISCLAIMER]
        return "\n".join(lines) + "\n"
    lines = [lead, ""] + _summary(e) + [""] + _table(e) + [""]
    comp = _comparisons(e)
    if comp:
        lines += ["Compared on the same assumptions:"] + comp + [""]
    lines += _year_one(r) + ["", DISCLAIMER]
    return "\n".join(lines) + "\n"
