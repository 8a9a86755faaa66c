"""Batch: one tool over every household file of a book, on Dask distributed.

One task per household, run on a LocalCluster (processes, one thread each) or on an existing
cluster. Each household's Result is written as soon as it arrives; the combined order file and
the summary are rebuilt from every result in the output folder when the run ends, so a re-run
that skips finished households still reports the whole book.

Output folder:
  households/NAME.json   the Result of NAME.json, as `householder TOOL --json` prints it
  orders.csv             every household's orders, one CSV (first columns: household file, name)
  errors.json            households without a plan: file, kind (bad_input, no_plan, crash), error
  summary.json           counts and dollars across the book (tax saved, location value, ...)

A household is done when its result file holds a plan (status optimal or feasible) and is newer
than the household file; a re-run skips it unless `force`. Households that failed are retried.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from engine.household import HouseholdError, parse_household
from engine.reading import UnreadableFile, loads_user_json, read_user_text
from formats import ORDER_COLUMNS, orders_csv, safe_cell, write_atomically

UNREADABLE = "\x00unreadable\x00"  # marks a file the reader refused; NUL never starts real text

BATCH_TOOLS = ("rebalance", "harvest", "locate")
PLAN_STATUSES = ("optimal", "feasible")
IN_FLIGHT_PER_WORKER = 4  # tasks queued per worker: enough to keep it busy, few enough to bound memory


class BatchError(ValueError):
    """A bad batch request (folder, tool, scheduler): nothing was run."""


@dataclass
class BatchSummary:
    tool: str
    households: int = 0  # household files in the book
    done: int = 0  # solved in this run
    skipped: int = 0  # already done by an earlier run
    failed: int = 0
    tax_saved: float = 0.0  # dollars, against each account rebalanced alone, over every household with a plan
    location_value_today: float = 0.0
    total_saved: float = 0.0
    estimated_tax: float = 0.0
    trades: int = 0
    seconds: float = 0.0
    errors: list[dict] = field(default_factory=list)

    @property
    def with_plan(self) -> int:
        return self.done + self.skipped


def household_files(book: Path) -> list[Path]:
    return sorted(p for p in book.glob("*.json") if p.is_file() and not p.name.startswith("."))


def result_path(out: Path, household_file: Path) -> Path:
    return out / "households" / household_file.name


def is_done(out: Path, household_file: Path) -> bool:
    r = result_path(out, household_file)
    if not r.exists() or r.stat().st_mtime < household_file.stat().st_mtime:
        return False
    try:
        return json.loads(r.read_text()).get("status") in PLAN_STATUSES
    except (OSError, ValueError):
        return False


def solve_household(name: str, text: str, tool: str, options: dict) -> dict:
    """Run on a worker: the household's file text in, a plain dict out. Never raises."""
    from engine import Options, harvest, locate, rebalance
    from engine.solve import set_highs_threads

    set_highs_threads(1)  # one task per core: HiGHS's own threads would only compete
    started = time.perf_counter()
    try:
        if text.startswith(UNREADABLE):
            raise HouseholdError([text[len(UNREADABLE):]])
        try:
            data = loads_user_json(text, name, "household file")
        except UnreadableFile as err:
            raise HouseholdError([str(err)]) from None
        h = parse_household(data)
        o = Options(**options)
        result = {"rebalance": rebalance, "harvest": harvest, "locate": locate}[tool](h, options=o)
    except HouseholdError as err:
        return {"file": name, "ok": False, "kind": "bad_input", "error": "; ".join(err.problems)}
    except Exception as err:  # one household's crash must not stop the book
        return {"file": name, "ok": False, "kind": "crash", "error": f"{type(err).__name__}: {err}"}
    return {
        "file": name, "ok": result.status in PLAN_STATUSES, "kind": None if result.status in PLAN_STATUSES else "no_plan",
        "error": None if result.status in PLAN_STATUSES else f"{result.status}: {result.message}",
        "result": result.model_dump(mode="json"), "orders": orders_csv(result), "seconds": time.perf_counter() - started,
    }


class _Progress:
    """A one-line text progress bar on stderr (a line per tenth when stderr is not a terminal)."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.count, self.failed = total, enabled and total > 0, 0, 0
        self.tty = sys.stderr.isatty()
        self.start = time.perf_counter()
        self.last_tenth = -1

    def step(self, ok: bool) -> None:
        self.count += 1
        self.failed += not ok
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.count / self.total)
        rate = self.count / max(time.perf_counter() - self.start, 1e-9) * 60
        line = f"[{'#' * filled}{'.' * (width - filled)}] {self.count}/{self.total} households, {self.failed} failed, {rate:.1f}/min"
        if self.tty:
            print("\r" + line, end="" if self.count < self.total else "\n", file=sys.stderr, flush=True)
        elif self.count * 10 // self.total != self.last_tenth:
            self.last_tenth = self.count * 10 // self.total
            print(line, file=sys.stderr, flush=True)


def _client(scheduler: str | None, workers: int):
    """A Dask client and what to close after it (the LocalCluster we started, if any)."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="10s"), None
        except (OSError, TimeoutError, ValueError) as err:
            raise BatchError(f"--scheduler: cannot reach a Dask scheduler at {scheduler} ({err}); start one with `dask scheduler` or leave --scheduler out") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_batch(
    book: str | Path,
    out: str | Path,
    tool: str = "rebalance",
    options: dict | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: bool = True,
    on_result: Callable[[dict], None] | None = None,
) -> BatchSummary:
    """Run `tool` on every household file in `book`, writing results into `out` as they complete."""
    book, out = Path(book), Path(out)
    if tool not in BATCH_TOOLS:
        raise BatchError(f"--tool: {tool!r} cannot run in batch; choose one of {', '.join(BATCH_TOOLS)}")
    if not book.is_dir():
        raise BatchError(f"{book}: not a folder; give the folder that holds the household JSON files")
    files = household_files(book)
    if not files:
        raise BatchError(f"{book}: no household files (*.json) in this folder")
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise BatchError("--workers: must be at least 1")
    options = options or {}
    (out / "households").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    todo = files if force else [f for f in files if not is_done(out, f)]
    skipped = len(files) - len(todo)
    errors: dict[str, dict] = {}
    done = 0
    bar = _Progress(len(todo), progress)
    if todo:
        from dask.distributed import as_completed

        client, cluster = _client(scheduler, workers)
        try:
            pending = iter(todo)

            names = {}

            def submit(path: Path):
                # The text travels with the task, so workers on other machines need no shared disk.
                try:
                    text = read_user_text(path, what="household file")
                except UnreadableFile as err:
                    text = f"{UNREADABLE}{str(err).replace(f'{path}:', f'{path.name}:', 1)}"
                f = client.submit(solve_household, path.name, text, tool, options, key=f"{tool}-{path.name}-{time.time_ns()}", pure=False)
                names[f.key] = path.name
                return f

            window = max(1, len(client.scheduler_info().get("workers", {})) or workers) * IN_FLIGHT_PER_WORKER
            first = [submit(p) for p in itertools.islice(pending, window)]
            futures = as_completed(first)
            for future in futures:
                try:
                    answer = future.result()
                except Exception as err:  # the worker died or the task was lost
                    answer = {"file": names[future.key], "ok": False, "kind": "crash", "error": f"{type(err).__name__}: {err}"}
                finally:
                    future.release()
                _record(out, answer, errors)
                done += bool(answer.get("ok"))
                bar.step(bool(answer.get("ok")))
                if on_result:
                    on_result(answer)
                nxt = next(pending, None)
                if nxt is not None:
                    futures.add(submit(nxt))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    summary = summarize_book(out, files, tool)
    summary.done, summary.skipped = done, skipped
    summary.failed = len(errors)
    summary.errors = sorted(errors.values(), key=lambda e: e["file"])
    summary.seconds = time.perf_counter() - started
    write_atomically(out / "errors.json", json.dumps(summary.errors, indent=2) + "\n")
    write_atomically(out / "summary.json", json.dumps({k: v for k, v in asdict(summary).items() if k != "errors"} | {"with_plan": summary.with_plan}, indent=2) + "\n")
    return summary


def _record(out: Path, answer: dict, errors: dict[str, dict]) -> None:
    name = answer["file"]
    if "result" in answer:
        write_atomically(out / "households" / name, json.dumps(answer["result"], indent=2) + "\n")
    elif (out / "households" / name).exists():
        (out / "households" / name).unlink()  # a stale plan from an older file must not count as done
    if not answer.get("ok"):
        errors[name] = {"file": name, "kind": answer["kind"], "error": answer["error"]}


def summarize_book(out: Path, files: Iterable[Path], tool: str) -> BatchSummary:
    """Dollars across every household with a plan in `out`, and the combined order file."""
    import csv
    import io

    files = list(files)
    s = BatchSummary(tool=tool, households=len(files))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["household_file", "household"] + ORDER_COLUMNS)
    for f in files:
        path = result_path(out, f)
        if not path.exists():
            continue
        try:
            r = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if r.get("status") not in PLAN_STATUSES:
            continue
        savings = r.get("savings") or {}
        s.tax_saved += savings.get("tax", 0.0)
        s.location_value_today += savings.get("location_value_today", 0.0)
        s.total_saved += savings.get("total", 0.0)
        s.estimated_tax += (r.get("taxes") or {}).get("estimated_tax", 0.0)
        s.trades += len(r.get("trades", []))
        for t in r.get("trades", []):
            writer.writerow([safe_cell(c) for c in [f.name, r.get("household", "")] + [t.get(k) for k in ORDER_COLUMNS]])
    for name in ("tax_saved", "location_value_today", "total_saved", "estimated_tax"):
        setattr(s, name, round(getattr(s, name), 2))
    write_atomically(out / "orders.csv", buf.getvalue())
    return s
