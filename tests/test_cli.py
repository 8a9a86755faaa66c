"""The CLI front door, run as a real subprocess: outputs, exit codes, messages, files."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RIVERA = ROOT / "examples" / "rivera.json"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_rebalance_json_has_the_shared_fields_and_the_disclaimer():
    p = run("rebalance", str(RIVERA), "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    for field in ("status", "solver", "trades", "before", "after", "taxes", "costs", "baseline", "savings", "warnings", "do_not_buy"):
        assert field in r
    assert r["status"] == "optimal"
    assert r["after"]["drift"] < r["before"]["drift"]
    assert r["disclaimer"] == "For educational purposes only. Not investment, tax or legal advice."
    assert all(t["action"] in ("buy", "sell") for t in r["trades"])


def test_text_report_carries_the_disclaimer():
    p = run("rebalance", str(RIVERA))
    assert p.returncode == 0, p.stderr
    assert "For educational purposes only. Not investment, tax or legal advice." in p.stdout
    assert "Trades" in p.stdout


def test_trades_csv_matches_the_json_trades(tmp_path):
    out = tmp_path / "orders.csv"
    p = run("rebalance", str(RIVERA), "--json", "--trades-csv", str(out))
    assert p.returncode == 0, p.stderr
    trades = json.loads(p.stdout)["trades"]
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(trades) > 0
    for row, t in zip(rows, trades):
        assert (row["account"], row["ticker"], row["action"]) == (t["account"], t["ticker"], t["action"])
        assert float(row["amount"]) == pytest.approx(t["amount"])
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda h: h["targets"].update(bonds=0.5), "targets"),
        (lambda h: h["accounts"][0]["holdings"][0].update(shares=-5), "accounts[0].holdings[0].shares"),
        (lambda h: h["accounts"][0]["holdings"][0].update(ticker="ZZZZ"), "ZZZZ"),
        (lambda h: h["accounts"][0]["holdings"][0].pop("cost_basis"), "cost_basis"),
        (lambda h: h["restrictions"].append({"account": "nobody", "rule": "no_sell"}), "restrictions[1].account"),
    ],
)
def test_bad_household_exits_2_naming_the_field_and_writes_nothing(tmp_path, mutate, field):
    h = json.loads(RIVERA.read_text())
    mutate(h)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(h))
    out = tmp_path / "orders.csv"
    p = run("rebalance", str(bad), "--trades-csv", str(out))
    assert p.returncode == 2
    assert field in p.stderr
    assert "Traceback" not in p.stderr
    assert not out.exists()


def test_bad_flags_are_explained():
    p = run("rebalance", str(RIVERA), "--gain-budget", "lots")
    assert p.returncode == 2 and "--gain-budget" in p.stderr and "Traceback" not in p.stderr
    p = run("rebalance", str(RIVERA), "--tolerance", "2")
    assert p.returncode == 2 and "--tolerance" in p.stderr
    p = run("rebalance", str(ROOT / "no-such-file.json"))
    assert p.returncode == 2 and "no-such-file.json" in p.stderr


@pytest.mark.parametrize("tool, flags", [
    ("rebalance", ["--exclude", "bobs-ira"]),
    ("withdraw", ["--amount", "5000", "--exclude", "bobs-ira"]),
    ("harvest", ["--exclude", "alex-ira", "bobs-ira"]),
    ("locate", ["--exclude", "bobs-ira"]),
    ("contribute", ["--amount", "5000", "--account", "bobs-ira"]),
])
def test_unknown_account_in_any_flag_is_bad_input_with_the_valid_names(tool, flags):
    p = run(tool, str(RIVERA), *flags, "--json")
    assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr
    assert "'bobs-ira'" in p.stderr and "alex-ira" in p.stderr and "sam-roth" in p.stderr
    assert ("--account" if tool == "contribute" else "--exclude") in p.stderr


def test_excluded_account_is_untouched():
    p = run("rebalance", str(RIVERA), "--exclude", "sam-roth", "--json")
    r = json.loads(p.stdout)
    assert r["status"] == "optimal"
    assert not [t for t in r["trades"] if t["account"] == "sam-roth"]


def test_gain_budget_bracket_and_zero(tmp_path):
    for budget in ("0", "bracket"):
        p = run("rebalance", str(RIVERA), "--gain-budget", budget, "--json")
        assert p.returncode == 0, p.stderr
        r = json.loads(p.stdout)
        net = r["taxes"]["short_term_gain"] + r["taxes"]["long_term_gain"]
        if budget == "0":
            assert net <= 0.01


def test_schema_is_the_household_json_schema():
    p = run("schema")
    assert p.returncode == 0
    schema = json.loads(p.stdout)
    assert "accounts" in schema["properties"] and "targets" in schema["required"]


def test_typo_field_and_formula_id_are_bad_input_with_the_fix(tmp_path):
    h = json.loads(RIVERA.read_text())
    h["accounts"][1]["birthyear"] = 1968
    h["accounts"][0]["id"] = '=HYPERLINK("http://evil.example")'
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(h))
    p = run("rebalance", str(bad))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "accounts[1].birthyear: unknown field 'birthyear'; did you mean `birth_year`?" in p.stderr
    assert "accounts[0].id:" in p.stderr and "formula" in p.stderr


def test_unpriced_ticker_in_a_firm_wide_substitutes_list_is_a_warning_not_an_error(tmp_path):
    h = json.loads(RIVERA.read_text())
    h["substitutes"] = h.get("substitutes", []) + [["BND", "AGG", "SCHZ"], ["FXNAX", "SCHZ"]]
    f = tmp_path / "firm.json"
    f.write_text(json.dumps(h))
    p = run("locate", str(f), "--json")
    assert p.returncode == 0, p.stderr
    warnings = [line for line in p.stderr.splitlines() if line.startswith("householder: warning:")]
    assert len(warnings) == 2
    assert "'SCHZ'" in warnings[0] and "not in securities" in warnings[0]
    assert "'FXNAX', 'SCHZ'" in warnings[1] and "dropped" in warnings[1]
    json.loads(p.stdout)  # the plan is still printed, as JSON on stdout
