"""The offline question parser: advisor phrasing to the same typed tool calls a model would make.

Deterministic and rule-based. It reads intent (raise cash, rebalance, harvest, location,
contribute, summary), amounts ("$50k", "1.2m", "fifty thousand"), constraints ("without touching
the Roth", "keep gains under $10k", "don't sell Apple", "after tax") and follow-ups that modify the
last call ("make it $80k", "what if we leave the IRA alone?"). When unsure it asks one short
question with examples; it never guesses a call that trades.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine import Household
from tools.book import HouseholdBook

EXAMPLES = (
    'Try: "Raise $50k tax-efficiently", "Rebalance the household", '
    '"Any tax-loss harvesting?", "How well are the assets located?"'
)


@dataclass
class Call:
    tool: str
    arguments: dict
    why_account: str | None = None  # support question: "why did it sell from the IRA?"


@dataclass
class Reply:
    kind: str  # "clarify" or "refuse"
    text: str


@dataclass
class Context:
    """What a conversation remembers for follow-ups."""

    household: str | None = None
    last: Call | None = None
    audience: str = "advisor"


# ---- amounts ---------------------------------------------------------------------------

_UNITS = {"k": 1e3, "K": 1e3, "thousand": 1e3, "grand": 1e3, "m": 1e6, "M": 1e6, "mm": 1e6, "million": 1e6, "mn": 1e6}
_WORDS = {
    "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
_NUMBER = re.compile(
    r"(?P<dollar>\$)?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(?P<unit>k|K|mm|mn|m|M|thousand|grand|million)?\b(?P<dollars>\s?dollars|\s?bucks)?"
)
_WORD_AMOUNT = re.compile(
    r"\b(?P<words>(?:(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a|an|hundred)[\s-]*)+)(?P<unit>thousand|grand|million)\b"
)


@dataclass
class Amount:
    value: float
    start: int
    end: int
    money: bool  # written as money ($, k, thousand, dollars), not just a number


def _word_value(words: str) -> float:
    total = 0
    for w in re.split(r"[\s-]+", words.strip()):
        if not w:
            continue
        if w == "hundred":
            total = max(total, 1) * 100
        else:
            total += _WORDS[w]
    return float(total)


def find_amounts(text: str) -> list[Amount]:
    found: list[Amount] = []
    for m in _WORD_AMOUNT.finditer(text):
        found.append(Amount(_word_value(m.group("words")) * _UNITS[m.group("unit")], m.start(), m.end(), True))
    for m in _NUMBER.finditer(text):
        if any(a.start <= m.start() < a.end for a in found):
            continue
        value = float(m.group("num").replace(",", ""))
        unit = m.group("unit")
        # "401k" is an account, not $401,000.
        if unit in ("k", "K") and m.group("num") == "401" and not m.group("dollar"):
            continue
        if unit:
            value *= _UNITS[unit]
        money = bool(m.group("dollar") or unit or m.group("dollars") or "," in m.group("num"))
        found.append(Amount(value, m.start(), m.end(), money))
    return sorted(found, key=lambda a: a.start)


# ---- accounts and securities --------------------------------------------------------------

_KIND_WORDS = [
    (r"\broth(?:\s+ira)?s?\b", "roth"),
    (r"\bhsas?\b|\bhealth savings\b", "hsa"),
    (r"\b(?:traditional\s+)?iras?\b|\b401\s?\(?k\)?s?\b|\b403\s?\(?b\)?\b|\btraditional\b|\bpre-?tax\b|\btax[- ]deferred\b|\brollover\b", "traditional"),
    (r"\btaxable\b|\bbrokerage\b|\bjoint(?: account)?\b|\bnon-?qualified\b", "taxable"),
]
_COMPANIES = {
    "apple": "AAPL", "microsoft": "MSFT", "tesla": "TSLA", "amazon": "AMZN", "google": "GOOGL", "alphabet": "GOOGL",
    "nvidia": "NVDA", "meta": "META", "facebook": "META", "coca-cola": "KO", "coca cola": "KO", "coke": "KO",
    "berkshire": "BRK.B", "johnson & johnson": "JNJ", "exxon": "XOM", "walmart": "WMT", "disney": "DIS", "ibm": "IBM",
}


def accounts_named(phrase: str, h: Household) -> list[str] | None:
    """Account ids a phrase like "the Roth", "Sam's IRA" or "joint-taxable" names; None if none."""
    p = phrase.lower().strip()
    ids = [a.id for a in h.accounts if a.id.lower() in p]
    if ids:
        return ids
    kinds = []
    for pattern, kind in _KIND_WORDS:
        if re.search(pattern, p):
            kinds.append(kind)
            break  # "Roth IRA" is a Roth, not a traditional IRA
    if not kinds:
        return None
    accts = [a for a in h.accounts if a.kind in kinds]
    owners = [a for a in accts if a.owner and re.search(rf"\b{re.escape(a.owner.lower())}\b", p)]
    return [a.id for a in (owners or accts)] or []


def tickers_named(phrase: str, h: Household) -> tuple[list[str], list[str]]:
    """(tickers the household has, names it does not hold) mentioned in a phrase."""
    held = {s.ticker.upper(): s.ticker for s in h.securities}
    found, missing = [], []
    for word in re.findall(r"[A-Za-z][A-Za-z.]{0,5}", phrase):
        if word.upper() in held and (word.isupper() or len(word) >= 3) and word.lower() not in ("the", "and", "all", "any", "ira", "roth"):
            t = held[word.upper()]
            if t not in found:
                found.append(t)
    low = phrase.lower()
    for name, ticker in _COMPANIES.items():
        if re.search(rf"\b{re.escape(name)}\b", low):
            if ticker in held.values():
                if ticker not in found:
                    found.append(ticker)
            else:
                missing.append(name.title())
    return found, missing


# ---- the parse ---------------------------------------------------------------------------

_INTENTS = [
    ("contribute", r"\b(contribut\w*|deposit\w*|new money|put (?:in|into)|add(?:ing)? .{0,30}\bto (?:the |his |her |their )?\w+|invest(?:ing)? (?:\$|\d|the|a|an|another|new|fresh|fifty|twenty|ten|thirty|forty|one|two|five)[^?]{0,40}\b(?:in|into)\b)"),
    ("withdraw", r"\b(raise|withdraw\w*|take (?:out|\$)|pull(?:ing)? (?:out|\$|\d)|cash out|free up|generate|need(?:s)? (?:\$|\d|cash|money|some cash|to raise)|needs? .{0,25}\b(?:cash|money|dollars|thousand|grand)\b|distribution|liquidity|liquidate|get (?:\$|\d)|sell (?:enough|to raise)|come up with|spending money|fund (?:a|the|their|his|her) )"),
    ("harvest", r"\b(harvest\w*|tax[- ]loss|tlh|losses|loss[- ]harvest\w*|book (?:some |the )?loss\w*|realize (?:some |the )?loss\w*|capture (?:the )?loss\w*|underwater)"),
    ("locate", r"\b(locat\w*|right accounts?|wrong accounts?|which accounts? should|tax drag|tax[- ]efficien\w* placement|placed|placement|belong)"),
    ("rebalance", r"\b(rebalanc\w*|back to (?:the )?target|back on target|drift\w*|realign|re-?align|target (?:allocation|mix|weights)|out of balance|off target|trim\w*|reset (?:the )?allocation|get back to)"),
    ("household_summary", r"\b(summar\w*|overview|snapshot|what does .{0,30}\bhold|holdings|how (?:is|are) .{0,30}(?:doing|positioned|allocated)|current allocation|where do .{0,20}stand|show me .{0,30}(?:portfolio|household|accounts))"),
]
_OFF_TOPIC = re.compile(
    r"\b(weather|joke|poem|recipe|bitcoin|crypto|dogecoin|lottery|horoscope|sports?|football|movie|song|stock tip|predict|forecast|will the market|which stock|hot stock|best stock|capital of|translate|ignore (?:all |previous |prior |the )?instructions|system prompt|password|hack)\b"
)
_FOLLOW_UP = re.compile(r"^\s*(?:and|also|what if|what about|how about|instead|same|now|ok(?:ay)?|then|make it|try|but|and if|redo|again)\b|\b(?:instead|too|as well|also)\b[?.!]*\s*$")
_EXCLUDE = re.compile(
    r"(?:without (?:touching|using|tapping|selling (?:from|in|anything in))|leave|leaving|keep(?:ing)?|don'?t touch|do not touch|not (?:from|touch(?:ing)?|use|using)|except(?: for)?|exclud\w*|avoid(?:ing)?|spare|skip(?:ping)?|no (?:trades|selling) in|nothing (?:from|in)|hands off)\s+(?P<what>(?:the |his |her |their |our |my |[A-Z][a-z]+'s )?[\w' -]{2,40}?)(?=\s+(?:alone|untouched|out of it|off[- ]limits|intact|as is)\b|[?.!,;]|\s+and\b|\s+but\b|\s+for\b|\s+when\b|$)"
)
_UNTOUCHED = re.compile(r"(?:the |his |her |their |our |my )?(?P<what>[\w' -]{2,30}?)\s+(?:is |are |stays? |remains? )?(?:off[- ]limits|untouched|stays? as is)")
_GAIN_BUDGET = re.compile(r"\b(?:gains?|capital gains?|realized gains?|realised gains?)\b[^.?!]{0,30}?\b(?:under|below|less than|no more than|at most|up to|within|cap(?:ped)? at|limit(?:ed)? to|max(?:imum)?(?: of)?|budget(?: of)?|to)\b\s*$|\bgain budget(?: of)?\s*$|\bcap (?:the )?gains? at\s*$|\blimit (?:the )?gains? to\s*$")
_MIN_LOSS = re.compile(r"\b(?:loss(?:es)?|down)\b[^.?!]{0,25}?\b(?:over|above|more than|bigger than|larger than|at least|greater than|of at least|exceeding|worth more than)\s*$|\bmin(?:imum)? loss(?: of)?\s*$")
_NO_GAINS = re.compile(r"\b(?:no|zero|without (?:realizing |realising |taking |triggering |any )*(?:capital )?)gains?\b|\bwithout (?:realizing|realising|triggering|taking) (?:any )?(?:capital )?gains\b|\bno (?:capital )?gains? at all\b|\bdon'?t realize (?:any )?gains\b")
_BRACKET = re.compile(r"\b(?:stay|staying|keep(?:ing)? (?:them|it|us|him|her)?|remain)\s*(?:with)?in (?:the |their |his |her |our |my |current )*(?:tax )?bracket\b|\bbracket headroom\b|\bwithout (?:going into|crossing|bumping into) (?:the |a )?(?:next|higher) bracket\b")
_NET = re.compile(r"\b(?:after[- ]tax(?:es)?|net of (?:tax|taxes)|net\b|in hand|take[- ]home|in their pocket|clear|after taxes|after paying (?:the )?tax(?:es)?)\b")
_GROSS = re.compile(r"\b(?:gross|before tax(?:es)?|pre-tax amount)\b")
_NO_SELL = re.compile(r"(?:don'?t|do not|never|without|no|not|avoid|won'?t)\s+(?:sell(?:ing)?|touch(?:ing)?|trim(?:ming)?|part(?:ing)? with)\s+(?:any (?:of )?(?:the |their |his |her )?)?(?P<what>[\w.&' -]{2,40}?)(?=[?.!,;]|\s+(?:and|but|shares|stock|position|when|for|in)\b|$)|(?:keep|hold(?: on to| onto)?)\s+(?:the |their |his |her |all (?:the )?)?(?P<what2>[\w.&' -]{2,30}?)\s+(?:shares|stock|position)")
_CLIENT = re.compile(r"\b(?:for the client|client[- ](?:facing|letter|draft|version|email|note)|letter|draft (?:a |an )?(?:note|email|letter)|explain (?:it |this )?to (?:the )?clients?|in plain (?:english|words|language)|for (?:the )?(?:riveras|family|couple) to read|send (?:to|it to) (?:the )?client)\b")
_SUPPORT = re.compile(r"\b(?:why did (?:it|the (?:engine|plan|model)|you|we)|why (?:is|are|was|were) (?:it|we|you|the plan)|why not|for support|support (?:team|colleague|view)|what decided|explain the (?:decision|reasoning)|justify)\b")
_ADVISOR = re.compile(r"\b(?:for me|advisor view|technical|details?|back to the advisor)\b")
_GAINS_TOO = re.compile(r"\b(?:0%|zero[- ]percent|0 percent|gains? (?:too|as well)|harvest (?:some )?gains|step[- ]up|gain harvesting|include gains)\b")
_HORIZON = re.compile(r"\b(?:over|across|for|with|on)\s+(?:a\s+)?(?P<n>\d{1,2})[- ]?(?:years?|yrs?)(?:[- ]horizon)?\b|\b(?P<m>\d{1,2})[- ](?:year|yr) horizon\b")
_HOUSEHOLD_REF = re.compile(r"\b(?:the\s+)?(?P<name>[A-Z][a-z]+)(?:s'|'s|s)?\s+(?:household|family)\b|\b(?:for|of|help) the (?P<name2>[A-Z][a-z]+s)\b")
_VAGUE_AMOUNT = re.compile(r"\b(?:some|a (?:bit|little|lot|chunk|few)|enough|more|lots of|plenty of|several|a couple of|a few)\s+(?:of\s+)?(?:cash|money|dollars|grand|thousand)\b")


def _household(question: str, book: HouseholdBook, ctx: Context) -> tuple[Household | None, Reply | None]:
    mentioned = book.mentioned_in(question)
    if len(mentioned) > 1:
        return None, Reply("clarify", f"That names more than one household ({', '.join(h.name for h in mentioned)}); which one?")
    if mentioned:
        return mentioned[0], None
    for m in _HOUSEHOLD_REF.finditer(question):
        name = m.group("name") or m.group("name2")
        if name and name.lower() not in ("roth", "ira", "hsa", "the"):
            h, why = book.find(name)
            if h is None:
                return None, Reply("refuse", f"I don't have a household called {name}. {why[0].upper() + why[1:]}.")
            return h, None
    h, why = book.find(ctx.household)
    if h is None:
        return None, Reply("clarify", f"Which household is this about? Loaded: {', '.join(book.names) or 'none'}.")
    return h, None


def _principal(amounts: list[Amount], text: str, roles: dict[int, str]) -> list[float]:
    return [a.value for a in amounts if id(a) not in roles and a.money]


def _roles(text: str, amounts: list[Amount]) -> dict[int, str]:
    """Which amounts are a gain budget, a minimum loss or a horizon rather than the amount to move."""
    roles: dict[int, str] = {}
    for a in amounts:
        before, after = text[: a.start], text[a.end:]
        if re.match(r"\s*(?:-\s*)?(?:years?|yrs?)\b", after):
            roles[id(a)] = "horizon"
        elif _GAIN_BUDGET.search(before[-60:]):
            roles[id(a)] = "gain_budget"
        elif re.match(r"\s*(?:of|in)?\s*(?:realized |capital )?gains?\b", after) and re.search(r"\b(?:under|below|less than|no more than|at most|up to|max(?:imum)?|cap(?:ped)? at|limit(?:ed)? to|within)\s*$", before[-25:]):
            roles[id(a)] = "gain_budget"
        elif _MIN_LOSS.search(before[-50:]) or re.match(r"\s*(?:or more )?(?:of |in )?loss(?:es)?\b", after):
            roles[id(a)] = "min_loss"
        elif re.match(r"\s*(?:%|percent)", after):
            roles[id(a)] = "percent"
    return roles


def _exclusions(text: str, h: Household) -> tuple[list[str], Reply | None]:
    out: list[str] = []
    phrases = [m.group("what") for m in _EXCLUDE.finditer(text)] + [m.group("what") for m in _UNTOUCHED.finditer(text)]
    for phrase in phrases:
        if re.search(r"\b(?:gains?|tax(?:es)?|bracket|losses|apple|shares|stock|position|cash reserve|drift|target|allocation|it|them|that|this|plan|trades?|costs?|low|simple|in mind)\b", phrase.lower()) and accounts_named(phrase, h) is None:
            continue
        ids = accounts_named(phrase, h)
        if ids is None:
            if re.search(r"\b(?:account|529|ira|roth|hsa|401|trust|custodial|annuity|pension)\b", phrase.lower()):
                valid = ", ".join(f"{a.id} ({a.kind})" for a in h.accounts)
                return [], Reply("clarify", f"I can't find an account matching \"{phrase.strip()}\" in {h.name}. Its accounts are: {valid}.")
            continue
        if not ids:
            valid = ", ".join(f"{a.id} ({a.kind})" for a in h.accounts)
            return [], Reply("clarify", f"{h.name} has no {phrase.strip()} account. Its accounts are: {valid}.")
        out += [i for i in ids if i not in out]
    return out, None


def _no_sell(text: str, h: Household) -> tuple[list[str], Reply | None]:
    out: list[str] = []
    for m in _NO_SELL.finditer(text):
        phrase = m.group("what") or m.group("what2") or ""
        if accounts_named(phrase, h) is not None and not tickers_named(phrase, h)[0]:
            continue
        found, missing = tickers_named(phrase, h)
        if missing and not found:
            return [], Reply("clarify", f"{h.name} holds no {', '.join(missing)}; it holds {', '.join(s.ticker for s in h.securities)}.")
        out += [t for t in found if t not in out]
    return out, None


def _audience(text: str, ctx: Context) -> str:
    if _CLIENT.search(text):
        return "client"
    if _SUPPORT.search(text):
        return "support"
    if _ADVISOR.search(text):
        return "advisor"
    return ctx.audience


def parse(question: str, book: HouseholdBook, ctx: Context | None = None) -> Call | Reply:
    """One question to one typed call, or one short reply (clarify / refuse) that trades nothing."""
    ctx = ctx or Context()
    text = " ".join(question.replace("’", "'").replace("“", '"').replace("”", '"').split())
    low = text.lower()
    if not low.strip():
        return Reply("clarify", "What would you like to know about the household? " + EXAMPLES)
    if _OFF_TOPIC.search(low):
        return Reply("refuse", "I can only help with this household's accounts: raising cash, rebalancing, tax-loss harvesting, asset location and contributions. " + EXAMPLES)
    h, reply = _household(text, book, ctx)
    if reply:
        return reply
    assert h is not None

    intents = [name for name, pattern in _INTENTS if re.search(pattern, low)]
    # Losses in "keep losses/gains" talk are constraints, not a harvest request, when another intent is present.
    if "harvest" in intents and len(intents) > 1 and not re.search(r"\bharvest|tax[- ]loss|tlh\b", low):
        intents.remove("harvest")
    if "household_summary" in intents and len(intents) > 1:
        intents.remove("household_summary")
    amounts = find_amounts(text)
    roles = _roles(text, amounts)
    principal = _principal(amounts, text, roles)
    last = ctx.last if (ctx.last and ctx.last.arguments.get("household") == h.name) else None
    follow_up = last is not None and (not intents or _FOLLOW_UP.search(low) is not None)

    if intents:
        tool = intents[0]
        if follow_up and last is not None and tool == last.tool:
            args = dict(last.arguments)
        elif follow_up and last is not None:
            # "and harvest losses too?": a new tool, keeping the household and the exclusions.
            args = {"household": h.name, "exclude_accounts": list(last.arguments.get("exclude_accounts", []))}
        else:
            args = {"household": h.name}
    elif last is not None:
        tool, args = last.tool, dict(last.arguments)
    elif principal:
        return Reply("clarify", f"What should I do with {', '.join(f'${v:,.0f}' for v in principal)}: raise it as cash, or invest it? " + EXAMPLES)
    else:
        return Reply("clarify", "I'm not sure what you'd like me to run. " + EXAMPLES)

    excluded, reply = _exclusions(text, h)
    if reply:
        return reply
    if excluded:
        args["exclude_accounts"] = sorted(set(args.get("exclude_accounts", [])) | set(excluded), key=[a.id for a in h.accounts].index)
    if re.search(r"\b(?:any account|all accounts|touch (?:any|everything)|include the \w+ again|use (?:the )?\w+ (?:again|too))\b", low) and last:
        args["exclude_accounts"] = []

    tickers, reply = _no_sell(text, h)
    if reply:
        return reply
    if tickers:
        args["no_sell"] = sorted(set(args.get("no_sell", [])) | set(tickers))

    budget = [a.value for a in amounts if roles.get(id(a)) == "gain_budget"]
    if budget:
        args["gain_budget"] = budget[0]
    elif _BRACKET.search(low):
        args["gain_budget"] = "bracket"
    elif _NO_GAINS.search(low) and not re.search(r"\bharvest (?:some )?gains|gains (?:too|as well)\b", low):
        args["gain_budget"] = 0.0

    if tool in ("withdraw", "contribute"):
        if _NET.search(low):
            args["net"] = True
        elif _GROSS.search(low):
            args["net"] = False
        if len(set(principal)) > 1:
            choices = " or ".join(f"${v:,.0f}" for v in sorted(set(principal)))
            return Reply("clarify", f"Which amount did you mean: {choices}?")
        if principal:
            args["amount"] = principal[0]
        elif "amount" not in args:
            plain = [a.value for a in amounts if id(a) not in roles and a.value >= 100]
            if len(plain) == 1:
                args["amount"] = plain[0]
            else:
                verb = "raise" if tool == "withdraw" else "invest"
                hint = " (\"some cash\" isn't an amount)" if _VAGUE_AMOUNT.search(low) else ""
                return Reply("clarify", f"How much should I {verb} for {h.name}{hint}? For example: \"{verb} $50k\" or \"{verb} $25,000 after tax\".")
        if tool == "withdraw":
            args.pop("account", None)
    if tool == "contribute":
        ids = None
        m = re.search(r"\b(?:in|into|to)\s+(?P<what>(?:the |his |her |their |[A-Z][a-z]+'s )?[\w' -]{2,30}?)(?=[?.!,;]|\s+(?:and|but|for|account)\b|$)", text)
        if m:
            ids = accounts_named(m.group("what"), h)
        if ids is None and last and last.tool == "contribute":
            ids = [last.arguments["account"]]
        if not ids:
            valid = ", ".join(f"{a.id} ({a.kind})" for a in h.accounts)
            return Reply("clarify", f"Which account should receive the money? {h.name} has: {valid}.")
        if len(ids) > 1:
            return Reply("clarify", f"Which one: {', '.join(ids)}?")
        args["account"] = ids[0]
        args.pop("net", None)
    if tool == "harvest":
        loss = [a.value for a in amounts if roles.get(id(a)) == "min_loss"]
        if loss:
            args["min_loss"] = loss[0]
        if _GAINS_TOO.search(low):
            args["include_gains"] = True
        for key in ("amount", "net", "account"):
            args.pop(key, None)
    if tool == "locate":
        m = _HORIZON.search(low)
        if m:
            args["horizon"] = float(m.group("n") or m.group("m"))
        for key in ("amount", "net", "account", "gain_budget", "no_sell"):
            args.pop(key, None)
    if tool in ("rebalance", "household_summary"):
        for key in ("amount", "net", "account", "min_loss", "include_gains", "horizon"):
            args.pop(key, None)
    if tool == "household_summary":
        for key in ("gain_budget", "no_sell", "exclude_accounts"):
            args.pop(key, None)

    audience = _audience(text, ctx)
    args["audience"] = audience
    why = None
    if audience == "support":
        m = re.search(r"\b(?:sell|take|withdraw|draw|buy)\w*\s+(?:\w+\s+)?(?:from|in|out of)\s+(?P<what>(?:the |his |her |their |[A-Z][a-z]+'s )?[\w' -]{2,30}?)(?=[?.!,;]|$)", text)
        if m:
            ids = accounts_named(m.group("what"), h)
            why = ids[0] if ids else None
    return Call(tool, {k: v for k, v in args.items() if v is not None}, why)
