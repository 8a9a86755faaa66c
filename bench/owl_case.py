"""Run inside the bench-only Owl venv (.venv-owl): the Owl comparison case, one JSON line out.

The case of issue 16: single, 65 in 2026, $1M traditional, $500k taxable (basis $300k), $200k
Roth, $80k a year, Social Security $2,800 a month at 67, 30 years (life expectancy 94), maximize
bequest, heirs' rate 30%, 60/40, returns 7% / 4.5% / 3.5%, 2.5% inflation, no state tax, Owl's
defaults otherwise (dividend rate 1.8%, OBBBA expiring in 2032)."""

import json
import sys
import time

import owlplanner as owl

conversions = sys.argv[1] == "1"
p = owl.Plan(["Alex"], ["1961-01-15"], [94], "owl-case", verbose=False)
p.setAccountBalances(taxable=[500], taxDeferred=[1000], taxFree=[200], units="k")
p.setAllocationRatios("individual", generic=[[[60, 40, 0, 0], [60, 40, 0, 0]]])
p.setRates("user", values=[7.0, 4.5, 3.5, 2.5])
p.setSocialSecurity([2800], [67])
p.setHeirsTaxRate(30)
p.setCostBasis([300], units="k")
p.setSpendingProfile("flat")
options = {"netSpending": 80, "units": "k"}
if not conversions:
    options["noRothConversions"] = "Alex"
t0 = time.perf_counter()
p.solve("maxBequest", options=options)
seconds = time.perf_counter() - t0
m = p.metricsDict()
print(json.dumps({"status": p.caseStatus, "seconds": seconds, "metrics": {k: float(v) for k, v in m.items() if isinstance(v, (int, float))}}))
