"""Explanations rendered from an engine result with the templates in prompts/.

Every figure here is a field of the result (or of an engine comparison), formatted — never
added, subtracted or estimated. `grounded` checks a model's text the same way: each dollar
amount and percentage in it must be a number of the result, rounded as shown.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from engine import DISCLAIMER, Result
from engine.compare import Comparison
from engine.results import WITHIN_TOLERANCE
from formats import money as report_money
from engine.taxdata import EARLY_WITHDRAWAL_AGE, EARLY_WITHDRAWAL_PENALTY
from formats import percent as pct
from formats.markdown import escape_markdown as md

# Every explanation is Markdown. Whatever comes from a household file or a question (names, ids,
# tickers, asset classes, and engine messages that quote them) goes through `md` first, so a `|`
# cannot shift a table's columns, a URL does not become a link and HTML stays text.
PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
KIND_WORDS = {"taxable": "taxable account", "traditional": "traditional IRA/401(k)", "roth": "Roth", "hsa": "HSA"}


@lru_cache(maxsize=None)
def template(name: str) -> str:
    """A prompt file without its header comment."""
    text = (PROMPTS / f"{name}.md").read_text()
    return re.sub(r"^<!--.*?-->\s*", "", text, flags=re.S)


def money(x: float | None) -> str:
    """Dollars as the reports show them; a figure the result lacks reads n/a."""
    return "n/a" if x is None else report_money(x)


def _title(tool: str, arguments: dict) -> str:
    if tool == "withdraw":
        return f"Raise {money(arguments.get('amount'))}{' after tax' if arguments.get('net') else ''} for {md(arguments.get('household'))}"
    if tool == "contribute":
        return f"Invest {money(arguments.get('amount'))} in {md(arguments.get('account'))} for {md(arguments.get('household'))}"
    if tool == "compare":
        return f"What if — {arguments.get('tool')} with {_changes(arguments)} — for {md(arguments.get('household'))}"
    return {
        "rebalance": "Rebalance", "harvest": "Tax-loss harvesting", "locate": "Asset location", "household_summary": "Summary",
    }.get(tool, md(tool)) + f" for {md(arguments.get('household'))}"


def _changes(arguments: dict) -> str:
    before, after = arguments.get("before", {}), arguments.get("after", {})
    changed = [f"{md(k)} {md(repr(before.get(k)))} → {md(repr(after.get(k)))}" for k in after if after.get(k) != before.get(k) and k not in ("household", "audience")]
    return ", ".join(changed) or "no change"


_TRADING = ("withdraw", "rebalance", "harvest", "locate", "contribute", "compare")


def constraints_applied(tool: str, arguments: dict, kinds: dict[str, str] | None = None, plain: bool = False) -> str:
    """What the plan was told, said back so the advisor can see what was understood.

    "Applied: without touching sam-roth (Roth); not selling AAPL; gains kept under $20,000."
    Empty for tools that do not trade.
    """
    if tool not in _TRADING:
        return ""
    if tool == "compare":
        before = constraints_applied(arguments.get("tool", ""), arguments.get("before", {}), kinds, plain)
        after = constraints_applied(arguments.get("tool", ""), arguments.get("after", {}), kinds, plain)
        return f"Compared: {before.removeprefix('Applied: ')} against: {after.removeprefix('Applied: ')}"
    kinds = kinds or {}
    said = []
    for a in arguments.get("exclude_accounts") or []:
        kind = KIND_WORDS.get(kinds.get(a, ""), kinds.get(a, ""))
        if plain:
            said.append(f"without touching your {md(kind or 'account')} ({md(a)})")
        else:
            said.append(f"without touching {md(a)}" + (f" ({md(kind)})" if kind else ""))
    if arguments.get("no_sell"):
        said.append("not selling " + ", ".join(map(md, arguments["no_sell"])))
    budget = arguments.get("gain_budget")
    if budget == "bracket":
        said.append("gains kept within the current tax bracket")
    elif budget == 0:
        said.append("no net realized gains")
    elif budget is not None:
        said.append(f"gains kept under {money(budget)}")
    if tool == "withdraw":
        said.append("the amount is after tax" if arguments.get("net") else "the amount is before tax")
    if tool == "harvest":
        said.append(f"losses of at least {money(arguments.get('min_loss', 500.0))}")
        if arguments.get("include_gains"):
            said.append("0% gains harvested too")
    if tool == "locate" and arguments.get("horizon") is not None:
        said.append(f"valued over {arguments['horizon']:g} years")
    if not said:
        return "We applied no restrictions beyond the household's own." if plain else "Applied: no constraints beyond the household's own restrictions."
    text = "; ".join(said)
    return ("As you asked, we planned this " + text + ".") if plain else f"Applied: {text}."


def _trades(r: Result) -> str:
    if not r.trades:
        return "No trades."
    rows = ["| account | action | ticker | shares | amount | lot | gain | term |", "|---|---|---|---|---|---|---|---|"]
    for t in r.trades:
        rows.append(f"| {md(t.account)} | {t.action} | {md(t.ticker)} | {t.shares:g} | {money(t.amount)} | {md(t.lot_id or '')} | {money(t.realized_gain) if t.realized_gain is not None else ''} | {t.term or ''} |")
    return "\n".join(rows)


def _allocation(r: Result) -> str:
    if not r.before:
        return ""
    if not r.after:
        return f"Drift from target: {pct(r.before.drift)}; location score {r.before.location_score:.1f}; annual tax drag {money(r.before.annual_tax_drag)}."
    text = (f"Drift from target {pct(r.before.drift)} → {pct(r.after.drift)}; location score {r.before.location_score:.1f} → "
            f"{r.after.location_score:.1f}; annual tax drag {money(r.before.annual_tax_drag)} → {money(r.after.annual_tax_drag)}.")
    return text + ("\n\nOff target, and why:\n" + "\n".join(f"- {md(n)}" for n in r.off_target) if r.off_target else "")


def _taxes(r: Result) -> str:
    if not r.taxes:
        return ""
    t = r.taxes
    line = f"Realized gains: short-term {money(t.short_term_gain)}, long-term {money(t.long_term_gain)}; estimated tax {money(t.estimated_tax)}"
    if t.withdrawal_income_tax:
        line += f" (of which {money(t.withdrawal_income_tax)} income tax on traditional withdrawals)"
    if t.loss_carryforward:
        line += f"; {money(t.loss_carryforward)} of loss carries forward"
    return line + "."


def _savings(r: Result) -> str:
    x = r.extra
    if "withdrawal" in x and "baselines" in x:
        b = x["baselines"]
        return (f"Taking it account by account would cost {money(b['taxable_first']['estimated_tax'])} in tax (taxable first) or "
                f"{money(b['pro_rata']['estimated_tax'])} (pro rata); this plan saves {money(x['savings_tax'])} against the cheaper.")
    if r.savings and r.baseline:
        s = r.savings
        return (f"Against rebalancing each account on its own (tax {money(r.baseline.estimated_tax)}), the household plan saves "
                f"{money(s.tax)} in tax today and {money(s.location_value)} after tax over the horizon from better location; "
                f"{money(s.total)} in all, in today's dollars.")
    return ""


def _accounts(r: Result, kinds: dict[str, str]) -> str:
    lines = []
    for account in dict.fromkeys(t.account for t in r.trades):
        kind = kinds.get(account, "")
        sells = [t for t in r.trades if t.account == account and t.action == "sell"]
        if kind == "taxable":
            losses = [t for t in sells if (t.realized_gain or 0) < 0]
            why = "sells realize gains or losses here, so it sells loss lots and high-basis lots first" + (f" ({len(losses)} at a loss)" if losses else "")
        elif kind:
            why = f"trades inside a {KIND_WORDS[kind]} realize no tax, so it does the reshuffling here"
        else:
            why = ""
        lines.append(f"- {md(account)} ({md(KIND_WORDS.get(kind, kind))}): {why}.")
    return "Why each account:\n" + "\n".join(lines) if lines else ""


def _details(r: Result) -> str:
    x, out = r.extra, []
    if "withdrawal" in x:
        w = x["withdrawal"]
        out.append(f"Withdrawal: gross {money(w['gross'])}, estimated tax {money(w['estimated_tax'])}, net {money(w['net'])}; from "
                   + ", ".join(f"{md(a)} {money(v)}" for a, v in w["by_account"].items()) + ".")
    if "max_raisable" in x:
        out.append(f"The most this household can raise is {money(x['max_raisable'])}.")
    if "candidates" in x:
        for c in x["candidates"]:
            out.append(f"- {md(c['ticker'])} lot {md(c['lot_id'])} in {md(c['account'])}: loss {money(c['loss'])} ({c['term']}-term), worth {money(c['tax_value'])} in tax"
                       + (f"; replace with {md(c['replacement'])}" if c["replacement"] else "") + ("" if c.get("harvested") else " — not harvested"))
        for b in x.get("blocked", []):
            out.append(f"- blocked: {md(b['ticker'])} lot {md(b['lot_id'])} in {md(b['account'])}: {md(b['why'])}")
        if x.get("loss_rules"):
            out.append(md(x["loss_rules"]))
    if "location" in x:
        loc = x["location"]
        out.append(f"Location score {loc['score_now']} now, {loc['score_after_plan']} after these moves (100 = best reachable); "
                   f"{money(loc['gained_over_horizon_by_plan'])} more after tax over {loc['horizon_years']:g} years.")
        out += [f"{a['rank']}. {md(a['action'])} — {money(a['benefit_over_horizon'])} over the horizon, {money(a['tax_cost_today'])} tax today"
                for a in x.get("next_best_actions", [])]
    if "accounts" in x and r.tool == "household_summary":
        out += [f"- {md(a['id'])} ({md(KIND_WORDS.get(a['kind'], a['kind']))}): {money(a['value'])}, {a['lots']} lots" for a in x["accounts"]]
        if r.before:
            out.append("Allocation: " + ", ".join(f"{md(c)} {pct(w)} (target {pct(x['targets'].get(c, 0.0))})" for c, w in r.before.allocation.items()))
        out.append(f"Unrealized gain in taxable accounts: {money(x['unrealized_gain'])}.")
    if r.do_not_buy:
        out.append("Do not buy until the date shown, in any household account (wash-sale rule): "
                   + ", ".join(f"{md(d.ticker)} until {d.until}" for d in r.do_not_buy) + ".")
    return "\n".join(out)


def _status(r: Result) -> str:
    if r.message == WITHIN_TOLERANCE:
        return f"Status: {WITHIN_TOLERANCE} (every class inside its tolerance band; ask to rebalance anyway to trade back to target)."
    if r.status in ("optimal", "feasible"):
        extra = f", within {100 * r.gap:.2f}% of the best possible (time limit)" if r.status == "feasible" and r.gap else ""
        return f"Status: {r.status} ({r.solver}, {r.solve_seconds:.2f} s{extra})."
    return f"Status: {r.status}. {md(r.message or '')}"


def _client(r: Result, arguments: dict) -> dict[str, str]:
    x = r.extra
    if r.status not in ("optimal", "feasible"):
        summary = f"We looked at your request, but it can't be done as asked: {md(r.message or '')}"
        return {"client_summary": summary, "client_tax": "", "client_savings": "", "client_next": "We'd be glad to talk through other options."}
    n = len(r.trades)
    if "withdrawal" in x:
        w = x["withdrawal"]
        summary = (f"To provide the {money(w['gross'])} you asked for, we recommend taking it from "
                   + ", ".join(f"your {md(a)} account ({money(v)})" for a, v in w["by_account"].items())
                   + f", with {n} trades that also keep your investments on their target mix.")
    elif r.tool == "harvest":
        summary = f"We found {len(x.get('candidates', []))} investments trading below what you paid. Selling them and buying similar funds keeps your mix the same while the losses lower your taxes."
    elif r.tool == "locate":
        loc = x.get("location", {})
        summary = f"We reviewed which of your accounts holds which investments. Rearranging them ({n} trades) could leave you {money(loc.get('gained_over_horizon_by_plan'))} more after tax over the next {loc.get('horizon_years', 10):g} years."
    elif r.tool == "household_summary":
        summary = f"Your accounts are worth {money(r.before.value if r.before else None)} together, and your mix is {pct(r.before.drift) if r.before else 'n/a'} away from its target."
    elif r.message == WITHIN_TOLERANCE and r.before:
        summary = (f"Your investments are {pct(r.before.drift)} from their target mix, within the ranges we agreed for each part of it, "
                   "so we recommend no trades now.")
    else:
        summary = (f"Your investments had drifted {pct(r.before.drift)} from their target mix. We recommend {n} trades across your accounts "
                   f"to bring them back to {pct(r.after.drift)}." if r.before and r.after else "")
    if r.off_target and r.tool != "household_summary":
        # Plain words for the letter; the advisor's text names each class, position and dollar figure.
        summary += (" Part of your mix stays slightly off its target, because moving it further would cost you tax"
                    " or go against a rule we keep for your accounts; we will look at it again as money comes in or goes out.")
    tax = ""
    if r.taxes:
        est = r.taxes.estimated_tax
        tax = (f"We estimate this lowers your taxes by {money(-est)}." if est < 0 else
               "We estimate no tax from these trades." if est == 0 else f"We estimate the tax from these trades at {money(est)}.")
    savings = ""
    if "savings_tax" in x and x["savings_tax"] > 0:
        savings = f"That is {money(x['savings_tax'])} less tax than taking the money out the usual way."
    elif r.savings and r.savings.total > 0:
        savings = f"Looking at all your accounts together, rather than one at a time, is worth about {money(r.savings.total)} to you in today's dollars."
    nxt = "If you agree, we will place the trades this week."
    if r.do_not_buy:
        nxt += " For the next 30 days we will avoid buying back the funds we sell at a loss, in every one of your accounts."
    return {"client_summary": summary, "client_tax": tax, "client_savings": savings, "client_next": nxt}


def _support(r: Result, arguments: dict, kinds: dict[str, str], alternative: tuple[str, Comparison | None, Result | None] | None) -> dict[str, str]:
    decided = []
    if r.status not in ("optimal", "feasible"):
        decided.append(f"- No plan: {md(r.message or '')}")
    for account in dict.fromkeys(t.account for t in r.trades):
        kind = kinds.get(account, "")
        if kind in ("traditional", "roth", "hsa"):
            decided.append(f"- {md(account)} is a {KIND_WORDS[kind]}: selling there realizes no tax, so the engine trades there first.")
        elif kind == "taxable":
            decided.append(f"- {md(account)} is taxable: every sale is priced lot by lot at its short- or long-term rate; losses are used before gains.")
    if r.tool == "withdraw":
        decided.append(f"- Withdrawal cost per dollar: taxable = tax on the gains realized; traditional = ordinary rate (plus {EARLY_WITHDRAWAL_PENALTY:.0%} "
                       f"before {EARLY_WITHDRAWAL_AGE:g}); Roth/HSA = an opportunity cost above the traditional rate, so tax-free money comes last.")
    if r.after and r.before:
        decided.append(f"- Allocation first: drift is weighed against tax and trading cost alone (heavily beyond a class's band, lightly inside it); "
                       f"location and harvested losses only choose among plans of that allocation. Drift went {pct(r.before.drift)} → {pct(r.after.drift)}.")
    decided += [f"- Left off target: {md(n)}" for n in r.off_target]
    alt = "No alternative was run."
    if alternative:
        label, cmp_, alt_result = alternative
        if alt_result is not None and alt_result.status not in ("optimal", "feasible"):
            alt = f"{md(label)}: not possible — {md(alt_result.message or '')}"
        elif cmp_ is not None:
            tax_delta = cmp_.withdrawal_tax if cmp_.withdrawal_tax is not None else cmp_.estimated_tax
            word = "more" if tax_delta > 0 else "less"
            alt = f"{md(label)} would cost {money(abs(tax_delta))} {word} in tax" + (
                f" (estimated tax {money(alt_result.extra['withdrawal']['estimated_tax'] if 'withdrawal' in alt_result.extra else alt_result.taxes.estimated_tax)})" if alt_result and alt_result.taxes else "") + "."
        elif r.extra.get("baselines"):
            b = r.extra["baselines"]
            alt = f"Taking it taxable-first would cost {money(b['taxable_first']['estimated_tax'])} in tax, pro rata {money(b['pro_rata']['estimated_tax'])}; this plan saves {money(r.extra['savings_tax'])} against the cheaper."
        elif r.baseline and r.savings:
            alt = f"Rebalancing each account alone would cost {money(r.baseline.estimated_tax)} in tax; the household plan saves {money(r.savings.tax)}."
    cons = [f"- {md(k)}: {md(v)}" for k, v in arguments.items() if k in ("exclude_accounts", "no_sell", "gain_budget") and v not in (None, [], "")]
    return {"decided_by": "\n".join(decided) or "- Nothing to decide.", "alternative": alt, "constraints": "\n".join(cons) or "- none beyond the household's own restrictions"}


def explain(result: Result | None, tool: str, arguments: dict, audience: str, kinds: dict[str, str],
            alternative: tuple[str, Comparison | None, Result | None] | None = None, comparison: Comparison | None = None) -> str:
    """The templated explanation of one tool result for one audience."""
    if result is None:
        return template("clarify").format(reply="No result.", disclaimer=DISCLAIMER)
    if tool == "retire":
        from .retire_explain import explain_retire

        return explain_retire(result, arguments, audience)
    fields = {
        "household": md(arguments.get("household", result.household)), "headline": _title(tool, arguments), "status": _status(result),
        "trades": _trades(result), "allocation": _allocation(result), "taxes": _taxes(result), "savings": _savings(result),
        "accounts": _accounts(result, kinds), "details": _details(result),
        "applied": constraints_applied(tool, arguments, kinds), "client_applied": constraints_applied(tool, arguments, kinds, plain=True),
        "warnings": "\n".join(f"Note: {md(w)}" for w in result.warnings), "disclaimer": DISCLAIMER,
    }
    if comparison is not None:
        fields["savings"] += (f"\nCompared with the previous plan: estimated tax {'+' if comparison.estimated_tax >= 0 else '-'}{money(abs(comparison.estimated_tax))}"
                              f", {comparison.trades:+d} trades.")
    if audience == "client":
        fields.update(_client(result, arguments))
        text = template("client").format(**fields)
    elif audience == "support":
        fields.update(_support(result, arguments, kinds, alternative))
        text = template("support").format(**fields)
    else:
        text = template("advisor").format(**fields)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# ---- grounding ---------------------------------------------------------------------------
# The model never types a figure. It writes references to fields of the tool's result --
# {taxes.estimated_tax}, {trades[2].amount}, {extra.withdrawal.gross}, {comparison.estimated_tax},
# {arguments.amount} -- and the code renders them. Any figure left in the model's own words
# (digits that are not a reference, an ISO date or a name from the result such as "dana-401k";
# number words such as "twelve percent" or "3,141 dollars") rejects the whole text, and the
# templated explanation is used instead.

_REFERENCE = re.compile(r"\{(?P<path>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d{1,4}\]){0,8})\}")
_PATH_PART = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d{1,4})\]")
_PERCENT_KEYS = re.compile(r"drift|weight|allocation|gap|rate|share|tolerance|percent|targets", re.I)
_COUNT_KEYS = re.compile(r"shares|trades|lots|rank|count|horizon|years|score|seconds|age", re.I)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_ACCOUNT_TYPES = re.compile(r"\b(?:401|403|457)\s?\(?[kb]\)?|\b529s?\b", re.I)
_NUMBER_WORD = re.compile(
    r"\b(?:zero|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen"
    r"|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|dozens?|grand"
    r"|half|halves|thirds?|quarters?|twice|double[sd]?|triple[sd]?|percent|per cent|percentage|bps|basis points?"
    r"|one (?=hundred|thousand|million|billion|percent|dollar|point|and a half))\b",
    re.I,
)
_DIGIT = re.compile(r"\d+(?:[.,]\d+)*")


def _sources(result: Result | None, comparison: Comparison | None, arguments: dict) -> dict:
    data = result.model_dump(mode="json") if result is not None else {}
    if comparison is not None:
        data["comparison"] = comparison.model_dump(mode="json")
    data["arguments"] = arguments
    return data


def _lookup(data, path: str):
    value = data
    for name, index in _PATH_PART.findall(path):
        if name:
            if not isinstance(value, dict) or name not in value:
                raise KeyError(path)
            value = value[name]
        else:
            i = int(index)
            if not isinstance(value, list) or i >= len(value):
                raise KeyError(path)
            value = value[i]
    return value


def render_value(path: str, value) -> str:
    """One field as the reports show it: money in cents, weights as percent, counts plain."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise ValueError(path)
    if isinstance(value, str):
        return md(value)  # a name from the household file, into the model's Markdown
    last = _PATH_PART.findall(path)[-1][0] if _PATH_PART.findall(path) else path
    if _PERCENT_KEYS.search(last):
        return pct(value)
    if _COUNT_KEYS.search(last):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return money(value)


def _identifiers(data) -> list[str]:
    """Names in the result that contain digits ("dana-401k", lot "L2", "BRK.B"): not figures."""
    out: set[str] = set()

    def walk(obj, key=""):
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, k)
        elif isinstance(obj, list):
            for v in obj:
                walk(v, key)
        elif isinstance(obj, str) and any(c.isdigit() for c in obj) and not _DATE.fullmatch(obj) and not re.fullmatch(r"[\d.,\s$%-]+", obj):
            out.add(obj)
        if isinstance(obj, dict):
            for k in obj:
                if any(c.isdigit() for c in str(k)):
                    out.add(str(k))

    walk(data)
    return sorted(out, key=len, reverse=True)


def render_references(text: str, result: Result | None, arguments: dict, comparison: Comparison | None = None) -> tuple[str, list[str]]:
    """(the text with every {reference} rendered, the problems found).

    A problem is a reference to no field (or to a whole list or object), or a figure the model
    typed itself. With any problem the text must not be shown.
    """
    data = _sources(result, comparison, arguments)
    problems: list[str] = []
    rendered: list[str] = []

    def fill(m: re.Match) -> str:
        try:
            rendered.append(render_value(m.group("path"), _lookup(data, m.group("path"))))
            return "\x00" * 1  # a placeholder no figure check can read as a digit
        except (KeyError, ValueError):
            problems.append("{" + m.group("path") + "}")
            return "\x00"

    skeleton = _REFERENCE.sub(fill, text)
    problems += typed_figures(skeleton, data)
    parts = skeleton.split("\x00")
    out = parts[0] + "".join((rendered[i] if i < len(rendered) else "") + part for i, part in enumerate(parts[1:]))
    return out, problems


def typed_figures(text: str, data=None) -> list[str]:
    """Figures written by hand in `text`: digits that are no date, account type or result name, and number words."""
    for name in _identifiers(data or {}):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text, flags=re.I)
    text = _ACCOUNT_TYPES.sub(" ", _DATE.sub(" ", text))
    found = [m.group(0) for m in _DIGIT.finditer(text)]
    found += [m.group(0) for m in _NUMBER_WORD.finditer(text)]
    # A reference glued to a digit ("{taxes.estimated_tax}0") is caught above: the 0 is typed.
    return found


def grounded(text: str, *sources) -> list[str]:
    """The figures in `text` the model typed itself (every figure must be a reference): [] when none.

    `sources` are results, comparisons or dicts whose names ("dana-401k") are not figures.
    """
    data = [s.model_dump(mode="json") if hasattr(s, "model_dump") else s for s in sources]
    return typed_figures(_REFERENCE.sub(" ", text), data)
