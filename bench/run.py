"""Benchmarks: every tool at every size with GLPK and HiGHS; writes bench/RESULTS.md.

For each (size, tool, solver) a fresh process generates the household (bench/generate.py,
seed 0), runs the tool `--repeats` times and reports the median end-to-end time split into
phases (engine.timing), the main trade model's size and objective, and the process's peak
resident memory. It then exports that model (MPS for HiGHS, LP for GLPK) and times the solver
alone on the file: the floor the pipeline cannot beat. A run that hits the time limit is not
repeated (its time is the limit).

    make bench                                        # everything, about 15 minutes
    .venv/bin/python bench/run.py --sizes S M --solvers highs --repeats 1 --out /tmp/r.md
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.generate import SIZES, household, household_value  # noqa: E402

TOOLS = ["rebalance", "withdraw", "harvest", "locate"]
SOLVERS = ["highs", "glpk"]
TARGETS = {"M": 1.0, "L": 5.0, "XL": 30.0}  # seconds, rebalance end to end with HiGHS


def withdraw_amount(h: dict) -> float:
    """About $50,000 for an S household, scaled with the household's value (2.5%)."""
    return round(0.025 * household_value(h), -3)


def run_tool(tool: str, h, raw: dict, options):
    from engine import harvest, locate, rebalance, withdraw

    if tool == "rebalance":
        return rebalance(h, options)
    if tool == "withdraw":
        return withdraw(h, withdraw_amount(raw), options=options)
    if tool == "harvest":
        return harvest(h, 500.0, False, options)
    return locate(h, options)


# ---- one configuration, in its own process ---------------------------------------------

def floor_seconds(model, solver: str, time_limit: float, folder: Path) -> dict:
    """The solver alone on the exported model: HiGHS reading an MPS file, or glpsol on an LP file."""
    if solver == "highs":
        import highspy
        import numpy as np

        from engine import solve

        path = folder / "model.mps"
        model.write(str(path), io_options={"symbolic_solver_labels": False})

        def load():
            h = solve.new_highs()
            h.readModel(str(path))
            return h

        start = time.perf_counter()
        h = load()
        # The same path the engine takes: a first plan from the LP for big models, then the search.
        lp = h.getLp()
        integer = [j for j, t in enumerate(lp.integrality_) if t != highspy.HighsVarType.kContinuous]
        if len(integer) >= solve.WARM_START_MIN_INTEGERS:
            first = solve.first_plan(load, integer, list(lp.col_lower_), list(lp.col_upper_), solve.START_SHARE * time_limit)
            if first is not None:
                h.setSolution(len(first), np.arange(len(first), dtype=np.int32), np.asarray(first, dtype=np.double))
        h.setOptionValue("time_limit", max(0.01, float(time_limit) - (time.perf_counter() - start)))
        h.setOptionValue("mip_rel_gap", solve.MIP_GAP)
        h.setOptionValue("mip_abs_gap", solve.MIP_ABS_GAP)
        h.run()
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "objective": h.getInfo().objective_function_value, "status": h.getModelStatus().name}
    path = folder / "model.lp"
    model.write(str(path), io_options={"symbolic_solver_labels": False})
    start = time.perf_counter()
    p = subprocess.run(["glpsol", "--lp", str(path), "--mipgap", str(1e-6), "--tmlim", str(int(time_limit)), "-w", str(folder / "sol.txt")],
                       capture_output=True, text=True)
    seconds = time.perf_counter() - start
    objective = None
    for line in p.stdout.splitlines():
        if line.startswith("+") and "mip =" in line:
            try:
                objective = float(line.split("mip =")[1].split()[0])
            except ValueError:
                pass
    status = "time limit" if "TIME LIMIT EXCEEDED" in p.stdout else ("optimal" if "INTEGER OPTIMAL" in p.stdout or "OPTIMAL LP" in p.stdout else "other")
    return {"seconds": seconds, "objective": objective, "status": status}


def _cpu_seconds() -> float:
    """CPU seconds of this process (every thread) and of the solver programs it ran (glpsol)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def one(size: str, tool: str, solver: str, repeats: int, time_limit: float, seed: int) -> dict:
    from engine import Options, parse_household
    from engine.timing import recording

    raw = household(size, seed)
    h = parse_household(raw)
    options = Options(solver=solver, time_limit=time_limit)
    # Warm up on a small household: imports and the solver's first start are not what we measure
    # (a CLI call pays them once, about 1 s; the chat app and batch workers only once per process).
    small = household("S", seed)
    run_tool(tool, parse_household(small), small, options)
    runs, model = [], None
    for i in range(repeats):
        with recording(keep_models=(i == 0)) as rec:
            cpu = _cpu_seconds()
            start = time.perf_counter()
            r = run_tool(tool, h, raw, options)
            wall = time.perf_counter() - start
            cpu = _cpu_seconds() - cpu
        main = rec.models[0] if rec.models else (None, None)
        if i == 0:
            model = main[0]
        outcome = main[1]
        runs.append({
            "wall": wall, "cpu": cpu, "phases": rec.seconds, "status": r.status, "gap": r.gap, "message": r.message,
            "main_solve": outcome.seconds if outcome else None, "objective": outcome.objective if outcome else None,
            "models": len(rec.models), "trades": len(r.trades),
        })
        if r.status != "optimal" and "limit" in (r.message or "") + " ".join(r.warnings):
            break  # a time-limited run takes the limit each time; one is enough
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"size": size, "tool": tool, "solver": solver, "runs": runs, "peak_mb": peak_mb}
    if model is not None:
        out["variables"] = model.nvariables()
        out["constraints"] = model.nconstraints()
        with tempfile.TemporaryDirectory() as folder:
            floors = []
            for _ in range(len(runs)):
                floors.append(floor_seconds(model, solver, time_limit, Path(folder)))
                if floors[-1]["status"] == "time limit":
                    break
        out["floor"] = floors
    return out


# ---- the whole table --------------------------------------------------------------------

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(c: dict) -> dict:
    runs = c["runs"]
    phase = lambda name: median([r["phases"].get(name, 0.0) for r in runs])
    wall = median([r["wall"] for r in runs])
    build, translate, solve = phase("build"), phase("translate"), phase("solve")
    floor = median([f["seconds"] for f in c.get("floor", [])])
    return {
        **{k: c[k] for k in ("size", "tool", "solver")},
        "status": runs[-1]["status"], "gap": runs[-1]["gap"], "runs": len(runs), "wall": wall, "cpu": median([r["cpu"] for r in runs]),
        "build": build, "translate": translate, "solve": solve, "report": wall - build - translate - solve,
        "ratio": build / solve if solve else None, "variables": c.get("variables"), "constraints": c.get("constraints"),
        "objective": runs[-1]["objective"], "main_solve": median([r["main_solve"] for r in runs]),
        "floor": floor, "floor_status": c.get("floor", [{}])[-1].get("status") if c.get("floor") else None,
        "overhead": (wall - floor) if floor is not None else None, "peak_mb": c["peak_mb"], "models": runs[-1]["models"],
        "load": c.get("load"),
    }


def fmt(x, digits=2):
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}"


def table(rows: list[dict]) -> str:
    head = ("| size | tool | solver | status | runs | end to end s | CPU s | build s | translate s | solve s | report s | build/solve "
            "| variables | constraints | objective $ | main solve s | solver alone s | overhead s | peak MB | load |")
    out = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for r in rows:
        status = r["status"] + (f" (gap {100 * r['gap']:.2f}%)" if r["gap"] else "")
        out.append("| " + " | ".join([
            r["size"], r["tool"], r["solver"], status, str(r["runs"]), fmt(r["wall"]), fmt(r["cpu"]), fmt(r["build"]), fmt(r["translate"]),
            fmt(r["solve"]), fmt(r["report"]), fmt(r["ratio"]), fmt(r["variables"]), fmt(r["constraints"]), fmt(r["objective"]),
            fmt(r["main_solve"]), fmt(r["floor"]) + ("" if r["floor_status"] in (None, "kOptimal", "optimal") else f" ({r['floor_status']})"),
            fmt(r["overhead"]), fmt(r["peak_mb"], 0), fmt(r["load"], 1),
        ]) + " |")
    return "\n".join(out)


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    for size, target in TARGETS.items():
        r = next((r for r in rows if (r["size"], r["tool"], r["solver"]) == (size, "rebalance", "highs")), None)
        if r:
            out.append(f"- {size} rebalance, HiGHS, end to end: {r['wall']:.2f} s median (target <= {target:g} s): "
                       + ("met" if r["wall"] <= target else "**missed**"))
    for size in ("L", "XL"):
        for r in rows:
            if r["size"] == size and r["solver"] == "highs" and r["ratio"] is not None:
                out.append(f"- {size} {r['tool']}, HiGHS: build {r['build']:.2f} s vs solve {r['solve']:.2f} s "
                           + ("(build <= solve)" if r["ratio"] <= 1 else "(**build > solve**)"))
    return out


def spread_here(size: str, seeds: list[int], time_limit: float) -> list[float]:
    from engine import Options, parse_household, rebalance

    options = Options(solver="highs", time_limit=time_limit)
    rebalance(parse_household(household("S", 0)), options)  # warm-up
    out = []
    for seed in seeds:
        h = parse_household(household(size, seed))
        start = time.perf_counter()
        rebalance(h, options)
        out.append(time.perf_counter() - start)
    return out


def spread(size: str, seeds: range, time_limit: float) -> dict:
    """rebalance with HiGHS, end to end, once per seed: how much households of one size differ."""
    cmd = [sys.executable, __file__, "--spread", size, "--time-limit", str(time_limit), "--seeds", *map(str, seeds)]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=True)
    return {"size": size, "seeds": f"{seeds.start}-{seeds.stop - 1}", "seconds": json.loads(p.stdout.strip().splitlines()[-1])}


def batch_throughput(size: str, count: int, workers: int) -> dict:
    from bench.generate import write_book
    from batch import run_batch

    with tempfile.TemporaryDirectory() as folder:
        book, out = Path(folder) / "book", Path(folder) / "out"
        write_book(book, count, size)
        start = time.perf_counter()
        summary = run_batch(book, out, tool="rebalance", workers=workers, progress=False)
        wall = time.perf_counter() - start
    return {"size": size, "households": count, "workers": workers, "seconds": wall, "per_minute": 60 * count / wall,
            "done": summary.done, "failed": summary.failed, "load": os.getloadavg()[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--tools", nargs="+", default=TOOLS, choices=TOOLS)
    parser.add_argument("--solvers", nargs="+", default=SOLVERS, choices=SOLVERS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=20, metavar="N", help="households of size M for the batch throughput line (0 skips)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--one", nargs=3, metavar=("SIZE", "TOOL", "SOLVER"), help=argparse.SUPPRESS)
    parser.add_argument("--spread", metavar="SIZE", help=argparse.SUPPRESS)
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, args.repeats, args.time_limit, args.seed)))
        return 0
    if args.spread:
        print(json.dumps(spread_here(args.spread, args.seeds, args.time_limit)))
        return 0

    configs = [(s, t, v) for s in args.sizes for t in args.tools for v in args.solvers if v != "glpk" or shutil.which("glpsol")]
    rows = []
    started = time.time()
    for size, tool, solver in configs:
        load = os.getloadavg()[0]
        cmd = [sys.executable, __file__, "--one", size, tool, solver, "--repeats", str(args.repeats),
               "--time-limit", str(args.time_limit), "--seed", str(args.seed)]
        # Generous wall-clock guard: every solve in a tool is capped by the time limit already.
        guard = 20 * args.time_limit + 300
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=guard, cwd=ROOT)
        except subprocess.TimeoutExpired:
            print(f"{size} {tool} {solver}: no answer within {guard:g} s", file=sys.stderr)
            rows.append({"size": size, "tool": tool, "solver": solver, "status": f"killed after {guard:g} s", "gap": None, "runs": 0,
                         **{k: None for k in ("wall", "cpu", "build", "translate", "solve", "report", "ratio", "variables", "constraints",
                                              "objective", "main_solve", "floor", "floor_status", "overhead", "peak_mb")}, "load": load})
            continue
        if p.returncode != 0:
            print(p.stderr, file=sys.stderr)
            raise SystemExit(f"{size} {tool} {solver} failed")
        c = json.loads(p.stdout.strip().splitlines()[-1])
        c["load"] = load
        row = summarize(c)
        rows.append(row)
        print(f"{size:>2} {tool:<9} {solver:<5} {row['status']:<9} {row['wall']:7.2f} s  (build {row['build']:.2f}, solve {row['solve']:.2f}, "
              f"alone {fmt(row['floor'])}) load {load:.1f}", file=sys.stderr, flush=True)

    spreads = [spread(size, range(5), args.time_limit) for size in ("M", "L") if size in args.sizes and "rebalance" in args.tools and "highs" in args.solvers]
    batch = batch_throughput("M", args.batch, 2) if args.batch else None
    minutes = (time.time() - started) / 60
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=ROOT).stdout.strip() or "unknown"
    text = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`bench/run.py`) on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}, commit {commit}, {minutes:.0f} minutes. Households from `bench/generate.py` (seed {args.seed}); "
        + ", ".join(f"{k} = {v.accounts} accounts, {v.securities} securities, {v.lots:,} lots" for k, v in SIZES.items()) + ".",
        f"Medians of {args.repeats} runs, seconds of wall-clock time; time limit {args.time_limit:g} s per solve.",
        "",
        "Columns: *end to end* is the whole tool call (household in, Result out, baseline included); *build* the Pyomo model "
        "construction of every trade model in the call; *translate* handing them to HiGHS (for GLPK, Pyomo's LP file writing is "
        "inside *solve*); *solve* every solver run; *report* the rest (universe, location LPs, read-back, measures, Result); "
        "*main solve* the tool's own model (translate + solve); *solver alone* HiGHS reading the exported MPS file and solving it, "
        "or `glpsol` on the exported LP file: the floor; *overhead* end to end minus that floor; *peak MB* the process's peak "
        "resident memory; *load* the 1-minute load average when the row started (other work shared the machine).",
        "",
        table(rows),
        "",
        "## Targets",
        "",
        *verdicts(rows),
    ]
    if spreads:
        text += ["", "## Household to household", "",
                 "rebalance with HiGHS, end to end, one run per generated household (seeds 0-4): the table above is seed 0.", "",
                 "| size | seeds | min s | median s | max s | each s |", "|---|---|---|---|---|---|"]
        text += [f"| {x['size']} | {x['seeds']} | {min(x['seconds']):.2f} | {statistics.median(x['seconds']):.2f} | {max(x['seconds']):.2f} | "
                 + ", ".join(f"{v:.2f}" for v in x["seconds"]) + " |" for x in spreads]
    if batch:
        text += ["", "## Batch throughput", "",
                 f"`householder batch` on {batch['households']} {batch['size']} households, {batch['workers']} local Dask workers: "
                 f"{batch['seconds']:.1f} s, **{batch['per_minute']:.1f} households per minute** "
                 f"({batch['done']} done, {batch['failed']} failed; load {batch['load']:.1f})."]
    args.out.write_text("\n".join(text) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
