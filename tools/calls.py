"""One typed call per engine tool. A call validates its arguments, finds the household,
runs one engine function and returns the engine's result: no arithmetic here."""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine import Options, Result, contribute, harvest, locate, rebalance, withdraw
from engine.compare import Comparison, compare, summarize, with_no_sell

from .book import HouseholdBook

Audience = Literal["advisor", "client", "support"]  # who an answer is written for: a rendering choice, not a tool argument


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")
    household: Optional[str] = Field(None, description="household name among the loaded ones; may be left out when only one is loaded")


class _PlanArgs(_Args):
    gain_budget: Optional[Union[float, Literal["bracket"]]] = Field(None, description="most net realized gain in dollars, or 'bracket'")
    exclude_accounts: list[str] = Field(default_factory=list, description="account ids the plan may not touch")
    no_sell: list[str] = Field(default_factory=list, description="tickers not to sell in any account")


class RebalanceArgs(_PlanArgs):
    """Bring the household back to its target allocation at the least tax."""

    to: Optional[Literal["target", "band-edge"]] = Field(None, description="what a band breach trades back to; default: the household's (target)")
    force: bool = Field(False, description="rebalance even when every class is inside its band")


class WithdrawArgs(_PlanArgs):
    """Raise cash from the household tax-efficiently."""

    amount: float = Field(gt=0, description="dollars to raise")
    net: bool = Field(False, description="true when the amount is wanted after tax")


class HarvestArgs(_PlanArgs):
    """Find and plan tax-loss harvesting, wash-sale safe across all accounts."""

    min_loss: float = Field(500.0, ge=0, description="smallest loss worth harvesting, dollars")
    include_gains: bool = Field(False, description="also harvest long-term gains in the 0% bracket")


class LocateArgs(_Args):
    """Score the asset location and list the next best moves."""

    horizon: float = Field(10.0, gt=0, le=60, description="years over which location is valued")
    exclude_accounts: list[str] = Field(default_factory=list)


class ContributeArgs(_Args):
    """Invest new money in one account toward target and best location."""

    amount: float = Field(gt=0, description="dollars to invest")
    account: str = Field(description="account id receiving the money")


class SummaryArgs(_Args):
    """What the household holds now: accounts, allocation against target, drift, location."""


class RetireArgs(_Args):
    """A yearly retirement plan over many years: withdrawals by account, Roth conversions, RMDs and the Social Security claiming age; year 1 as lot-level trades."""

    spending: Optional[float] = Field(None, gt=0, le=10_000_000, description="after-tax spending a year, today's dollars; left out: the most the household can spend every year")
    years: Optional[int] = Field(None, ge=1, le=60, description="years the plan runs; default: until the younger owner is 95")
    claim_ss: Union[Literal["auto"], Annotated[int, Field(ge=62, le=70)]] = Field("auto", description="'auto' (the plan chooses 62-70) or one claiming age")
    conversions: bool = Field(True, description="allow Roth conversions")
    alternatives: list[Literal["no-conversions", "claim-62", "claim-67", "claim-70"]] = Field(
        default_factory=list, description="the same plan solved again with one change, to compare"
    )
    focus: Literal["plan", "conversion", "claiming"] = Field("plan", description="what the answer leads with (rendering only)")


class CompareArgs(_Args):
    """What if: run one tool twice, as before and with the change, and compare the two plans."""

    tool: Literal["rebalance", "withdraw", "harvest", "locate", "contribute"] = Field(description="the tool both plans use")
    before: dict = Field(default_factory=dict, description="that tool's arguments for the plan to compare against")
    after: dict = Field(default_factory=dict, description="that tool's arguments with the what-if change")


ARGS: dict[str, type[_Args]] = {
    "rebalance": RebalanceArgs,
    "withdraw": WithdrawArgs,
    "harvest": HarvestArgs,
    "locate": LocateArgs,
    "contribute": ContributeArgs,
    "household_summary": SummaryArgs,
    "compare": CompareArgs,
    "retire": RetireArgs,
}


class ToolOutcome(BaseModel):
    tool: str
    arguments: dict
    result: Optional[Result] = None
    comparison: Optional[Comparison] = None
    error: Optional[str] = None


def _bad_accounts(h, names: list[str]) -> str:
    ids = [a.id for a in h.accounts]
    bad = [n for n in names if n not in ids]
    return f"no account {', '.join(map(repr, bad))} in {h.name}; accounts are: {', '.join(ids)}" if bad else ""


def call_tool(book: HouseholdBook, tool: str, arguments: dict, solver: str = "auto", time_limit: float = 30.0) -> ToolOutcome:
    """Validate and run one tool call. Bad arguments come back as an error naming what is valid."""
    if tool not in ARGS:
        return ToolOutcome(tool=tool, arguments=arguments, error=f"unknown tool {tool!r}; tools are: {', '.join(ARGS)}")
    # Who the answer is for changes how it is written, never the plan: an older caller's
    # "audience" is set aside here rather than rejected.
    arguments = {k: v for k, v in arguments.items() if k != "audience"}
    try:
        args = ARGS[tool].model_validate(arguments)
    except ValidationError as err:
        e = err.errors()[0]
        return ToolOutcome(tool=tool, arguments=arguments, error=f"{'.'.join(map(str, e['loc']))}: {e['msg']}")
    h, why = book.find(args.household)
    if h is None:
        return ToolOutcome(tool=tool, arguments=arguments, error=why)
    if isinstance(args, CompareArgs):
        return _compare(book, args, h.name, solver, time_limit)
    if isinstance(args, RetireArgs):
        return _retire(h, args)
    clean = args.model_dump(exclude_defaults=False)
    clean["household"] = h.name
    excluded = getattr(args, "exclude_accounts", [])
    problem = _bad_accounts(h, excluded + ([args.account] if isinstance(args, ContributeArgs) else []))
    unknown = [t for t in getattr(args, "no_sell", []) if t not in {s.ticker for s in h.securities}]
    if unknown:
        problem = f"no security {', '.join(unknown)} in {h.name}; it holds: {', '.join(s.ticker for s in h.securities)}"
    if problem:
        return ToolOutcome(tool=tool, arguments=clean, error=problem)
    if getattr(args, "no_sell", None):
        h = with_no_sell(h, args.no_sell)
    options = Options(solver=solver, time_limit=time_limit, exclude_accounts=excluded, gain_budget=getattr(args, "gain_budget", None))
    if isinstance(args, RebalanceArgs):
        result = rebalance(h, options.model_copy(update={"to": args.to, "force": args.force}))
    elif isinstance(args, WithdrawArgs):
        result = withdraw(h, args.amount, args.net, options)
    elif isinstance(args, HarvestArgs):
        result = harvest(h, args.min_loss, args.include_gains, options)
    elif isinstance(args, LocateArgs):
        result = locate(h, options.model_copy(update={"horizon_years": args.horizon}))
    elif isinstance(args, ContributeArgs):
        result = contribute(h, args.amount, args.account, options)
    else:
        result = summarize(h)
    return ToolOutcome(tool=tool, arguments=clean, result=result)


def _compare(book: HouseholdBook, args: CompareArgs, household: str, solver: str, time_limit: float = 30.0) -> ToolOutcome:
    """Both plans come from the engine, and so does their difference."""
    runs = [call_tool(book, args.tool, {**side, "household": household}, solver, time_limit) for side in (args.before, args.after)]
    clean = {"household": household, "tool": args.tool, "before": runs[0].arguments, "after": runs[1].arguments}
    failed = next((r.error for r in runs if r.error), None)
    if failed:
        return ToolOutcome(tool="compare", arguments=clean, error=failed)
    return ToolOutcome(tool="compare", arguments=clean, result=runs[1].result, comparison=compare_outcomes(runs[0], runs[1]))


def compare_outcomes(previous: ToolOutcome, current: ToolOutcome) -> Comparison | None:
    if previous.result is None or current.result is None:
        return None
    return compare(previous.result, current.result)


RETIRE_SECONDS = 10.0  # the plan's time limit; each alternative gets less (their gaps are reported)
ALTERNATIVE_SECONDS = 4.0


def _retire(h, args: RetireArgs) -> ToolOutcome:
    from engine.retire.assumptions import Assumptions
    from engine.retire.result import retire_result, until_age_for

    clean = args.model_dump(exclude_defaults=False)
    clean["household"] = h.name
    try:
        until = until_age_for(h, args.years) if args.years else 95
        a = Assumptions(
            spending=args.spending or 0.0,
            until_age=until,
            objective="max-legacy" if args.spending else "max-spending",
            claim_ss=args.claim_ss,
            conversions=args.conversions,
            time_limit=RETIRE_SECONDS,
        )
        result = retire_result(h, a, args.alternatives, ALTERNATIVE_SECONDS)
    except (ValueError, ValidationError) as err:
        return ToolOutcome(tool="retire", arguments=clean, error=str(err).splitlines()[0])
    return ToolOutcome(tool="retire", arguments=clean, result=result)
