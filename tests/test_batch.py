"""`householder batch` on a real local Dask cluster of two workers: a book of 20 generated
households, one of them invalid. Every output is checked, then the re-run skips what is done
(and retries what failed), and --force redoes everything."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench/ is not an installed package

from bench.generate import write_book  # noqa: E402
from engine import Result  # noqa: E402
from batch import run_batch  # noqa: E402

BAD = "household-007.json"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("book")
    write_book(folder, 20, "S")
    bad = json.loads((folder / BAD).read_text())
    bad["targets"]["bonds"] += 0.5  # targets no longer sum to 1
    (folder / BAD).write_text(json.dumps(bad))
    return folder


def results(out: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted((out / "households").glob("*.json"))}


def test_batch_solves_the_book_isolates_the_bad_file_then_skips_retries_and_forces(book, tmp_path):
    out = tmp_path / "results"
    p = cli("batch", str(book), "--tool", "rebalance", "--out", str(out), "--workers", "2", "--solver", "highs")
    assert p.returncode == 0, p.stderr
    assert "19 solved, 0 already done, 1 failed" in p.stdout
    assert f"failed {BAD} (bad_input)" in p.stdout and "targets" in p.stdout
    assert "19/20 households" in p.stderr or "20/20 households" in p.stderr  # the progress bar

    # One Result per good household, as `rebalance --json` prints it.
    done = results(out)
    assert sorted(done) == sorted(f"household-{i:03d}.json" for i in range(20) if f"household-{i:03d}.json" != BAD)
    for name, r in done.items():
        parsed = Result.model_validate(r)
        assert parsed.status in ("optimal", "feasible"), (name, parsed.message)
        assert parsed.tool == "rebalance"
        # A household inside its bands trades nothing and has nothing to compare; any other is compared.
        within = parsed.message == "within tolerance: no trades needed"
        assert (parsed.trades == [] and parsed.baseline is None) if within else (parsed.baseline is not None and parsed.savings is not None), name
        assert parsed.disclaimer.startswith("For educational purposes only")

    # The bad household is reported with its error; nothing half-written is left behind.
    errors = json.loads((out / "errors.json").read_text())
    assert errors == [{"file": BAD, "kind": "bad_input", "error": errors[0]["error"]}]
    assert "targets" in errors[0]["error"] and "sum" in errors[0]["error"]
    assert not list(out.rglob("*.tmp"))

    # The combined order file holds every household's trades, in its own rows.
    rows = list(csv.DictReader((out / "orders.csv").open()))
    assert len(rows) == sum(len(r["trades"]) for r in done.values()) > 0
    by_file: dict[str, list] = {}
    for row in rows:
        by_file.setdefault(row["household_file"], []).append(row)
    for name, r in done.items():
        mine = by_file.get(name, [])
        assert [(x["account"], x["ticker"], x["action"]) for x in mine] == [(t["account"], t["ticker"], t["action"]) for t in r["trades"]]
        assert sum(float(x["amount"]) for x in mine) == pytest.approx(sum(t["amount"] for t in r["trades"]))
        assert all(x["household"] == r["household"] for x in mine)

    # The summary adds up the book.
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["households"], summary["done"], summary["skipped"], summary["failed"]) == (20, 19, 0, 1)
    assert summary["tax_saved"] == pytest.approx(sum((r["savings"] or {}).get("tax", 0.0) for r in done.values()), abs=0.011)
    assert summary["total_saved"] == pytest.approx(sum((r["savings"] or {}).get("total", 0.0) for r in done.values()), abs=0.011)
    assert summary["trades"] == len(rows)
    assert f"tax saved ${summary['tax_saved']:,.2f}".replace("$-", "-$") in p.stdout

    # Re-run after fixing the bad file: the 19 are skipped (untouched), the fixed one is solved.
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "households").glob("*.json")}
    fixed = json.loads((book / BAD).read_text())
    fixed["targets"]["bonds"] -= 0.5
    (book / BAD).write_text(json.dumps(fixed))
    s = run_batch(book, out, workers=2, options={"solver": "highs"}, progress=False)
    assert (s.done, s.skipped, s.failed, s.households) == (1, 19, 0, 20)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "households").glob("*.json") if p.name != BAD} == stamps
    assert json.loads((out / "errors.json").read_text()) == []
    assert len(results(out)) == 20
    assert len(list(csv.DictReader((out / "orders.csv").open()))) == sum(len(r["trades"]) for r in results(out).values())

    # --force redoes every household.
    s = run_batch(book, out, workers=2, options={"solver": "highs"}, force=True, progress=False)
    assert (s.done, s.skipped, s.failed) == (20, 0, 0)
    assert all(p.stat().st_mtime_ns > stamps[p.name] for p in (out / "households").glob("*.json") if p.name in stamps)


def test_a_book_where_every_household_fails_exits_1_and_bad_arguments_exit_2(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "broken.json").write_text("{not json")
    p = cli("batch", str(book), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "failed broken.json (bad_input): broken.json: not valid JSON" in p.stdout
    assert cli("batch", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")).returncode == 2
    assert cli("batch", str(book), "--out", str(tmp_path / "out"), "--workers", "0").returncode == 2
    assert cli("batch", str(book), "--out", str(tmp_path / "out"), "--tool", "withdraw").returncode == 2
