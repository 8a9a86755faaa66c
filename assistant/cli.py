"""`householder`: the command-line front door.

Bad input is a message naming the field and the fix on stderr and exit code 2; a request the
household cannot meet is explained with exit code 1; nothing is written half-way.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from engine.household import HouseholdError, household_schema, load_household

EXIT_OK, EXIT_UNMET, EXIT_BAD_INPUT = 0, 1, 2


class InputError(Exception):
    """A bad flag or file: exit 2 with this message."""


def _gain_budget(text: str | None) -> float | str | None:
    if text is None:
        return None
    if text == "bracket":
        return "bracket"
    try:
        value = float(text.replace(",", "").lstrip("$"))
    except ValueError:
        raise InputError(f"--gain-budget: {text!r} is not a dollar amount; give a number like 10000, or 'bracket'") from None
    return value


def _options(args: argparse.Namespace):
    from pydantic import ValidationError

    from engine import Options

    try:
        return Options(
            solver=args.solver, time_limit=args.time_limit, gain_budget=_gain_budget(args.gain_budget),
            tolerance=args.tolerance, min_trade=args.min_trade, transaction_cost=args.transaction_cost,
            horizon_years=args.horizon, exclude_accounts=args.exclude or [], baseline=not args.no_baseline,
        )
    except ValidationError as err:
        e = err.errors()[0]
        raise InputError(f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}") from None


def _household(args: argparse.Namespace, **accounts: list[str]):
    """The household file, with every account a flag names checked against it (bad input, exit 2)."""
    from engine.scenarios import unknown_accounts

    household = load_household(args.household)
    bad = unknown_accounts(household, **{f"--{k}": v for k, v in accounts.items()}, **{"--exclude": args.exclude or []})
    if bad:
        raise InputError("; ".join(bad))
    return household


def _add_plan_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("household", help="household JSON file")
    p.add_argument("--solver", choices=["auto", "glpk", "highs"], default="auto", help="auto takes HiGHS when installed, else GLPK")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds; the best plan found by then is returned (default 30)")
    p.add_argument("--gain-budget", help="most net realized gain allowed, dollars, or 'bracket' for the headroom below the next long-term bracket")
    p.add_argument("--tolerance", type=float, default=0.03, help="drift band per asset class, fraction (default 0.03)")
    p.add_argument("--min-trade", type=float, default=100.0, help="smallest order, dollars (default 100)")
    p.add_argument("--transaction-cost", type=float, default=0.0, help="cost per trade, fraction of its dollars (default 0)")
    p.add_argument("--horizon", type=float, default=10.0, help="years over which location is valued (default 10)")
    p.add_argument("--exclude", nargs="*", metavar="ACCOUNT", help="accounts the plan may not touch")
    p.add_argument("--no-baseline", action="store_true", help="skip the account-by-account comparison")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("--trades-csv", metavar="FILE", help="write the orders as CSV (atomically)")


def _emit(result, household, args) -> int:
    from formats import orders_csv, text_report, write_atomically

    if args.trades_csv:
        write_atomically(args.trades_csv, orders_csv(result))
    if args.json:
        print(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        print(text_report(result, household.targets))
    return EXIT_OK if result.status in ("optimal", "feasible") else EXIT_UNMET


def cmd_rebalance(args: argparse.Namespace) -> int:
    household = _household(args)
    options = _options(args)
    if args.trades_csv and not Path(args.trades_csv).resolve().parent.is_dir():
        raise InputError(f"--trades-csv: folder {Path(args.trades_csv).parent} does not exist")
    from engine import rebalance

    return _emit(rebalance(household, options), household, args)


def _amount(text: str, flag: str = "--amount") -> float:
    try:
        value = float(text.replace(",", "").lstrip("$"))
    except ValueError:
        raise InputError(f"{flag}: {text!r} is not a dollar amount; give a number like 50000") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{flag}: {text!r} must be a finite dollar amount above zero")
    return value


def cmd_withdraw(args: argparse.Namespace) -> int:
    from engine import withdraw

    household = _household(args)
    return _emit(withdraw(household, _amount(args.amount), args.net, _options(args)), household, args)


def cmd_contribute(args: argparse.Namespace) -> int:
    from engine import contribute

    household = _household(args, account=[args.account])
    return _emit(contribute(household, _amount(args.amount), args.account, _options(args), allow_sells=args.allow_sells), household, args)


def cmd_harvest(args: argparse.Namespace) -> int:
    from engine import harvest

    household = _household(args)
    if args.min_loss < 0:
        raise InputError("--min-loss: must be zero or more dollars")
    return _emit(harvest(household, args.min_loss, args.gains, _options(args)), household, args)


def cmd_locate(args: argparse.Namespace) -> int:
    from engine import locate

    household = _household(args)
    return _emit(locate(household, _options(args)), household, args)


def _assistant(args: argparse.Namespace):
    from tools import HouseholdBook

    from .answer import Assistant, model_from_environment

    paths = args.household or sorted(str(p) for p in (Path(__file__).resolve().parents[1] / "examples").glob("*.json") if p.name != "targets.json")
    book = HouseholdBook.from_paths(paths)
    only = book.names[0] if len(book.names) == 1 else None
    return Assistant(book, household=only, audience=args.audience, solver=args.solver, model=model_from_environment())


def cmd_ask(args: argparse.Namespace) -> int:
    answer = _assistant(args).ask(args.question)
    if args.json:
        print(json.dumps(answer.to_json(), indent=2))
    else:
        print(answer.explanation)
    if answer.result is not None and answer.result.status not in ("optimal", "feasible"):
        return EXIT_UNMET
    return EXIT_OK


def cmd_chat(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    print(f"Householder chat — households: {', '.join(assistant.book.names)}. Ask a question; 'quit' to leave.")
    while True:
        try:
            question = input("> ")
        except EOFError:
            break
        if question.strip().lower() in ("quit", "exit", "q"):
            break
        if not question.strip():
            continue
        print(assistant.ask(question).explanation)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(household_schema(), indent=2))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from formats import import_positions, write_household

    household = import_positions(Path(args.positions), Path(args.targets))
    if args.output:
        write_household(household, Path(args.output))
        print(f"wrote {args.output}: {len(household.accounts)} accounts, {sum(len(a.holdings) for a in household.accounts)} lots")
    else:
        print(json.dumps(household.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2))
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Start the Chainlit chat app headless; this process becomes the server (Ctrl-C stops it)."""
    import os

    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    if args.household:
        env["HOUSEHOLDER_HOUSEHOLDS"] = os.pathsep.join(str(Path(h).resolve()) for h in args.household)
    if args.users:
        env["HOUSEHOLDER_USERS"] = str(Path(args.users).resolve())
    if env.get("HOUSEHOLDER_USERS") and not env.get("CHAINLIT_AUTH_SECRET"):
        raise InputError("login needs CHAINLIT_AUTH_SECRET set to a long random string (any long random string)")
    # chainlit.md (the welcome page) is read from the working directory.
    os.chdir(root)
    command = [sys.executable, "-m", "chainlit", "run", str(root / "assistant" / "app.py"), "--headless", "--host", args.host, "--port", str(args.port)]
    print(f"Householder chat on http://{args.host}:{args.port}", flush=True)
    os.execvpe(command[0], command, env)
    return EXIT_OK  # not reached: exec replaces this process


def cmd_batch(args: argparse.Namespace) -> int:
    """Every household file in a folder on Dask; exit 1 only when no household of the book has a plan."""
    from batch import BatchError, run_batch
    from formats import money

    if args.workers is not None and args.workers < 1:
        raise InputError("--workers: must be at least 1")
    options = {"solver": args.solver, "time_limit": args.time_limit, "tolerance": args.tolerance, "min_trade": args.min_trade, "horizon_years": args.horizon}
    try:
        s = run_batch(args.book, args.out, tool=args.tool, options=options, scheduler=args.scheduler, workers=args.workers, force=args.force, progress=not args.quiet)
    except BatchError as err:
        raise InputError(str(err)) from None
    print(f"{args.tool}: {s.households} households in {args.book} — {s.done} solved, {s.skipped} already done, {s.failed} failed ({s.seconds:.1f} s)")
    print(f"across the book: tax saved {money(s.tax_saved)}, location value today {money(s.location_value_today)}, "
          f"total saved {money(s.total_saved)} against rebalancing each account alone; {s.trades} orders in {Path(args.out) / 'orders.csv'}")
    for e in s.errors:
        print(f"  failed {e['file']} ({e['kind']}): {e['error']}")
    if s.errors:
        print(f"errors: {Path(args.out) / 'errors.json'}")
    return EXIT_UNMET if s.with_plan == 0 and s.failed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="householder", description="Household-level, tax-aware rebalancing across accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("rebalance", help="bring the household back to target at the least tax")
    _add_plan_flags(p)
    p.set_defaults(run=cmd_rebalance)
    p = sub.add_parser("withdraw", help="raise cash at the least tax")
    _add_plan_flags(p)
    p.add_argument("--amount", required=True, help="dollars to raise")
    p.add_argument("--net", action="store_true", help="the household receives the amount after the estimated tax")
    p.set_defaults(run=cmd_withdraw)
    p = sub.add_parser("harvest", help="tax-loss harvesting with replacements, wash-sale safe")
    _add_plan_flags(p)
    p.add_argument("--min-loss", type=float, default=500.0, help="smallest loss worth harvesting, dollars (default 500)")
    p.add_argument("--gains", action="store_true", help="also harvest long-term gains in the 0%% bracket")
    p.set_defaults(run=cmd_harvest)
    p = sub.add_parser("locate", help="location score and the next best moves")
    _add_plan_flags(p)
    p.set_defaults(run=cmd_locate)
    p = sub.add_parser("contribute", help="invest new money in one account toward target and best location")
    _add_plan_flags(p)
    p.add_argument("--amount", required=True, help="dollars to invest")
    p.add_argument("--account", required=True, help="account receiving the money")
    p.add_argument("--allow-sells", action="store_true", help="also sell to rebalance")
    p.set_defaults(run=cmd_contribute)
    for name, helptext in (("ask", "ask one question in plain words"), ("chat", "a terminal conversation with what-if memory")):
        p = sub.add_parser(name, help=helptext)
        if name == "ask":
            p.add_argument("question", help='e.g. "raise $50k tax-efficiently"')
            p.add_argument("--json", action="store_true", help='print {"tool", "arguments", "result", "explanation"}')
        p.add_argument("--household", action="append", metavar="FILE", help="household JSON (repeatable); default: the examples")
        p.add_argument("--audience", choices=["advisor", "client", "support"], default="advisor")
        p.add_argument("--solver", choices=["auto", "glpk", "highs"], default="auto")
        p.set_defaults(run=cmd_ask if name == "ask" else cmd_chat)
    p = sub.add_parser("schema", help="print the JSON Schema of the household file")
    p.set_defaults(run=cmd_schema)
    p = sub.add_parser("import", help="build a household file from a custodian positions CSV and a targets file")
    p.add_argument("positions", help="CSV with account, kind, ticker, shares, cost_basis, acquired")
    p.add_argument("--targets", required=True, help="JSON with name, as_of, tax, targets, securities")
    p.add_argument("-o", "--output", help="household JSON to write (atomically); stdout if omitted")
    p.set_defaults(run=cmd_import)
    p = sub.add_parser("serve", help="start the chat app (Chainlit, headless) on http://HOST:PORT")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--household", action="append", metavar="FILE", help="household JSON (repeatable); default: the examples")
    p.add_argument("--users", metavar="FILE", help="advisors' logins and households (see examples/login/users.json); needs CHAINLIT_AUTH_SECRET")
    p.set_defaults(run=cmd_serve)
    p = sub.add_parser("batch", help="run a tool over every household file in a folder, on Dask")
    p.add_argument("book", help="folder of household JSON files")
    p.add_argument("--tool", choices=["rebalance", "harvest", "locate"], default="rebalance")
    p.add_argument("--out", required=True, help="folder for results: households/*.json, orders.csv, errors.json, summary.json")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786", help="an existing Dask scheduler; default: a local cluster")
    p.add_argument("--workers", type=int, help="local worker processes (default: one per core)")
    p.add_argument("--force", action="store_true", help="redo households that already have a result")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--solver", choices=["auto", "glpk", "highs"], default="auto")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds per household solve (default 30)")
    p.add_argument("--tolerance", type=float, default=0.03, help="drift band per asset class, fraction (default 0.03)")
    p.add_argument("--min-trade", type=float, default=100.0, help="smallest order, dollars (default 100)")
    p.add_argument("--horizon", type=float, default=10.0, help="years over which location is valued (default 10)")
    p.set_defaults(run=cmd_batch)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (HouseholdError, InputError) as err:
        print(f"householder: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
