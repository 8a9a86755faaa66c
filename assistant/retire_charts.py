"""Charts of a `retire` result for the chat app: balances by account kind over the years, tax by
year, and the claiming-age comparison when the plan was re-solved at fixed ages. Every value is a
field of the result (RetireExtra); nothing is computed here but the plotting."""

from __future__ import annotations

import plotly.graph_objects as go

from engine import Result


def retire_charts(r: Result) -> list[tuple[str, go.Figure]]:
    e = r.extra
    years = getattr(e, "years", None)
    if not years:
        return []
    x = [y.year for y in years]
    balances = go.Figure()
    for name, field in (("Traditional", "traditional_balance"), ("Roth", "roth_balance"), ("Taxable", "taxable_balance")):
        balances.add_scatter(x=x, y=[getattr(y, field) for y in years], name=name, mode="lines", stackgroup="balances")
    balances.update_layout(title="Balances by account at the start of each year (nominal $)", height=360, yaxis_tickprefix="$",
                           margin=dict(l=50, r=20, t=50, b=40), legend=dict(orientation="h", y=-0.15))
    tax = go.Figure()
    tax.add_bar(x=x, y=[y.tax for y in years], name="Tax")
    tax.add_bar(x=x, y=[y.irmaa for y in years], name="IRMAA")
    tax.add_bar(x=x, y=[y.conversions for y in years], name="Roth conversion", visible="legendonly")
    tax.update_layout(title="Tax and IRMAA by year (nominal $)", barmode="stack", height=340, yaxis_tickprefix="$",
                      margin=dict(l=50, r=20, t=50, b=40), legend=dict(orientation="h", y=-0.15))
    out = [("balances", balances), ("tax by year", tax)]
    claims = [a for a in e.alternatives if a.label.startswith("claiming at")]
    if claims:
        labels = ["plan: " + ", ".join(f"{n} {a}" for n, a in e.claim_ages.items())] + [a.label for a in claims]
        legacy = [e.after_tax_legacy] + [a.after_tax_legacy for a in claims]
        fig = go.Figure()
        fig.add_bar(x=labels, y=legacy, text=[f"${v:,.0f}" for v in legacy], textposition="auto")
        fig.update_layout(title="After-tax legacy by claiming age (today's $)", height=340, yaxis_tickprefix="$", margin=dict(l=50, r=20, t=50, b=40))
        out.append(("claiming age", fig))
    return out
