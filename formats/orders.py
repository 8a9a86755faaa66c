"""The order file: one CSV row per trade, the columns a trading desk loads."""
from __future__ import annotations

import csv
import io

from engine.results import Result

ORDER_COLUMNS = ["account", "ticker", "action", "shares", "price", "amount", "lot_id", "acquired", "realized_gain", "term"]


def orders_csv(r: Result) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=ORDER_COLUMNS, lineterminator="\n")
    w.writeheader()
    for t in r.trades:
        row = t.model_dump()
        w.writerow({k: ("" if row.get(k) is None else row[k]) for k in ORDER_COLUMNS})
    return buf.getvalue()
