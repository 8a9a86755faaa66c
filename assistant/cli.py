"""`householder`: the command-line front door.

Bad input is a message naming the field and the fix on stderr and exit code 2; a request the
household cannot meet is explained with exit code 1; nothing is written half-way.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from engine.household import HouseholdError, household_schema, load_household, with_model_portfolio

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
            tolerance=args.tolerance, relative_tolerance=args.relative_tolerance, to=args.to, force=getattr(args, "force", False),
            min_trade=args.min_trade, transaction_cost=args.transaction_cost,
            horizon_years=args.horizon, exclude_accounts=args.exclude or [], baseline=not args.no_baseline,
        )
    except ValidationError as err:
        e = err.errors()[0]
        raise InputError(f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}") from None


def _add_plan_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("household", help="household JSON file")
    p.add_argument("--solver", choices=["auto", "glpk", "highs"], default="auto", help="auto takes HiGHS when installed, else GLPK")
    p.add_argument("--time-limit", type=float, default=30.0, help="seconds; the best plan found by then is returned (default 30)")
    p.add_argument("--gain-budget", help="most net realized gain allowed, dollars, or 'bracket' for the headroom below the next long-term bracket")
    p.add_argument("--tolerance", type=float, help="drift band per asset class, fraction of the household (default: the household's, else 0.03)")
    p.add_argument("--relative-tolerance", type=float, help="drift band per asset class, fraction of its target weight; with --tolerance the smaller wins (0.05 and 0.25: the 5/25 rule)")
    p.add_argument("--to", choices=["target", "band-edge"], help="what a band breach trades back to (default: the household's, else target)")
    p.add_argument("--model-portfolio", metavar="FILE", help="firm-wide buy lists, JSON {asset class: [tickers] or {ticker: weight}}, for a household whose file gives none")
    p.add_argument("--min-trade", type=float, default=100.0, help="smallest order, dollars (default 100)")
    p.add_argument("--transaction-cost", type=float, default=0.0, help="cost per trade, fraction of its dollars (default 0)")
    p.add_argument("--horizon", type=float, default=10.0, help="years over which location is valued (default 10)")
    p.add_argument("--exclude", nargs="*", metavar="ACCOUNT", help="accounts the plan may not touch")
    p.add_argument("--no-baseline", action="store_true", help="skip the account-by-account comparison")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("--trades-csv", metavar="FILE", help="write the orders as CSV (atomically)")
    p.add_argument("--trades-format", choices=["generic", "desk", "desk-lots"], default="generic",
                   help="layout of --trades-csv: generic (one row per trade), desk (one row per order with lot relief), desk-lots (one row per lot relieved)")


def _household(args: argparse.Namespace, **accounts: list[str]):
    """The household file, read and validated, with every account a flag names checked against it;
    then the --trades-csv target checked, so a bad output path is refused before minutes of
    solving, not after. Any problem is bad input (exit 2)."""
    from engine.scenarios import unknown_accounts

    household = load_household(args.household)
    if getattr(args, "model_portfolio", None):
        household = with_model_portfolio(household, _read_model_portfolio(args.model_portfolio))
    bad = unknown_accounts(household, **{f"--{k}": v for k, v in accounts.items()}, **{"--exclude": args.exclude or []})
    if bad:
        raise InputError("; ".join(bad))
    for w in household.input_warnings:
        print(f"householder: warning: {w}", file=sys.stderr)
    if args.trades_csv:
        _check_output(args.trades_csv, "--trades-csv")
    return household


def _read_model_portfolio(path: str) -> object:
    from engine.reading import UnreadableFile, read_user_json

    try:
        return read_user_json(path, what="model portfolio file")
    except UnreadableFile as err:
        raise InputError(f"--model-portfolio: {err}") from None


def _check_output(path: str, flag: str) -> None:
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{flag}: {p} is a folder; give a file name inside it, e.g. {p / 'orders.csv'}")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{flag}: folder {folder} does not exist; create it or choose another path")
    if p.exists() and not p.is_file():
        return  # a device or pipe such as /dev/stdout is written through, not replaced
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{flag}: cannot write in folder {folder} (permission denied); choose another path")


def _emit(result, household, args) -> int:
    from formats import order_file, text_report, write_atomically

    if args.trades_csv:
        try:
            write_atomically(args.trades_csv, order_file(result, args.trades_format))
        except OSError as err:
            raise InputError(f"--trades-csv: cannot write {args.trades_csv} ({err.strerror}); nothing was written") from None
    if args.json:
        print(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        print(text_report(result, household.targets))
    return EXIT_OK if result.status in ("optimal", "feasible") else EXIT_UNMET


def cmd_rebalance(args: argparse.Namespace) -> int:
    household = _household(args)
    options = _options(args)
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


def cmd_retire(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from engine.retire.assumptions import Assumptions
    from engine.retire.tool import retire, table

    household = load_household(args.household)
    if args.trades_csv:
        _check_output(args.trades_csv, "--trades-csv")
    claim = args.claim_ss
    if claim != "auto":
        try:
            claim = int(claim)
        except ValueError:
            raise InputError(f"--claim-ss: {args.claim_ss!r} is not 'auto' or an age; give e.g. 67") from None
        if not 62 <= claim <= 70:
            raise InputError(f"--claim-ss: {claim} is outside 62-70; Social Security is claimed between 62 and 70")
    try:
        a = Assumptions(spending=_amount(args.spending, "--spending") if args.spending else 0.0, until_age=args.until_age, objective=args.objective,
                        claim_ss=claim, conversions=not args.no_conversions, heirs_rate=args.heirs_rate, inflation=args.inflation,
                        law_expires=args.law_expires, time_limit=args.time_limit)
    except ValidationError as err:
        e = err.errors()[0]
        raise InputError(f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}") from None
    try:
        result = retire(household, a)
    except ValueError as err:
        raise InputError(str(err)) from None
    from engine.retire.yearone import execute_year_one, year_one_text

    first, flows = execute_year_one(household, result) if result.outcome.has_plan else (None, None)
    if args.trades_csv and first is not None:
        from formats import order_file, write_atomically

        try:
            write_atomically(args.trades_csv, order_file(first, args.trades_format))
        except OSError as err:
            raise InputError(f"--trades-csv: cannot write {args.trades_csv} ({err.strerror}); nothing was written") from None
    if args.json:
        years = [{k: v for k, v in vars(r).items() if k not in ("income", "_facts")} for r in result.rows]
        year_one = first.model_dump(mode="json") if first is not None else None
        print(json.dumps({"summary": result.summary(), "years": years, "year_one": year_one}, indent=2, default=float))
    else:
        print(table(result))
        if first is not None:
            print("\n" + year_one_text(first, result, flows))
    return EXIT_OK if result.outcome.has_plan else EXIT_UNMET


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


def _for_terminal(answer) -> str:
    """An explanation is Markdown with the household's names escaped (assistant.explain); the
    terminal shows it without the escaping backslashes. Replies carry no escaping."""
    from formats.markdown import plain_text

    return plain_text(answer.explanation) if answer.result is not None else answer.explanation


def cmd_ask(args: argparse.Namespace) -> int:
    answer = _assistant(args).ask(args.question)
    if args.json:
        print(json.dumps(answer.to_json(), indent=2))
    else:
        print(_for_terminal(answer))
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
        print(_for_terminal(assistant.ask(question)))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(household_schema(), indent=2))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from formats import import_custodian_files, import_positions, is_generic_positions, write_household

    if len(args.files) == 1 and is_generic_positions(Path(args.files[0])):
        household = import_positions(Path(args.files[0]), Path(args.targets))
    else:
        imported = import_custodian_files(args.files, args.targets)
        household = imported.household
        report = sys.stdout if args.output else sys.stderr  # stdout carries the JSON otherwise
        for name, layout in imported.files.items():
            print(f"read {name}: {layout}", file=report)
        print(f"skipped {len(imported.skipped)} rows" + (":" if imported.skipped else ""), file=report)
        for line in imported.skipped + [f"note: {n}" for n in imported.notes]:
            print(f"  {line}", file=report)
    for w in household.input_warnings:
        print(f"householder: warning: {w}", file=sys.stderr)
    if args.output:
        write_household(household, Path(args.output))
        print(f"wrote {args.output}: {len(household.accounts)} accounts, {sum(len(a.holdings) for a in household.accounts)} lots")
    else:
        print(json.dumps(household.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2))
    return EXIT_OK


NO_LOGIN_NOTE = ("No login (--users not given): conversations, uploads and the audit are kept in the database, but a "
                 "conversation cannot be reopened after a restart or from another tab, since there is no user to own it. "
                 "With login, each advisor's conversations resume.")


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
    # Each server gets its own Chainlit app root (its .chainlit/, and the .files/ Chainlit deletes on
    # shutdown), one per address: two servers never share it. The database is shared and kept.
    state = Path(env.get("HOUSEHOLDER_STATE_DIR") or Path.cwd() / ".householder").resolve()
    if not env.get("CHAINLIT_APP_ROOT"):  # a given app root keeps its database in it (the app's default)
        env.setdefault("HOUSEHOLDER_DATABASE_URL", f"sqlite+aiosqlite:///{state / 'householder.db'}")
    app_root = Path(env.get("CHAINLIT_APP_ROOT") or state / f"server-{args.host}-{args.port}")
    app_root.mkdir(parents=True, exist_ok=True)
    if not (app_root / "chainlit.md").exists():
        (app_root / "chainlit.md").write_text((root / "chainlit.md").read_text())  # the welcome page
    env["CHAINLIT_APP_ROOT"] = str(app_root)
    os.chdir(root)
    command = [sys.executable, "-m", "chainlit", "run", str(root / "assistant" / "app.py"), "--headless", "--host", args.host, "--port", str(args.port)]
    print(f"Householder chat on http://{args.host}:{args.port}", flush=True)
    if not env.get("HOUSEHOLDER_USERS"):
        print(NO_LOGIN_NOTE, flush=True)
    os.execvpe(command[0], command, env)
    return EXIT_OK  # not reached: exec replaces this process


def _without_password(url: str) -> str:
    """A database URL fit for a message: postgresql+asyncpg://user:***@host/db."""
    import re

    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


def cmd_audit(args: argparse.Namespace) -> int:
    """The audit trail of the chat app: every plan shown or downloaded, oldest first."""
    import asyncio
    import os
    from datetime import datetime

    from sqlalchemy.exc import SQLAlchemyError

    from assistant.store import Store

    if args.since:
        try:
            datetime.fromisoformat(args.since)
        except ValueError:
            raise InputError(f"--since: {args.since!r} is not an ISO date or time; write it like 2026-12-01 or 2026-12-01T09:30") from None
    url = args.database or os.environ.get("HOUSEHOLDER_DATABASE_URL") or f"sqlite+aiosqlite:///{(Path.cwd() / '.householder' / 'householder.db').resolve()}"
    if url.startswith("sqlite") and not Path(url.split(":///", 1)[-1]).is_file():
        raise InputError(f"no audit database at {url.split(':///', 1)[-1]} (set --database or HOUSEHOLDER_DATABASE_URL)")

    async def rows():
        store = Store(url)
        try:
            return await store.audit_rows(args.user, args.since)
        finally:
            await store.close()

    try:
        found = asyncio.run(rows())
    except (OSError, SQLAlchemyError) as err:  # a server not running, a refused login, a file not a database
        raise InputError(f"cannot read the audit database {_without_password(url)}: {str(err).splitlines()[0][:300]}") from None
    for r in found:
        print("\t".join([r.at, r.user_id or "-", r.event, r.household or "-", r.tool or "-", r.solver_status or "-",
                         f"household sha256:{(r.household_digest or '-')[:16]}", f"result sha256:{(r.result_digest or '-')[:16]}",
                         r.arguments or "{}", r.detail or ""]).rstrip())
    print(f"{len(found)} audit record(s)", file=sys.stderr)
    return EXIT_OK


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


def cmd_mcp(args: argparse.Namespace) -> int:
    """Serve the tools over MCP (stdio for a desktop assistant, streamable HTTP at /mcp)."""
    from integrations.common import BookError, load_book
    from integrations.mcp_server import serve

    try:
        book = load_book(args.book)
    except BookError as err:
        raise InputError(str(err)) from None
    if args.time_limit <= 0:
        raise InputError("--time-limit: must be above zero seconds")
    if args.transport == "http":
        print(f"Householder MCP on http://{args.host}:{args.port}/mcp — households: {', '.join(book.names)}", file=sys.stderr, flush=True)
    serve(book, args.transport, args.host, args.port, solver=args.solver, time_limit=args.time_limit)
    return EXIT_OK


def cmd_api(args: argparse.Namespace) -> int:
    """Serve the HTTP API with uvicorn; without --tokens only on a loopback address."""
    from integrations.common import BookError, load_book
    from integrations.tokens import TokenError, load_tokens

    try:
        book = load_book(args.book)
        tokens = load_tokens(args.tokens) if args.tokens else None
    except (BookError, TokenError) as err:
        raise InputError(str(err)) from None
    if tokens is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        raise InputError(f"--tokens: serving on {args.host} needs a tokens file (see integrations/tokens.py); without one the API listens on loopback only")
    if args.time_limit <= 0:
        raise InputError("--time-limit: must be above zero seconds")
    import uvicorn

    from integrations.api import create_app

    app = create_app(book, tokens, solver=args.solver, time_limit=args.time_limit, workers=args.workers)
    print(f"Householder API on http://{args.host}:{args.port} (docs at /docs) — households: {', '.join(book.names)}", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_keep_alive=5)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="householder", description="Household-level, tax-aware rebalancing across accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("rebalance", help="bring the household back to target at the least tax")
    _add_plan_flags(p)
    p.add_argument("--force", action="store_true", help="rebalance even when every class is inside its band")
    p.set_defaults(run=cmd_rebalance)
    p = sub.add_parser("withdraw", help="raise cash at the least tax")
    _add_plan_flags(p)
    p.add_argument("--amount", required=True, help="dollars to raise")
    p.add_argument("--net", action="store_true", help="the household receives the amount after the estimated tax")
    p.set_defaults(run=cmd_withdraw)
    p = sub.add_parser("retire", help="a yearly retirement plan: withdrawals by account, Roth conversions, RMDs, Social Security age")
    p.add_argument("household", help="household JSON file")
    p.add_argument("--spending", help="after-tax spending a year, today's dollars (max-legacy)")
    p.add_argument("--until-age", type=int, default=95, help="the plan runs until the younger owner reaches this age (default 95)")
    p.add_argument("--objective", choices=["max-spending", "max-legacy"], default="max-legacy")
    p.add_argument("--claim-ss", default="auto", help="auto (the plan chooses 62-70) or an age")
    p.add_argument("--no-conversions", action="store_true", help="no Roth conversions")
    p.add_argument("--heirs-rate", type=float, default=0.25, help="heirs' tax rate on traditional money left (default 0.25)")
    p.add_argument("--inflation", type=float, default=0.025, help="a year (default 0.025); brackets are indexed by it")
    p.add_argument("--law-expires", type=int, help="assume the pre-2018 brackets from this year (a hypothesis, e.g. Owl's 2032)")
    p.add_argument("--time-limit", type=float, default=10.0, help="seconds; the best plan found by then is returned with its gap (default 10)")
    p.add_argument("--json", action="store_true", help="print the summary, the years and year 1's lot-level trades as JSON")
    p.add_argument("--trades-csv", metavar="FILE", help="write year 1's orders (withdrawals and conversions at lot level) as CSV (atomically)")
    p.add_argument("--trades-format", choices=["generic", "desk", "desk-lots"], default="generic", help="layout of --trades-csv (as for the other tools)")
    p.set_defaults(run=cmd_retire)
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
    p = sub.add_parser("import", help="build a household file from custodian exports (or a positions CSV) and a targets file")
    p.add_argument("files", nargs="+", metavar="FILE", help="Schwab, Fidelity, Vanguard or IBKR exports (detected), or one CSV with account, kind, ticker, shares, cost_basis, acquired")
    p.add_argument("--targets", required=True, help="JSON with name, as_of, tax, targets, securities")
    p.add_argument("-o", "--output", help="household JSON to write (atomically); stdout if omitted")
    p.set_defaults(run=cmd_import)
    p = sub.add_parser("serve", help="start the chat app (Chainlit, headless) on http://HOST:PORT")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--household", action="append", metavar="FILE", help="household JSON (repeatable); default: the examples")
    p.add_argument("--users", metavar="FILE", help="advisors' logins and households (see examples/login/users.json); needs CHAINLIT_AUTH_SECRET")
    p.set_defaults(run=cmd_serve)
    p = sub.add_parser("audit", help="list the chat app's audit trail: plans shown or downloaded")
    p.add_argument("--user", help="only this advisor's records")
    p.add_argument("--since", help="only records at or after this ISO date or time (UTC), e.g. 2026-12-01")
    p.add_argument("--database", metavar="URL", help="default: HOUSEHOLDER_DATABASE_URL, else .householder/householder.db")
    p.set_defaults(run=cmd_audit)
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
    p.add_argument("--tolerance", type=float, help="drift band per asset class, fraction (default: each household's, else 0.03)")
    p.add_argument("--min-trade", type=float, default=100.0, help="smallest order, dollars (default 100)")
    p.add_argument("--horizon", type=float, default=10.0, help="years over which location is valued (default 10)")
    p.set_defaults(run=cmd_batch)
    for name, helptext in (("mcp", "serve the tools over MCP (stdio or streamable HTTP) for any assistant"), ("api", "serve the tools as an HTTP API (FastAPI) for the overlay")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--book", metavar="FOLDER", help="folder of household JSON files (default: the examples)")
        if name == "mcp":
            p.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="stdio (default) or streamable HTTP at /mcp")
        else:
            p.add_argument("--tokens", metavar="FILE", help="bearer tokens and their households (see integrations/tokens.py); required off loopback")
            p.add_argument("--workers", type=int, default=2, help="solver worker processes (default 2)")
        p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        p.add_argument("--port", type=int, default=8765 if name == "mcp" else 8080, help="port (default %(default)s)")
        p.add_argument("--solver", choices=["auto", "glpk", "highs"], default="auto")
        p.add_argument("--time-limit", type=float, default=30.0, help="most seconds per solve; the best plan by then is answered with its gap (default 30)")
        p.set_defaults(run=cmd_mcp if name == "mcp" else cmd_api)
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
