"""The retire plan beside Owl (owlplanner) on issue 16's case, in one run; writes a section of
bench/RESULTS.md. Owl runs in the bench-only venv .venv-owl (python3 -m venv .venv-owl &&
.venv-owl/bin/pip install owlplanner==2026.10.26); it is never a runtime dependency.

    .venv/bin/python -m bench.retire_vs_owl [--time-limit 10]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

from engine.household import load_household
from engine.retire.assumptions import Assumptions
from engine.retire.tool import retire

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "examples" / "retire_owl_case.json"
OWL = ROOT / ".venv-owl" / "bin" / "python"
SECTION = "## Retirement plan vs Owl (issue 16)"


def ours(conversions: bool, seconds: float) -> dict:
    a = Assumptions(spending=80_000, until_age=94, claim_ss=67, heirs_rate=0.30, inflation=0.025, law_expires=2032, conversions=conversions, time_limit=seconds)
    return retire(load_household(CASE), a).summary()


def owl(conversions: bool) -> dict | None:
    if not OWL.exists():
        return None
    out = subprocess.run([str(OWL), str(ROOT / "bench" / "owl_case.py"), "1" if conversions else "0"], capture_output=True, text=True, timeout=900)
    d = json.loads(out.stdout.strip().splitlines()[-1])
    m = d["metrics"]
    return {"legacy": m["final_bequest_today"], "tax": m["federal_income_tax_today"] + m["niit_today"], "medicare": m["medicare_today"], "conversions": m["roth_conversions_today"], "seconds": d["seconds"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=10.0)
    args = ap.parse_args()
    rows = []
    for conv in (False, True):
        r = ours(conv, args.time_limit)
        rows.append(f"| householder retire, {'with' if conv else 'no'} conversions | ${r['after_tax_legacy']:,.0f} | ${r['lifetime_tax']:,.0f} (tax + IRMAA) | ${r['roth_conversions']:,.0f} | {r['seconds']:.1f} s, {r['status']}, gap {100 * (r['gap'] or 0):.1f}% |")
        if not conv:
            b = r["baselines"]["conventional"]
            rows.append(f"| householder conventional order (taxable, traditional, Roth), simulated with federal_tax | ${b['after_tax_legacy']:,.0f} | ${b['lifetime_tax']:,.0f} (tax + IRMAA) | $0 | |")
        o = owl(conv)
        if o:
            rows.append(f"| Owl 2026.10.26 default (LP loop), {'with' if conv else 'no'} conversions, run here | ${o['legacy']:,.0f} | ${o['tax']:,.0f} (+ ${o['medicare']:,.0f} Medicare premiums) | ${o['conversions']:,.0f} | {o['seconds']:.2f} s |")
    text = "\n".join(
        [
            SECTION,
            "",
            "Single, 65 in 2026, $1M traditional, $500k taxable (basis $300k), $200k Roth, $80k a year, Social Security $2,800/month at 67,",
            "30 years, maximize after-tax legacy (today's dollars), heirs' rate 30%, 60/40, 7% / 4.5%, 2.5% inflation, no state tax, the",
            "2017 brackets assumed from 2032 (Owl's default yOBBBA). Measured with `python -m bench.retire_vs_owl` on the 2-core machine.",
            "",
            "| plan | after-tax legacy | lifetime tax (today's $) | Roth conversions (today's $) | time |",
            "|---|---:|---:|---:|---|",
            *rows,
            "| Owl, the issue's measurement: taxable first, no conversions / fast default / local search / branch-and-bound | $1,187,466 / $1,248,176 / $1,278,075 / $1,264,917 | | | 0.13 s / 0.13 s / 310 s / 240 s (6.6% gap) |",
            "",
            "Where the two differ (not reconciled): Owl subtracts the whole Medicare premium (Part B and D, ~$2,400 a year) and we only the",
            "IRMAA surcharge above standard; Owl taxes stock dividends at its 1.8% dividend rate and bonds in the taxable account as",
            "ordinary income, we take each security's yield from the household file (stocks 1.8% qualified, bonds 4.5% interest); our",
            "sales realize gains lot group by lot group, Owl's from an average basis. The Owl runs here do not reproduce the issue's",
            "numbers (its case file was not given); our gap is the MILP's proven gap at the time limit, far above the 0.1% asked.",
            "",
        ]
    )
    results = ROOT / "bench" / "RESULTS.md"
    old = results.read_text() if results.exists() else ""
    old = re.sub(re.escape(SECTION) + r".*?(?=\n## |\Z)", "", old, flags=re.S).rstrip()
    results.write_text((old + "\n\n" if old else "") + text)
    print(text)


if __name__ == "__main__":
    main()
