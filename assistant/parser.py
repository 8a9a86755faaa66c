"""The offline question parser: advisor phrasing to the same typed tool calls a model would make.

Deterministic and rule-based, in five steps:

1. guards: blank, off-topic or prompt-injection questions get a reply and nothing else;
2. household: named in the question ("for the Riveras", "the Ellis household") or the
   conversation's;
3. intent: which tool (raise cash, rebalance, harvest, location, contribute, summary), or the last
   call's tool when the question only modifies it ("make it $80k", "what if we leave the IRA alone?");
4. constraints: accounts not to touch, tickers not to sell, the gain budget, after tax, the
   audience; each phrase is resolved against *this* household's accounts and holdings;
5. arguments: named as the tool schemas name them (`tools.calls.ARGS`), nothing more.

It only extracts numbers stated in the question (unit words such as "k" or "million" are read as
part of the number); it never computes money. When unsure it asks one short question with
examples, and it never guesses a call that trades. Household data (names, account ids) is only
ever matched against, never read as instructions.
"""
from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass

from engine import Household

from .amounts import Amount, find_amounts
from .lexicon import correct, funds_named, household_words
from tools.book import HouseholdBook
from tools.calls import ARGS

EXAMPLES = (
    'Try: "Raise $50k tax-efficiently", "Rebalance the household", '
    '"Any tax-loss harvesting?", "How well are the assets located?"'
)

_CAN_DO = "raising cash, rebalancing, tax-loss harvesting, asset location, contributions and household summaries"


@dataclass
class Call:
    tool: str
    arguments: dict
    why_account: str | None = None  # support question: "why did it sell from the IRA?"
    audience: str | None = None  # who the answer is written for; a rendering choice, not a tool argument


@dataclass
class Reply:
    kind: str  # "clarify" or "refuse"
    text: str


@dataclass
class Pick:
    """What a picker chose: the call, and for a model its draft text with {references} to render."""

    call: Call
    draft: str | None = None


@dataclass
class Context:
    """What a conversation remembers for follow-ups."""

    household: str | None = None
    last: Call | None = None
    audience: str = "advisor"


class _Unclear(Exception):
    """Raised inside the parse when the question needs a clarifying reply instead of a call."""

    def __init__(self, reply: Reply):
        super().__init__(reply.text)
        self.reply = reply


def _clarify(text: str) -> _Unclear:
    return _Unclear(Reply("clarify", text))


# ---- amounts ---------------------------------------------------------------------------------
# One grammar (assistant/amounts.py) reads sign, currency, digits, unit words and number words.

# What an amount is for, read from the words around it. Anything else that looks like money is the
# amount to raise or invest.
_GAIN_CAP_WORD = r"(?:under|below|less than|no more than|not more than|more than|at most|up to|within|cap(?:ped)? at|limit(?:ed)? to|max(?:imum)?(?: of)?|budget(?: of)?|to|around|about|only)"
_GAIN_BUDGET_BEFORE = re.compile(
    rf"\bgains?\b[^.?!$]{{0,30}}?\b{_GAIN_CAP_WORD}\s*$"
    r"|\bgain budget(?: of| at| to)?\s*$"
    r"|\b(?:cap|limit)(?: the| realized| capital)* gains? (?:at|to)\s*$"
)
_GAIN_BUDGET_AFTER = re.compile(r"^\s*(?:of |in )?(?:realized |capital |net |taxable )*gains?\b")
_GAIN_BUDGET_NAMED_AFTER = re.compile(r"^\s*(?:of |in )?(?:realized |capital )*gains? (?:budget|cap|limit|max(?:imum)?)\b")
_GAIN_CAP_JUST_BEFORE = re.compile(rf"\b{_GAIN_CAP_WORD}\s*$")
_MIN_LOSS_BEFORE = re.compile(
    r"\b(?:loss(?:es)?|down|underwater)\b[^.?!$]{0,30}?\b(?:over|above|more than|bigger than|larger than|at least|greater than|exceeding|worth more than|minimum(?: of)?|min(?: of)?|threshold(?: of)?)\s*$"
    r"|\bmin(?:imum)? loss(?: of| at)?\s*$|\bloss threshold(?: of| at)?\s*$"
)
_MIN_LOSS_AFTER = re.compile(r"^\s*(?:or (?:more|bigger|larger)|and up|minimum|min)\b")
_YEARS_AFTER = re.compile(r"^\s*-?\s*(?:years?|yrs?)\b")
_PERCENT_AFTER = re.compile(r"^\s*(?:%|percent)")


def _role(text: str, a: Amount) -> str | None:
    """'horizon', 'percent', 'gain_budget', 'min_loss', or None for the amount to move."""
    before, after = text[: a.start], text[a.end:]
    if _YEARS_AFTER.match(after):
        return "horizon"
    if _PERCENT_AFTER.match(after):
        return "percent"
    if _GAIN_BUDGET_BEFORE.search(before[-60:]) or _GAIN_BUDGET_NAMED_AFTER.match(after):
        return "gain_budget"
    if _GAIN_BUDGET_AFTER.match(after) and _GAIN_CAP_JUST_BEFORE.search(before[-25:]):
        return "gain_budget"
    if _MIN_LOSS_BEFORE.search(before[-60:]) or _MIN_LOSS_AFTER.match(after):
        return "min_loss"
    return None


# "between $40k and $50k", "$50k or $80k", "40-50k": a range is not an amount. Read from the amounts
# already found (no regex over the whole text), so it is linear.
_RANGE_JOIN = {"or", "to", "-", "–", "and"}


def text_of(text: str, a: Amount) -> str:
    return text[a.start:a.end].strip()


def _is_range(text: str, amounts: list[Amount]) -> bool:
    for a, b in zip(amounts, amounts[1:]):
        join = text[a.end:b.start].strip().lower()
        if join in _RANGE_JOIN and b.money and b.value > 0:
            return True
    return False


# ---- accounts and securities ------------------------------------------------------------------
# Kind words, most specific first: "Roth IRA" is a Roth, so its text is used up before "IRA" is read.
_KIND_WORDS: list[tuple[re.Pattern, tuple[str, ...]]] = [
    (re.compile(r"\broth(?:\s+(?:ira|401\s?\(?k\)?))?s?\b"), ("roth",)),
    (re.compile(r"\bhsas?\b|\bhealth savings\b"), ("hsa",)),
    (re.compile(r"\bretirement\b"), ("traditional", "roth")),
    (re.compile(r"\btax[- ](?:free|exempt)\b"), ("roth", "hsa")),
    (re.compile(r"\b(?:traditional\s+)?iras?\b|\b401\s?\(?k\)?s?\b|\b403\s?\(?b\)?s?\b|\btraditional\b|\bpre-?tax\b|\btax[- ]deferred\b|\brollover\b"), ("traditional",)),
    (re.compile(r"(?<!non-)(?<!non )\btaxable\b|\bbrokerage\b|\bjoint\b|\bnon-?qualified\b|\bindividual\b"), ("taxable",)),
]
# Which kind of traditional account was said: an IRA and a 401(k) are not the same account.
_SUBTYPE = [("401", re.compile(r"\b401\s?\(?k\)?")), ("403", re.compile(r"\b403\s?\(?b\)?")), ("ira", re.compile(r"\b(?<!roth )iras?\b"))]
# Words that say "an account" even when this household has no such account.
_ACCOUNT_WORD = re.compile(
    r"\b(?:accounts?|529s?|trusts?|custodial|utma|ugma|annuit(?:y|ies)|pensions?|457b?|sep(?:-ira)?|coverdell|esa"
    r"|college (?:fund|savings)|checking|savings|cds?|money market|401\s?\(?k\)?|403\s?\(?b\)?|iras?|roths?|hsas?)\b"
)
_COMPANIES = {
    "apple": "AAPL", "microsoft": "MSFT", "tesla": "TSLA", "amazon": "AMZN", "google": "GOOGL", "alphabet": "GOOGL",
    "nvidia": "NVDA", "meta": "META", "facebook": "META", "coca-cola": "KO", "coca cola": "KO", "coke": "KO",
    "berkshire": "BRK.B", "johnson & johnson": "JNJ", "exxon": "XOM", "walmart": "WMT", "disney": "DIS", "ibm": "IBM",
    "netflix": "NFLX", "intel": "INTC", "pfizer": "PFE",
}
# Short words that happen to be spelled like tickers.
_NOT_TICKERS = {"the", "and", "all", "any", "ira", "roth", "hsa", "for", "out", "new", "now", "too", "net", "tax"}


def _persons(owner: str | None) -> list[str]:
    """'Alex & Sam' -> ['alex', 'sam']."""
    return [p.strip().lower() for p in re.split(r"&|\band\b|,|/", owner or "") if p.strip()]


def _people(h: Household) -> set[str]:
    return {p for a in h.accounts for p in _persons(a.owner)}


def _id_pattern(account_id: str) -> re.Pattern:
    # An id is said whole: "ira" in "the IRA" yes, "ira" inside "alex-ira" no.
    return re.compile(rf"(?<![\w-]){re.escape(account_id.lower())}(?![\w-])")


def accounts_named(phrase: str, h: Household) -> list[str] | None:
    """Account ids a phrase like "the Roth", "Sam's IRA" or "joint-taxable" names.

    None when the phrase names no account at all; [] when it names a kind of account this household
    does not have ("the HSA" for a household without one, "Sam's IRA" when Sam has only a Roth).
    """
    p = phrase.lower()
    kinds: list[str] = []
    rest = p
    for pattern, named in _KIND_WORDS:
        if pattern.search(rest):
            kinds += [k for k in named if k not in kinds]
            rest = pattern.sub(" ", rest)
    by_id = [a for a in h.accounts if _id_pattern(a.id).search(p)]
    if by_id:
        # Ellis's "roth" and "ira" are both ids; "the Roth IRA" is the Roth.
        if len(by_id) > 1 and kinds:
            by_id = [a for a in by_id if a.kind in kinds] or by_id
        return [a.id for a in by_id]
    if not kinds:
        return None
    found = [a for a in h.accounts if a.kind in kinds]
    if kinds == ["traditional"]:
        said = [tag for tag, pattern in _SUBTYPE if pattern.search(p)]
        if said:
            def subtype(a) -> str:
                return next((tag for tag, _ in _SUBTYPE[:2] if tag in a.id.lower()), "ira")
            found = [a for a in found if subtype(a) in said]
    named_people = [person for person in _people(h) if re.search(rf"\b{re.escape(person)}\b", p)]
    if named_people:
        found = [a for a in found if set(_persons(a.owner)) & set(named_people)]
    return [a.id for a in found]


def tickers_named(phrase: str, h: Household) -> tuple[list[str], list[str]]:
    """(tickers the household holds, company names it does not hold) mentioned in a phrase."""
    held = {s.ticker.upper(): s.ticker for s in h.securities}
    found, missing = [], []
    for word in re.findall(r"[A-Za-z][A-Za-z.]{0,5}", phrase):
        word = word.rstrip(".")
        if word.upper() in held and (word.isupper() or len(word) >= 3) and word.lower() not in _NOT_TICKERS:
            if held[word.upper()] not in found:
                found.append(held[word.upper()])
    if not found:
        funds, unheld = funds_named(phrase, h)
        if len(funds) > 1 and not re.search(r"\b(?:funds|etfs|all|both|every)\b", phrase, re.I):
            raise _clarify(f"\"{phrase.strip()}\" could be {' or '.join(funds)} in {h.name}; which one?")
        found += [t for t in funds if t not in found]
        missing += [n for n in unheld if n not in missing]
    low = phrase.lower()
    for name, ticker in _COMPANIES.items():
        if re.search(rf"\b{re.escape(name)}\b", low):
            if ticker in held.values():
                if ticker not in found:
                    found.append(ticker)
            elif name.title() not in missing:
                missing.append(name.title())
    return found, missing


def _account_list(h: Household) -> str:
    return ", ".join(f"{a.id} ({a.kind}{', ' + a.owner if a.owner else ''})" for a in h.accounts)


def _holdings_list(h: Household) -> str:
    return ", ".join(s.ticker for s in h.securities)


# ---- phrases that name accounts or holdings -------------------------------------------------
# After a trigger ("without touching", "don't sell", "into"), the words up to the end of the clause
# are split at "and"/"or"; each piece that names an account or a holding is kept, and the first
# piece that names neither ends the list ("the Roth and keep gains under $10k" names the Roth only).
_CLAUSE_END = re.compile(
    r"[.;:?!,()]|\s(?:but|so|while|when|because|if|unless|then|for|since|as long as|alone|untouched|intact|out of it|off[- ]limits|as is|instead|again|after all|too|as well|this time|for now)\b|\s-\s|\s—\s|$",
    re.I,
)
_LIST_SEPARATOR = re.compile(r"\s*,?\s+(?:and|or|nor|plus)\s+|\s*/\s*|\s*&\s*(?=the\b)", re.I)
_DETERMINERS = re.compile(r"^(?:(?:the|his|her|their|our|my|its|any|all|of|any of|all of|both|either|neither|shares of|stock in|some|those|these|that|this)\s+)+", re.I)
_FILLER = re.compile(r"\s+(?:account|accounts|shares|stock|stocks|position|positions|holdings?|money|funds?|please)$", re.I)


_CLAUSE_MAX = 160  # a clause is read at most this far: bounds the work per trigger word


def _clause_end(text: str, start: int) -> re.Match | None:
    return _CLAUSE_END.search(text, start, start + _CLAUSE_MAX)


@dataclass
class _Named:
    accounts: list[str]
    tickers: list[str]


def _pieces(text: str, start: int, h: Household) -> list[str]:
    end = _clause_end(text, start)
    clause = text[start: end.start() if end else len(text)]
    pieces: list[str] = []
    for piece in (p.strip() for p in _LIST_SEPARATOR.split(clause) if p.strip()):
        if pieces and pieces[-1].lower() in _people(h):
            # "Alex and Sam's joint account" is one account owned by two people, not two pieces.
            piece = f"{pieces.pop()} & {piece}"
        pieces.append(piece)
    return pieces


def _resolve_piece(piece: str, h: Household, selling: bool) -> _Named | None:
    """One piece of a clause -> the accounts or tickers it names; None if it names neither.

    Raises _Unclear when it names an account or a company this household does not have.
    """
    core = _FILLER.sub("", _DETERMINERS.sub("", piece.strip())).strip()
    if not core:
        return None
    ids = accounts_named(core, h)
    if ids:
        return _Named(ids, [])
    shown = re.sub(r"^(?:the|his|her|their|our|my)\s+", "", piece.strip(), flags=re.I)
    if ids == []:
        raise _clarify(f"{h.name} has no {shown}. Its accounts are: {_account_list(h)}.")
    tickers, missing = tickers_named(core, h)
    if tickers:
        return _Named([], tickers)
    if missing:
        raise _clarify(f"{h.name} holds no {', '.join(missing)}; it holds {_holdings_list(h)}.")
    people = [p for p in _people(h) if re.search(rf"\b{re.escape(p)}\b", core.lower())]
    if _ACCOUNT_WORD.search(core.lower()) or (people and re.search(r"\b(?:stuff|things|money|savings)\b|'s?$", core.lower())):
        who = f" of {people[0].title()}'s accounts" if people else ""
        raise _clarify(f"I can't find an account matching \"{shown}\" in {h.name}; which{who} do you mean? Its accounts are: {_account_list(h)}.")
    words = core.split()
    if selling and all(w[:1].isupper() for w in words) and not any(w.lower().strip("'s") in _people(h) for w in words):
        # "don't sell Tesla", "don't sell QQQ": a name we can't place would otherwise be ignored
        # silently ("don't sell before December" is not a name: it has lower-case words).
        raise _clarify(f"{h.name} holds no {core}; it holds {_holdings_list(h)}.")
    return None


def _named_after(text: str, start: int, h: Household, selling: bool, lead: int = 40) -> _Named:
    """Accounts and tickers listed from `start` to the end of the clause.

    When something is named, the trigger before it (up to `lead` characters) and the clause count as
    understood (see `_check_understood`).
    """
    out = _Named([], [])
    first = True
    while True:
        stopped = False
        for piece in _pieces(text, start, h):
            named = _resolve_piece(piece, h, selling) if first else _try_piece(piece, h, selling)
            if named is None:
                stopped = True
                break
            out.accounts += [a for a in named.accounts if a not in out.accounts]
            out.tickers += [t for t in named.tickers if t not in out.tickers]
        end = _clause_end(text, start)
        if out.accounts or out.tickers:
            _understood(max(0, start - lead), end.end() if end else len(text))
        # "the joint account, the IRA or the Roth": a comma continues the list when the next
        # clause names only accounts or holdings too.
        if stopped or not end or end.group() != "," or not (out.accounts or out.tickers):
            return out
        start, first = end.end(), False
        following = _pieces(text, start, h)
        if not following or any(_try_piece(p, h, selling) is None for p in following):
            return out


def _try_piece(piece: str, h: Household, selling: bool) -> _Named | None:
    try:
        return _resolve_piece(piece, h, selling)
    except _Unclear:
        return None


# Constraints that protect an account (never touch it) or a holding (never sell it). Each names what
# follows it; whether that is an account or a ticker is decided by the household, not the verb.
_PROTECT_SELLING = re.compile(
    r"\b(?:don'?t|do not|never|without|not|no|avoid|won'?t|can'?t|cannot|shouldn'?t)\s+"
    r"(?:sell(?:ing|s)?|trim(?:ming)?|part(?:ing)? with|dump(?:ing)?|liquidat(?:e|ing))\s+"
    r"(?:(?:anything|any shares|shares|any)\s+(?:in|from|out of|of)\s+)?"
    r"|\b(?:(?:hold|hang)(?:ing)? on ?to|keep(?:ing)?|retain(?:ing)?|preserv(?:e|ing))\s+(?:all\s+)?(?:of\s+)?",
    re.I,
)
_PROTECT_ACCOUNT = re.compile(
    r"\b(?:without|not|never|don'?t|do not|no|avoid(?:ing)?)\s+"
    r"(?:touch(?:ing)?|us(?:e|ing)|tap(?:ping)?|trad(?:e|ing)(?: in)?|draw(?:ing)? (?:on|from|down)|pull(?:ing)? (?:money |anything )?(?:from|out of)|tak(?:e|ing) (?:money |anything )?(?:from|out of)|withdraw(?:ing)? (?:money |anything )?from|sales (?:in|from)|trades (?:in|from)|withdrawals? from)\s+"
    r"|\b(?:leave|leaving)(?: out)?\s+|\bavoid(?:ing)?\s+|\bnot (?:from|in)\s+|\bnothing (?:from|in|out of)\s+|\bexcept(?: for)?\s+|\bexclud(?:e|ing)\s+"
    r"|\bspare\s+|\bskip(?:ping)?\s+|\bhands off(?: of)?\s+|\bprotect(?:ing)?\s+|\bkeep(?:ing)?\s+(?=(?:the |his |her |their |our )?[\w' -]{1,40}?\s+(?:intact|untouched|whole|off[- ]limits|out of it|as is)\b)"
    r"|\b(?:anything|everything|any account|all accounts?) (?:but|except|other than)\s+|\bwithout\s+(?=(?:the|his|her|their|our)\s)",
    re.I,
)
# "the Roth is off-limits", "Alex's IRA stays untouched": the account comes first.
_OFF_LIMITS = re.compile(
    r"\b(?P<what>(?:(?:the|his|her|their|our|my)\s+|[A-Z][a-z]+'s\s+)?[\w'-]+(?:\s+[\w'-]+){0,2}?)\s+(?:is|are|stays?|remains?|must stay|should stay)\s+(?:off[- ]limits|untouched|out of bounds|out of it|sacred)",
    re.I,
)
# "only from the taxable account" is the opposite of an exclusion: every other account is excluded.
_ONLY_FROM = re.compile(r"\bonly (?:from|out of|use|using|touch|tap|sell from|take (?:it )?from|draw (?:it )?from|in) (?:the )?|\b(?:use|using|tap|tapping|touch|touching|from) only (?:the )?", re.I)
# "raise $50k from the IRA": right after the amount, the source account (every other one is left alone).
_FROM_SOURCE = re.compile(r"^\s*(?:out\s+)?(?:from|of)\s+(?!(?:anything|everything|any|all)\b)", re.I)
# Taking a protection back: "use the Roth again", "you can touch the IRA after all", "fine to sell Apple".
_RELEASE = re.compile(
    r"(?<!not )(?<!n't )(?<!never )(?<!without )\b(?:us(?:e|ing)|touch(?:ing)?|tap(?:ping)?|includ(?:e|ing)|sell(?:ing)?(?: from)?|draw on|trade(?: in)?|add back|bring back|put back|unexclude|re-?include|release)\s+"
    r"(?=[^.?!]{0,80}?\b(?:again|after all|too|as well|back|now)\b)"
    r"|\b(?:can|may|ok(?:ay)? to|fine to|allowed to|free to|go ahead and)\s+(?:us(?:e|ing)|touch|tap|includ(?:e|ing)|sell(?: from)?|draw on|trade(?: in)?)\s+",
    re.I,
)
_ANY_ACCOUNT = re.compile(r"\b(?:use|touch|tap|from) any account\b|\bany account is (?:fine|ok(?:ay)?)\b|\ball accounts (?:are )?(?:fine|ok(?:ay)?|in play)\b|\bno (?:account )?restrictions\b", re.I)
_SELL_NOTHING = re.compile(r"\b(?:don'?t|do not|never|without) sell(?:ing)? (?:anything|everything|any shares)(?!\s+(?:in|from|out of|of)\b)", re.I)


def _protections(text: str, h: Household, sources: list[Amount] = ()) -> tuple[list[str], list[str]]:
    """(account ids not to touch, tickers not to sell) stated in the question.

    `sources` are amounts to raise; an account named right after one ("$50k from the IRA") is the
    only account to take it from.
    """
    accounts: list[str] = []
    tickers: list[str] = []

    def add(named: _Named) -> None:
        accounts.extend(a for a in named.accounts if a not in accounts)
        tickers.extend(t for t in named.tickers if t not in tickers)

    for m in _PROTECT_SELLING.finditer(text):
        add(_named_after(text, m.end(), h, selling=True))
    for m in _PROTECT_ACCOUNT.finditer(text):
        add(_named_after(text, m.end(), h, selling=False))
    protected = list(accounts)
    for m in _OFF_LIMITS.finditer(text):
        named = _resolve_piece(m.group("what"), h, selling=False)
        if named:
            _understood(m.start(), m.end())
            protected += named.accounts
            add(named)
    starts = [m.end() for m in _ONLY_FROM.finditer(text)]
    starts += [a.end + m.end() for a in sources if (m := _FROM_SOURCE.match(text[a.end:]))]
    for start in starts:
        kept = _named_after(text, start, h, selling=False).accounts
        if kept:
            clash = [a for a in kept if a in protected]
            if clash:
                raise _clarify(f"You asked to use {', '.join(clash)} and also to leave it alone. Which is it? Accounts: {_account_list(h)}.")
            add(_Named([a.id for a in h.accounts if a.id not in kept], []))
    return accounts, tickers


def _releases(text: str, h: Household) -> _Named:
    """Accounts and tickers the question allows again."""
    out = _Named([], [])
    for m in _RELEASE.finditer(text):
        try:
            named = _named_after(text, m.end(), h, selling=False)
        except _Unclear:
            continue
        out.accounts += named.accounts
        out.tickers += named.tickers
    return out


# ---- households -------------------------------------------------------------------------------
# "the Smith family", "the Okafor-Lindqvist household", "for the Riveras": a household said by name.
_HOUSEHOLD_REF = re.compile(
    r"\b(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)*)(?:s'|'s|s)?\s+(?:household|family)\b"
    r"|\b(?:for|of|help|about|with) (?:the |Mr\.? |Mrs\.? |Ms\.? )(?P<plural>[A-Z][a-z]+(?:-[A-Z][a-z]+)*s)\b"
)
_NOT_A_HOUSEHOLD = {
    "the", "this", "that", "their", "our", "my", "his", "her", "whole", "entire", "same", "client", "clients",
    "joint", "family", "household", "roth", "roths", "ira", "iras", "hsa", "hsas", "new", "which", "what", "each", "every",
}


_FAMILY_REF = re.compile(r"\bthe (?P<name>[A-Z][a-z]{2,}(?:-[A-Z][a-z]+)*)(?:s'|s\b|'s\b)|\b(?P=name)?(?P<x>)(?!)")
_NOT_A_NAME = {"roth", "iras", "hsas", "bond", "bonds", "stock", "stocks", "fund", "funds", "account", "accounts", "client", "joint", "taxe", "gain", "loss"}


def _name_words(text: str) -> list[str]:
    # "Riveras", "Rivera's" and "Rivera" are one name; "household" and "family" are not part of it.
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in ("the", "household", "family", "s")]
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words]


def _household(text: str, book: HouseholdBook, ctx: Context) -> tuple[Household, bool]:
    """(the household, whether the question named it)."""
    words = set(_name_words(text))
    by_name = [h for n, h in book.households.items() if _name_words(n) and all(w in words for w in _name_words(n))]
    # A file name ("couple", "retiree") is also an ordinary word: it may pick a household only when
    # the conversation has none yet, never switch away from the one being discussed.
    by_file = [h for h in book.mentioned_in(text) if h not in by_name] if not ctx.household else []
    mentioned = by_name or by_file
    for m in _HOUSEHOLD_REF.finditer(text):
        name = m.group("name") or m.group("plural")
        if name.lower() in _NOT_A_HOUSEHOLD:
            continue
        _add_named(book, name, mentioned)
    # "Rebalance the Smiths", "what's in the Garcias' accounts": a family named that is not loaded is
    # refused, never swapped for the conversation's household.
    here, _ = book.find(ctx.household)
    known = household_words(here) if here is not None else set()
    for m in _FAMILY_REF.finditer(text):
        name = m.group("name")
        if name.lower() in _NOT_A_HOUSEHOLD or name.lower() in known or name.lower() in _COMPANIES or name.lower() in _NOT_A_NAME:
            continue
        _add_named(book, name, mentioned)
    if len(mentioned) > 1:
        raise _clarify(f"That names more than one household ({', '.join(h.name for h in mentioned)}); which one?")
    if mentioned:
        return mentioned[0], True
    h, _ = book.find(ctx.household)
    if h is None:
        raise _clarify(f"Which household is this about? Loaded: {', '.join(book.names) or 'none'}.")
    return h, False


# ---- intents ------------------------------------------------------------------------------------
# Listed most specific first: "invest $20k into the Roth" is a contribution even though it also
# mentions money. Which of several wins is decided in `_tool_said`.
_INTENTS: list[tuple[str, re.Pattern]] = [
    ("retire", re.compile(
        r"\b(?:fund(?:ing)?|pay for|cover|finance|last)\b[^.?!]{0,40}\b(?:next|coming) \d{1,2}[- ]?(?:years?|yrs?)\b|\bretirement (?:income|plan(?:ning)?|paycheck|spending)\b"
        r"|\bconvert\w*\b[^.?!]{0,40}\broth\b|\broth conversions?\b|\bsocial security\b|\bclaim(?:ing)? (?:ss|benefits?|her benefits?|his benefits?)\b"
        r"|\bwhen should (?:she|he|they|[A-Z][a-z]+) claim\b|\bclaiming age\b|\bmulti-?year (?:plan|withdrawal)", re.I)),
    ("contribute", re.compile(
        r"\b(?:contribut\w*|deposit\w*|new money|fresh money|put\b[^.?!]{0,40}\b(?:in|into)\b|add(?:ing)?\b[^.?!]{0,30}\bto (?:the |his |her |their |[A-Z][a-z]+'s )?\w+"
        r"|invest(?:ing)?\b[^.?!]{0,40}\b(?:in|into)\b|putting\b[^.?!]{0,40}\b(?:in|into|to)\b|adds?\b[^.?!]{0,30}\bto\b|added\b[^.?!]{0,30}\bto\b"
        r"|max(?:ing|es)? out|top(?:ping|s)? up|sock(?:ing|s)? away|fund(?:ing|s)? (?:the|his|her|their|[A-Z][a-z]+'s) (?:roth|ira|hsa|401k|403b))", re.I)),
    ("withdraw", re.compile(
        r"\b(?:raise|raising|withdraw\w*|take (?:out|\$|\d)|taking out|pull(?:ing)? (?:out|\$|\d)|cash out|free up|generate|need(?:s|ed)? (?:\$|\d|cash|money|some cash|to raise|liquidity)"
        r"|needs? [^.?!]{0,25}\b(?:cash|money|dollars|thousand|grand|million)\b|distribution|liquidity|liquidat\w*|get (?:\$|\d)|sell (?:enough|to raise|\$|\d)|come up with|spending money"
        r"|fund (?:a|the|their|his|her) |cover (?:a|the|their) \w+ (?:bill|payment|purchase)"
        r"|take (?:it |them |money |cash |some )?out|pull (?:together|out)|pay(?:ing)? out|payout|distribute|get (?:them|her|him|us|me) (?:\$|\d|cash|money|\w+ (?:grand|thousand))"
        r"|send (?:them|her|him) (?:\$|\d)|access (?:\$|\d)|sell (?:some|down) (?:\w+ )?(?:to|for) (?:cash|raise)|cash (?:for|to cover))", re.I)),
    ("harvest", re.compile(r"\b(?:harvest\w*|tax[- ]loss|tlh|losses|loss[- ]harvest\w*|book (?:some |the )?loss\w*|realize (?:some |the )?loss\w*|capture (?:the )?loss\w*|underwater)", re.I)),
    ("locate", re.compile(
        r"\b(?:locat\w*|right accounts?|wrong accounts?|which accounts? should|tax drag|placement|placed|belong|(?:right|wrong|best|proper) (?:place|spot|home|accounts?)"
        r"|where (?:should|do|does|are|is) [^.?!]{0,30}\b(?:sit|sitting|live|be held|go|held|kept)|sitting in|tax[- ]efficient (?:placement|location)|in the right)", re.I)),
    ("rebalance", re.compile(r"\b(?:rebalanc\w*|back to \d{1,3}/\d{1,3}|(?:get|bring|put|move) (?:them|it|us|everything|the \w+|things) back (?:to|on|in line)|in line with (?:the |its |their )?target|back in line|back to (?:the |its |their )?targets?|back on target|drift\w*|realign\w*|re-align\w*|target (?:allocation|mix|weights)|out of balance|off target|reset (?:the )?allocation)", re.I)),
    ("household_summary", re.compile(
        r"\b(?:summar\w*|overview|snapshot|what does [^.?!]{0,40}\bhold|holdings|how (?:is|are) [^.?!]{0,30}(?:doing|positioned|allocated|invested)|current allocation"
        r"|where do [^.?!]{0,25}stand|show me [^.?!]{0,30}(?:portfolio|household|accounts)"
        r"|what(?:'s| is| are) in (?:the |their |his |her |our |[A-Z][\w-]*'? ?s?'? )?(?:accounts?|portfolio|household)|what do (?:the )?(?:they|we|\w+) (?:have|own|hold)|list (?:the |their )?(?:accounts|holdings|positions)"
        r"|show (?:me )?(?:the |their )?(?:accounts|holdings|positions)|how much (?:do|does) \w+ have|account summary|looks? like (?:right )?now|big picture)", re.I)),
]
# A harvest word inside a constraint ("without realizing losses") is not a harvest request when
# another tool is asked for; an explicit "harvest"/"TLH" is.
_EXPLICIT_HARVEST = re.compile(r"\bharvest|\btax[- ]loss|\btlh\b", re.I)

# ---- guards -------------------------------------------------------------------------------------
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+|previous\s+|prior\s+|above\s+|earlier\s+|preceding\s+)*(?:instructions|rules|prompts?|directions)\b"
    r"|\bsystem prompt\b|\byou are now\b|\bdeveloper mode\b|\bjailbreak\b|\bpretend (?:to be|you)\b|\breveal your\b"
    # Text that talks to the assistant about its own instructions or role, however it is worded:
    # no advisor request needs these words.
    r"|\b(?:prompts?|guardrails?|directives?|persona|role-?play|jailbreak\w*|sudo)\b"
    r"|\b(?:ignore|forget|disregard|override|bypass|skip|new|updated|real|hidden|secret|original|above|previous|prior|earlier|system|your|following)\s+(?:\w+\s+)?instructions?\b"
    r"|\binstructions?\s*:|\b(?:system|assistant|developer|admin|root)\s*:|<\||\[/?(?:system|inst)\]|###\s*(?:system|instruction)"
    r"|\b(?:forget|disregard|ignore)\s+(?:everything|all|what|anything)\b[^.?!]{0,40}?\b(?:told|said|instructed|given|above|before|earlier|know)\b"
    r"|\bfrom now on\b|\bact as\b|\byou are (?:no longer|not an?|an? unrestricted|free)\b|\b(?:admin|god|unrestricted|dan) mode\b|\bdo anything now\b"
    r"|\b(?:print|output|show|repeat|dump)\s+(?:me\s+)?(?:your|the)\s+(?:\w+\s+)?(?:rules|instructions|configuration|context|text above|messages above)\b"
    r"|\boverride\b|\bbypass\b|\bdisregard\b|\bauthori[sz]ed? you\b",
    re.I,
)
_OFF_TOPIC = re.compile(
    r"\b(?:weather|jokes?|poems?|recipes?|bitcoin|crypto\w*|ethereum|dogecoin|nfts?|lottery|horoscope|sports?|football|movies?|songs?"
    r"|stock tips?|tips? on stocks|predict\w*|forecast\w*|will the (?:market|s&p|dow|nasdaq)|market (?:crash|timing)|which stocks? (?:should|to)|hot stocks?|best stocks?"
    r"|capital of|translate|passwords?|hack\w*|meme stocks?)\b",
    re.I,
)

# ---- constraints --------------------------------------------------------------------------------
_NO_GAINS = re.compile(
    r"\b(?:no|zero|0)\s+(?:new\s+|realized\s+|capital\s+|taxable\s+)*gains?\b(?!\s+(?:limit|budget|cap)\b)"
    r"|\bwithout (?:realizing |realising |taking |triggering |incurring |creating )?(?:any )?(?:new )?(?:capital |taxable )?gains\b"
    r"|\b(?:don'?t|do not|never) (?:realize|realise|take|trigger|incur) (?:any )?(?:capital )?gains?\b"
    r"|\bavoid(?:ing)? (?:realizing |realising |taking |triggering )?(?:any )?(?:capital )?gains\b",
    re.I,
)
_CLEAR_GAIN_BUDGET = re.compile(
    r"\b(?:no|without (?:a|the|any)|drop(?: the)?|remove(?: the)?|ignore(?: the)?|forget(?: about)?(?: the)?|lift(?: the)?|scrap(?: the)?)\s+gains?\s+(?:limit|budget|cap)\b"
    r"|\bany gains? (?:is|are) (?:fine|ok(?:ay)?)\b|\bgains? (?:are|is) (?:fine|ok(?:ay)?)\b",
    re.I,
)
# Bracket talk without a number is the "bracket" gain budget: realize gains only up to the top of
# the current bracket. A number next to it ("the 24% bracket") is a percentage, not dollars.
_BRACKET = re.compile(
    r"\b(?:stay|staying|keep(?:ing)?(?: (?:them|it|us|him|her|the \w+))?|remain|remaining)\s+(?:(?:with)?in|inside|under|below)\s+(?:the |their |his |her |our |my |current |same )*(?:\d+\s*%\s*)?(?:tax )?bracket\b"
    r"|\bbracket headroom\b|\bwithout (?:going into|crossing|bumping (?:into|up to)|pushing (?:them|him|her) into) (?:the |a )?(?:next|higher) (?:tax )?bracket\b|\bfill (?:up )?the bracket\b",
    re.I,
)
_NET = re.compile(r"\b(?:after[- ]tax(?:es)?|net of (?:tax|taxes)|net(?!\s+(?:realized\s+)?gains?)|in hand|take[- ]home|in (?:their|his|her) pockets?|after (?:paying )?(?:the )?tax(?:es)?)\b", re.I)
_GROSS = re.compile(r"\b(?:gross|before tax(?:es)?|pre-?tax amount)\b", re.I)
# Tolerance bands (#12): how far a breach trades back, and rebalancing inside the bands.
_BAND_EDGE = re.compile(r"\b(?:(?:only )?(?:back )?to the (?:band'?s? )?edge(?: of the band)?|band[- ]edge)\b", re.I)
_FORCE = re.compile(r"\b(?:even (?:if|though) (?:it'?s |we'?re |they'?re )?(?:within|inside|in) (?:the |its |their )?(?:tolerance|bands?)|anyway|force(?:d)?)\b", re.I)
_INCLUDE_GAINS = re.compile(r"\b(?:zero[- ]percent|0 percent|gains? (?:too|as well)|harvest (?:some )?gains|gain harvesting|step[- ]up|include (?:the )?gains)\b|\b0\s?%", re.I)
_NO_INCLUDE_GAINS = re.compile(r"\b(?:no|without|skip|drop|not) (?:the )?(?:gain harvesting|0% gains|gains? (?:harvesting|too))\b|\blosses only\b|\bonly losses\b(?! over| above| of)", re.I)
_HORIZON = re.compile(r"\b(?P<years>\d{1,2})[- ]?(?:years?|yrs?)\b", re.I)

# ---- audience -----------------------------------------------------------------------------------
_CLIENT = re.compile(
    r"\b(?:for the clients?|client[- ](?:facing|letter|draft|version|email|note|friendly)|letter|draft (?:a |an )?(?:note|email|letter)"
    r"|explain (?:it |this |that |the \w+ )?to (?:the )?clients?|in plain (?:english|words|language)|send (?:it )?to (?:the )?clients?|no jargon)\b",
    re.I,
)
_SUPPORT = re.compile(
    r"\b(?:why (?:did|does|would|do|is|are|was|were) (?:it|the (?:engine|plan|model|optimizer)|you|we|they)\b|why not\b|why (?:the|this) \w+|for support|support (?:team|colleague|view|ticket)"
    r"|what decided|explain the (?:decision|reasoning|choice)|justify)",
    re.I,
)
_ADVISOR = re.compile(r"\b(?:for me|advisor (?:view|version)|technical(?: version| details)?|back to the advisor view)\b", re.I)
_WHY_ACCOUNT = re.compile(
    r"\b(?:sell|sold|take|took|withdr[ae]w|draw|drew|pull|pulled|buy|bought)\w*\s+(?:\w+\s+)?(?:from|in|out of)\s+"
    r"|\bwhy (?:did|does|would) (?:it|the plan|the engine|you) (?:use|pick|choose|tap|touch)\s+",
    re.I,
)

# ---- follow-ups ---------------------------------------------------------------------------------
# Words that make a question that names a tool modify the last call rather than start a new one
# ("and harvest losses too?", "now raise $30k"). A question that names no tool always modifies it.
_FOLLOW_UP = re.compile(
    r"^\s*(?:and|also|what if|what about|how about|instead|same|now|ok(?:ay)?|then|make it|try|but|and if|redo|again|only|just|plus)\b"
    r"|\b(?:instead|too|as well|also|again|this time)\b[?.!]*\s*$",
    re.I,
)
# A new household in a follow-up keeps what does not belong to the old household's accounts.
_PORTABLE = ("amount", "net", "gain_budget", "min_loss", "include_gains", "horizon")
_STANDING = ("exclude_accounts", "no_sell", "gain_budget")
_VAGUE_AMOUNT = re.compile(r"\b(?:some|a (?:bit|little|lot|chunk|few)|enough|more|lots of|plenty of|several|a couple of|a few)\s+(?:of\s+)?(?:cash|money|dollars|grand|thousand)\b|\ba bit\b", re.I)
_DISPLAY = {"retire": "a retirement plan", "withdraw": "raising cash", "rebalance": "rebalancing", "harvest": "harvesting", "locate": "asset location",
            "contribute": "a contribution", "household_summary": "a summary"}


# Markup around words ("the <b>Smiths</b>", "the *Smith* family") is read as the words: otherwise
# a family named inside it slips past the unknown-household refusal and the plan is the session's.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,200}>|[*`~]+|(?<!\w)_+|_+(?!\w)")


def _normalize(question: str) -> str:
    text = question.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("\u00a0", " ")
    return " ".join(_MARKUP.sub(" ", text).split())


def _masked(text: str, h: Household) -> str:
    """The text with account ids blanked out, so "dana-401k" is never read as $401,000."""
    for a in h.accounts:
        text = re.sub(rf"(?<![\w-]){re.escape(a.id)}(?![\w-])", lambda m: " " * len(m.group()), text, flags=re.I)
    return text


def _money(v: float) -> str:
    return f"${v:,.0f}" if v == int(v) else f"${v:,.2f}"


def _base(tool_said: str | None, h: Household, ctx: Context, follow_up: bool) -> tuple[str, dict]:
    """The tool and the arguments carried over from the last call, before this question's own."""
    last = ctx.last
    if last is not None and follow_up:
        tool = tool_said or last.tool
        if last.arguments.get("household") == h.name:
            if tool == last.tool:
                return tool, dict(last.arguments)
            # "and harvest losses too?": a new tool, keeping what the advisor said must not happen.
            return tool, {"household": h.name, **{k: last.arguments[k] for k in _STANDING if k in last.arguments}}
        # "same for the Ellis household": the other household's accounts and tickers do not carry.
        carried = _PORTABLE if tool == last.tool else ("gain_budget",)
        return tool, {"household": h.name, **{k: last.arguments[k] for k in carried if k in last.arguments}}
    if tool_said is None:
        raise _clarify("I'm not sure what you'd like me to run. " + EXAMPLES)
    return tool_said, {"household": h.name}


def screen(question: str, book: HouseholdBook, ctx: Context) -> Reply | None:
    """The refusals that hold whoever picks the call (the model too): too long, injection or
    off-topic, and a household named that is not loaded. None when the question may go on."""
    if len(question) > MAX_QUESTION:
        return parse(question, book, ctx)  # the polite refusal, unread
    text = _normalize(question)
    try:
        _guard(text)
        _household(text, book, ctx)
    except _Unclear as unclear:
        return unclear.reply if unclear.reply.kind == "refuse" else None
    return None


class ParserPicker:
    """The offline picker: the deterministic parser, one question to one call or one reply."""

    def __init__(self, book: HouseholdBook):
        self.book = book

    def pick(self, question: str, context: Context) -> Pick | Reply:
        parsed = parse(question, self.book, context)
        return parsed if isinstance(parsed, Reply) else Pick(parsed)


# A question longer than this is not read at all: nobody types a 3-page request, and every
# regex below then works on a bounded text (they are linear anyway; see tests/test_parser_dos.py).
MAX_QUESTION = 2_000


def parse(question: str, book: HouseholdBook, ctx: Context | None = None) -> Call | Reply:
    """One question to one typed call, or one short reply (clarify / refuse) that trades nothing."""
    if len(question) > MAX_QUESTION:
        return Reply("refuse", f"That message is too long for me to read ({len(question):,} characters; the limit is {MAX_QUESTION:,}). "
                               "Please ask one question in a sentence or two. " + EXAMPLES)
    ctx = ctx or Context()
    text = _normalize(question)
    h, _ = book.find(ctx.household)
    token = _SPANS.set([])
    try:
        text = correct(text, h)
        return _as_comparison(text, book, ctx) if _WITH_AND_WITHOUT.search(text) else _parse(text, book, ctx)
    except _Unclear as unclear:
        return unclear.reply
    finally:
        _SPANS.reset(token)


# Each constraint phrase is resolved against the household on its own; more than this many in one
# question is not a request anyone types, and it bounds the work per question.
MAX_CONSTRAINTS = 12


def _parse(text: str, book: HouseholdBook, ctx: Context) -> Call:
    _guard(text)
    if sum(1 for _ in zip(range(MAX_CONSTRAINTS + 1), _CONSTRAINT_CUE.finditer(text))) > MAX_CONSTRAINTS:
        raise _clarify(f"That is more than {MAX_CONSTRAINTS} conditions in one question, more than I can check reliably. Please ask with the few that matter most.")
    h, named = _household(text, book, ctx)
    tool_said = _tool_said(text, h)
    follow_up = ctx.last is not None and (tool_said is None or bool(_FOLLOW_UP.search(text)))
    if follow_up and ctx.last.arguments.get("household") != h.name and not named:
        # The last call was about another household and this question names none: start afresh.
        follow_up = False

    masked = _masked(text, h)
    amounts = find_amounts(masked)
    roles = {id(a): _role(masked, a) for a in amounts}
    foreign = [a for a in amounts if a.currency != "USD"]
    if foreign:
        shown = text_of(masked, foreign[0])
        raise _clarify(f"I work in US dollars only, and \"{shown}\" is in {foreign[0].currency}. Please give the amount in dollars, e.g. \"raise $25,000\".")
    negative = [a for a in amounts if a.negative]
    if negative:
        shown = text_of(masked, negative[0])
        raise _clarify(f"\"{shown}\" is a negative amount. Amounts are positive dollars: to take money out say \"raise $5k\", to put it in say \"contribute $5k to the Roth\".")
    principal = [a for a in amounts if roles[id(a)] is None and a.money]
    if tool_said is None and ctx.last is None:
        if principal:
            raise _clarify(f"What should I do with {', '.join(_money(a.value) for a in principal)}: raise it as cash, or invest it in an account? " + EXAMPLES)
        if _VAGUE_AMOUNT.search(text) or re.search(r"\b(?:money|cash)\b", text, re.I):
            raise _clarify("How much, and what for? For example: \"raise $50k\" or \"contribute $7,000 to the Roth\".")
    tool, args = _base(tool_said, h, ctx, follow_up)
    if tool == "retire":
        return _retire_call(text, masked, amounts, roles, args, ctx)

    _constrain_accounts_and_holdings(args, tool, text, h, principal)
    _constrain_gains(args, text, [a.value for a in amounts if roles[id(a)] == "gain_budget"])
    if tool in ("withdraw", "contribute"):
        args["amount"] = _amount(tool, text, masked, h, amounts, roles, args.get("amount"))
    elif principal and tool_said is None:
        raise _clarify(f"{_DISPLAY[tool].capitalize()} doesn't take an amount. Did you mean to raise {_money(principal[0].value)}, or invest it?")
    elif principal and tool == "harvest":
        raise _clarify("Harvesting doesn't take a target amount; I can set the smallest loss worth harvesting, e.g. \"harvest losses over $1,000\".")

    if tool == "rebalance":
        for key, value, pattern in (("to", "band-edge", _BAND_EDGE), ("force", True, _FORCE)):
            for m in pattern.finditer(text):
                _understood(m.start(), m.end())
                args[key] = value
    if tool == "withdraw":
        if _NET.search(text):
            args["net"] = True
        elif _GROSS.search(text):
            args["net"] = False
    if tool == "contribute":
        args["account"] = _contribution_account(text, h, args.get("account"))
    if tool == "harvest":
        loss = [a.value for a in amounts if roles[id(a)] == "min_loss"]
        if loss:
            args["min_loss"] = loss[0]
        if _NO_INCLUDE_GAINS.search(text):
            args["include_gains"] = False
        elif _INCLUDE_GAINS.search(text):
            args["include_gains"] = True
    if tool == "locate" and (m := _HORIZON.search(masked)):
        args["horizon"] = float(m.group("years"))

    audience = _audience(text, ctx)
    why = _why_account(text, h) if audience == "support" else None
    _check_understood(text, masked, amounts, roles, tool, args, audience)
    _check_contradictions(text, tool, args, h)
    # Only what the tool's schema names. A constraint that means nothing to a tool that does not
    # trade (a gain budget on a summary) is dropped; one a trading tool cannot honour is asked about.
    fields = ARGS[tool].model_fields
    dropped = [k for k, v in args.items() if k not in fields and v not in (None, [], "")]
    if dropped and tool != "household_summary":
        raise _clarify(f"{_DISPLAY[tool].capitalize()} can't take {', '.join(_CONSTRAINT_WORDS.get(k, k) for k in dropped)}; "
                       "shall I run it without that, or did you mean another tool?")
    return Call(tool, {k: v for k, v in args.items() if k in fields and v is not None}, why, audience)


def _guard(text: str) -> None:
    """Blank, prompt-injection and off-topic questions end here with a reply."""
    if not re.search(r"[A-Za-z0-9$]", text):
        raise _clarify("What would you like to know about the household? " + EXAMPLES)
    if _INJECTION.search(text):
        raise _Unclear(Reply("refuse", f"I can't change how I work. I can help with this household's accounts: {_CAN_DO}. " + EXAMPLES))
    if _OFF_TOPIC.search(text):
        raise _Unclear(Reply("refuse", f"I can only help with the household's accounts: {_CAN_DO}; no market predictions or stock tips. " + EXAMPLES))


def _tool_said(text: str, h: Household) -> str | None:
    """The one tool the question asks for, or None when it names none."""
    said = [tool for tool, pattern in _INTENTS if pattern.search(text)]
    if "retire" in said:  # "fund the next 30 years" is the yearly plan, not one withdrawal
        return "retire"
    if "harvest" in said and len(said) > 1 and not _EXPLICIT_HARVEST.search(text):
        said.remove("harvest")
    if "household_summary" in said and len(said) > 1:
        said.remove("household_summary")
    if "contribute" in said and "withdraw" in said and not _names_an_account_after_into(text, h):
        said.remove("contribute")  # "raise $50k to put into a new house": the house is not an account
    # One question runs one tool. Rebalancing rides along with raising or investing cash (both move
    # toward target), but harvesting or investing next to raising cash is a second plan: ask which
    # comes first rather than drop one silently.
    separate = [t for t in said if t in ("withdraw", "harvest", "contribute")]
    if len(separate) > 1:
        first, second = (_DISPLAY[t] for t in separate[:2])
        raise _clarify(f"One at a time: shall I start with {first}, then {second}? Ask for the first, and follow up with \"and ... too\".")
    return said[0] if said else None


def _constrain_accounts_and_holdings(args: dict, tool: str, text: str, h: Household, principal: list[Amount]) -> None:
    """Add the accounts and tickers the question protects, then drop those it allows again."""
    excluded, no_sell = _protections(text, h, principal if tool == "withdraw" else [])
    if _SELL_NOTHING.search(text) and tool in ("withdraw", "rebalance", "harvest"):
        raise _clarify(f"{_DISPLAY[tool].capitalize()} needs some selling. Which accounts or holdings should stay untouched? Accounts: {_account_list(h)}.")
    order = [a.id for a in h.accounts]
    if excluded:
        args["exclude_accounts"] = sorted(set(args.get("exclude_accounts", [])) | set(excluded), key=order.index)
    if no_sell:
        args["no_sell"] = sorted(set(args.get("no_sell", [])) | set(no_sell))
    released = _releases(text, h)
    if released.accounts and "exclude_accounts" in args:
        args["exclude_accounts"] = [a for a in args["exclude_accounts"] if a not in released.accounts]
    if released.tickers and "no_sell" in args:
        args["no_sell"] = [t for t in args["no_sell"] if t not in released.tickers]
    if _ANY_ACCOUNT.search(text):
        args["exclude_accounts"] = []


def _constrain_gains(args: dict, text: str, budgets: list[float]) -> None:
    """The gain budget: a stated cap in dollars, the bracket, none at all, or lifted."""
    for pattern in (_CLEAR_GAIN_BUDGET, _BRACKET, _NO_GAINS):
        for m in pattern.finditer(text):
            _understood(max(0, m.start() - 12), m.end())
    if _CLEAR_GAIN_BUDGET.search(text):
        args.pop("gain_budget", None)
    elif budgets:
        args["gain_budget"] = budgets[0]
    elif _BRACKET.search(text):
        args["gain_budget"] = "bracket"
    elif _NO_GAINS.search(text):
        args["gain_budget"] = 0.0


def _amount(tool: str, text: str, masked: str, h: Household, amounts: list[Amount], roles: dict, previous: float | None) -> float:
    """The one amount to raise or invest, in dollars, as stated; or the previous call's."""
    principal = sorted({a.value for a in amounts if roles[id(a)] is None and a.money})
    if _is_range(masked, amounts) or len(principal) > 1:
        choices = " or ".join(_money(v) for v in principal) or "the range you gave"
        raise _clarify(f"Which amount did you mean: {choices}? Give one amount, e.g. \"raise $50k\".")
    if principal:
        return principal[0]
    if previous is not None:
        return previous
    # "raise 40000": a bare number is the amount when it is the only one and not a year.
    plain = [a.value for a in amounts if roles[id(a)] is None and a.value >= 100 and not 1900 <= a.value <= 2100]
    if len(plain) == 1:
        return plain[0]
    verb = "raise" if tool == "withdraw" else "invest"
    hint = " (\"some cash\" isn't an amount)" if _VAGUE_AMOUNT.search(text) else ""
    raise _clarify(f"How much should I {verb} for {h.name}{hint}? For example: \"{verb} $50k\" or \"{verb} $25,000 after tax\".")


def _names_an_account_after_into(text: str, h: Household) -> bool:
    try:
        return _contribution_account(text, h, None) is not None
    except _Unclear:
        return False


def _contribution_account(text: str, h: Household, previous: str | None) -> str:
    """The one account receiving new money: "into Sam's Roth", "to the HSA"."""
    for m in re.finditer(r"\b(?:in|into|to)\s+", text, re.I):
        named = _named_after(text, m.end(), h, selling=False)
        if len(named.accounts) > 1:
            raise _clarify(f"Which one account should receive it: {', '.join(named.accounts)}?")
        if named.accounts:
            return named.accounts[0]
    if previous:
        return previous
    raise _clarify(f"Which account should receive the money? {h.name} has: {_account_list(h)}.")


def _audience(text: str, ctx: Context) -> str:
    if _CLIENT.search(text):
        return "client"
    if _SUPPORT.search(text):
        return "support"
    if _ADVISOR.search(text):
        return "advisor"
    return ctx.audience


def _why_account(text: str, h: Household) -> str | None:
    """The account a support question asks about: "why did it sell from the IRA?"."""
    for m in _WHY_ACCOUNT.finditer(text):
        try:
            named = _named_after(text, m.end(), h, selling=False)
        except _Unclear:
            continue
        if named.accounts:
            return named.accounts[0]
    return None


# ---- nothing silently dropped -------------------------------------------------------------------
# Every phrase that looks like a constraint must have been understood by one of the readers above
# (each records the stretch of text it used). A constraint-looking phrase no reader used stops the
# call with a question: the advisor must never believe a constraint was applied when it was not.
_SPANS: ContextVar[list[tuple[int, int]]] = ContextVar("understood_spans")


def _understood(start: int, end: int) -> None:
    spans = _SPANS.get(None)
    if spans is not None:
        spans.append((start, end))


_NUMBER_AHEAD = r"(?=[$£€\d-]|(?:one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|a hundred|half)\b)"
_CONSTRAINT_CUE = re.compile(
    r"\bonly\s+(?:out of|from|in|within|use|using|touch(?:ing)?|tap(?:ping)?|sell(?:ing)?|tak(?:e|ing)|draw(?:ing)?|trad(?:e|ing)|buy(?:ing)?|the|his|her|their|our|my)\b"
    r"|\b(?:keep(?:ing|s)?|hold(?:ing)? on ?to|hang(?:ing)? on ?to|retain(?:ing)?|preserv(?:e|ing)|protect(?:ing)?|spar(?:e|ing)|exclud(?:e|ing)|except|leav(?:e|ing)|avoid(?:ing)?|stay(?:ing|s)?|remain(?:ing|s)?|mustn'?t|must)\b"
    r"|\b(?:don'?t|do not|never|without|not|no|can'?t|cannot|shouldn'?t|won'?t)\s+(?:\w+\s+)?(?:sells?|selling|touch|touching|use|using|tap|tapping|trade|trading|trades|buy|buying|go|going|exceed|exceeding|cross|crossing|realize|realizing|take|taking|dip|dipping|move|moving|change|changing|pull|pulling|draw|drawing|withdraw|withdrawing|push|pushing|bump)\b"
    r"|\bwithout\s+(?:the|his|her|their|our|any)\b"
    r"|\b(?:under|below|less than|no more than|not more than|at most|up to|max(?:imum)?|cap(?:ped)?(?: at)?|limit(?:ed)?(?: to)?|within|ceiling|at least|minimum|more than|over|above)\s+(?:the\s+|a\s+|about\s+|roughly\s+)?"
    + _NUMBER_AHEAD,
    re.I,
)
_CAN_CONSTRAIN = ('accounts left alone ("without touching the Roth", "only from the joint account"), holdings kept '
                  '("don\'t sell AAPL"), a gain cap ("gains under $10k", "no gains", "stay in the bracket") or "after tax"')
_CONSTRAINT_WORDS = {"exclude_accounts": "accounts to leave untouched", "no_sell": "holdings not to sell", "gain_budget": "a gain cap",
                     "min_loss": "a smallest loss", "include_gains": "gain harvesting", "net": "an after-tax amount", "horizon": "a horizon"}
_TRADES = ("withdraw", "rebalance", "harvest", "locate", "contribute")


def _check_understood(text: str, masked: str, amounts: list[Amount], roles: dict, tool: str, args: dict, audience: str) -> None:
    """Stop with a question when a constraint-looking phrase was not understood (trading tools only)."""
    if tool not in _TRADES:
        return
    for a in amounts:
        role = roles[id(a)]
        if role in ("gain_budget", "min_loss"):
            _understood(max(0, a.start - 40), a.end + 20)
        if role is None and a.money and tool in ("withdraw", "contribute"):
            _understood(max(0, a.start - 12), a.end)
        if role == "horizon" and tool == "locate":
            _understood(max(0, a.start - 20), a.end + 12)
    for pattern, used in ((_NET, tool == "withdraw"), (_GROSS, tool == "withdraw"), (_ANY_ACCOUNT, True), (_RELEASE, True),
                          (_INCLUDE_GAINS, tool == "harvest"), (_NO_INCLUDE_GAINS, tool == "harvest"), (_WHY_ACCOUNT, audience == "support"),
                          (_TARGET_RATIO, tool == "rebalance")):
        if used:
            for m in pattern.finditer(text):
                _understood(max(0, m.start() - 12), m.end() + 4)
    spans = _SPANS.get(None) or []
    for m in _CONSTRAINT_CUE.finditer(masked):
        if not any(s <= m.start() < e for s, e in spans):
            end = _clause_end(text, m.end())
            phrase = text[m.start(): min(end.start() if end else len(text), m.start() + 60)].strip()
            raise _clarify(f"I didn't understand \"{phrase}\", so I haven't run anything. I can apply {_CAN_CONSTRAIN}. Could you say it one of those ways?")


_TRADE_NOTHING = re.compile(
    r"\b(?:without|no|don'?t|do not|never|not)\s+(?:making\s+|placing\s+|doing\s+|any\s+)*(?:trades?|trading|transactions?|buying or selling|selling or buying)\b(?!\s+(?:in|from|of|out of)\b)"
    r"|\b(?:without|don'?t|do not|never)\s+(?:trading|touching|changing|moving)\s+(?:anything|everything)\b|\bleave (?:everything|all (?:the )?accounts) (?:alone|as is|untouched)\b",
    re.I,
)
_TARGET_RATIO = re.compile(r"\b(?P<ratio>\d{1,3}(?:/\d{1,3}){1,4})\b")


def _check_contradictions(text: str, tool: str, args: dict, h: Household) -> None:
    """A resolved call that asks for two incompatible things is asked about, not run."""
    if tool in _TRADES and tool != "contribute" and _TRADE_NOTHING.search(text):
        raise _clarify(f"{_DISPLAY[tool].capitalize()} means trading, and you asked for no trades. Shall I show a summary instead, or which accounts should stay untouched? Accounts: {_account_list(h)}.")
    ids = [a.id for a in h.accounts]
    excluded = args.get("exclude_accounts") or []
    if tool in _TRADES and tool != "contribute" and ids and set(ids) <= set(excluded):
        raise _clarify(f"That leaves every account untouched ({', '.join(ids)}), so nothing can trade. Which account may I use?")
    if tool == "contribute" and args.get("account") in excluded:
        raise _clarify(f"You asked to invest in {args['account']} and also to leave it alone. Which is it?")
    held = {s.ticker for s in h.securities}
    if tool in ("withdraw", "rebalance", "harvest") and held and held <= set(args.get("no_sell") or []):
        raise _clarify(f"Keeping every holding ({', '.join(sorted(held))}) leaves nothing to sell. Which may I sell?")
    if tool == "harvest" and args.get("gain_budget") == 0.0 and args.get("include_gains"):
        raise _clarify("You asked for no gains and for gain harvesting. Which one?")
    if tool == "withdraw" and _NET.search(text) and _GROSS.search(text):
        raise _clarify("Is the amount wanted after tax, or before tax (gross)?")
    if tool == "rebalance" and (m := _TARGET_RATIO.search(text)):
        said = sorted((int(x) for x in m.group("ratio").split("/")), reverse=True)
        target = sorted((round(100 * w) for w in h.targets.values() if w > 0), reverse=True) if getattr(h, "targets", None) else []
        if said != target:
            shown = ", ".join(f"{c} {round(100 * w)}%" for c, w in h.targets.items())
            raise _clarify(f"{h.name}'s target is {shown}; I rebalance to the target in the household file and can't change it here. Rebalance to that target?")


# "compare doing it with and without the HSA": the compare tool, both plans from the engine.
_WITH_AND_WITHOUT = re.compile(
    r"\bwith(?:\s+(?:it|them|that))?\s+(?:and|or|vs\.?|versus)\s+without\b|\bwithout(?:\s+(?:it|them|that))?\s+(?:and|or|vs\.?|versus)\s+with\b", re.I)


def _as_comparison(text: str, book: HouseholdBook, ctx: Context) -> Call:
    m = _WITH_AND_WITHOUT.search(text)
    after = _parse(text[: m.start()] + "without" + text[m.end():], book, ctx)
    if after.tool not in _TRADES:
        raise _clarify("Which plan should I compare, e.g. \"compare rebalancing with and without the HSA\"?")
    h, _ = book.find(after.arguments["household"])
    named = _named_after(text, m.end(), h, selling=True)
    if not (named.accounts or named.tickers):
        raise _clarify("With and without what? Name an account or a holding, e.g. \"with and without the Roth\".")
    before = {k: v for k, v in after.arguments.items() if k != "household"}
    if "exclude_accounts" in before:
        before["exclude_accounts"] = [a for a in before["exclude_accounts"] if a not in named.accounts]
    if "no_sell" in before:
        before["no_sell"] = [t for t in before["no_sell"] if t not in named.tickers]
    after_args = {k: v for k, v in after.arguments.items() if k != "household"}
    return Call("compare", {"household": h.name, "tool": after.tool, "before": before, "after": after_args}, None, after.audience)


def _add_named(book: HouseholdBook, name: str, mentioned: list) -> None:
    """Add the loaded household called `name` to `mentioned`; a name not loaded is refused, never swapped."""
    h, _ = book.find(name)
    if h is None:
        raise _Unclear(Reply("refuse", f"I don't have a household called {name}. Loaded households: {', '.join(book.names) or 'none'}."))
    if h not in mentioned:
        mentioned.append(h)


# ---- retire: the yearly plan (#16) ------------------------------------------------------------------
_CONVERSION_Q = re.compile(r"\bconvert\w*\b[^.?!]{0,40}\broth\b|\broth conversions?\b", re.I)
_NO_CONVERSIONS = re.compile(r"\b(?:no|without|don'?t|do not|never|skip(?:ping)?|not)\s+(?:any\s+)?(?:roth\s+)?conver(?:t|sions?|ting)\b|\bconversions? off\b", re.I)
_CLAIMING_Q = re.compile(r"\bsocial security\b|\bclaim(?:ing)?\b", re.I)
_CLAIM_AT = re.compile(r"\bclaim(?:s|ing|ed)?\b[^.?!]{0,30}?\bat\s+(?:age\s+)?(?P<age>6[2-9]|70)\b|\bat (?:age )?(?P<age2>6[2-9]|70)\b[^.?!]{0,20}\bclaim", re.I)
_PER_YEAR = re.compile(r"^\s*(?:a|per|each|every)\s+(?:year|yr)\b|^\s*/\s*(?:year|yr)\b|^\s*(?:annually|yearly)\b", re.I)


def _retire_call(text: str, masked: str, amounts: list[Amount], roles: dict, args: dict, ctx: Context) -> Call:
    """The retire call: the years stated, the spending stated (a year), conversions and claiming.
    Only numbers said in the question; the engine turns years into ages and does all the rest."""
    audience = _audience(text, ctx)
    years = [a.value for a in amounts if roles[id(a)] == "horizon"]
    if years:
        args["years"] = int(years[0])
    spending = [a.value for a in amounts if roles[id(a)] is None and a.money and a.value >= 1000]
    if len(set(spending)) > 1:
        raise _clarify(f"Which yearly spending did you mean: {' or '.join(_money(v) for v in sorted(set(spending)))}?")
    if spending:
        args["spending"] = spending[0]
    claim = _CLAIM_AT.search(masked)
    alternatives: list[str] = list(args.get("alternatives") or [])
    if claim:
        args["claim_ss"] = int(claim.group("age") or claim.group("age2"))
    if _NO_CONVERSIONS.search(text):
        args["conversions"] = False
    if _CONVERSION_Q.search(text) and args.get("conversions", True):
        args["focus"] = "conversion"
        alternatives.append("no-conversions")
    elif _CLAIMING_Q.search(text) and not claim:
        args["focus"] = "claiming"
        args["claim_ss"] = "auto"
        alternatives += ["claim-62", "claim-67", "claim-70"]
    if audience == "support":
        alternatives += [w for w in ("no-conversions", "claim-67") if w not in alternatives]
    if alternatives:
        args["alternatives"] = list(dict.fromkeys(alternatives))
    fields = ARGS["retire"].model_fields
    return Call("retire", {k: v for k, v in args.items() if k in fields and v is not None}, None, audience)
