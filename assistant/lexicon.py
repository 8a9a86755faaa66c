"""The words the parser knows, and typo-tolerant matching against them.

The vocabulary has two parts: the words of the tools (verbs and constraint words, fixed) and the
words of the household in front of the parser (account ids, owners' names, tickers and the
names of the funds it holds). A word the advisor typed that is in neither, but is one or two
edits from a known word, is read as that word ("rebalence" -> "rebalance", "summry" -> "summary",
"touchng" -> "touching"). Matching uses rapidfuzz's Levenshtein distance, so it is deterministic
and takes microseconds a word.
"""
from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from engine import Household

# Chat shorthand, said whole: "w/o selling apple", "rebalance plz", "summary of accts".
SHORTHAND = {
    "w/o": "without", "w/": "with", "wo/": "without", "plz": "please", "pls": "please", "pl": "please", "thx": "thanks",
    "acct": "account", "accts": "accounts", "acc": "account", "accs": "accounts", "accnt": "account", "accnts": "accounts",
    "rebal": "rebalance", "u": "you", "ur": "your", "b4": "before", "bc": "because", "b/c": "because", "abt": "about",
    "smth": "something", "tlh'": "tlh", "info": "information", "approx": "about", "yr": "year", "yrs": "years",
    "div": "dividend", "divs": "dividends", "$$": "money", "k401": "401k", "dont": "don't", "doesnt": "doesn't",
    "cant": "can't", "wont": "won't", "shouldnt": "shouldn't", "n't": "n't", "whats": "what's", "thats": "that's",
}
_SHORTHAND = re.compile(r"(?<![\w/$])(?:" + "|".join(re.escape(k) for k in sorted(SHORTHAND, key=len, reverse=True)) + r")(?![\w/])", re.I)

# The tools' words and the constraint words: typos of these are corrected.
TOOL_WORDS = """
rebalance rebalancing rebalanced raise raising withdraw withdrawal withdrawing contribute contribution contributing
deposit invest investing harvest harvesting losses summary summarize overview snapshot location locate placement
allocation target targets drift account accounts without touching touch selling sell leave alone untouched except
exclude excluding bracket gains after before taxes taxable traditional brokerage retirement household family
holdings holding portfolio please shares position positions compare comparison versus instead again budget
minimum maximum international bonds stocks client support letter explain advisor realize realizing efficiently
protect protecting liquidate contribution contributions roth joint individual realign reallocate
""".split()
# Ordinary English words a typo-corrector must leave alone although they are one edit from a tool word.
_KEEP = set("""
raised praise balance balanced tax axes lose loses loser losing touched touches leaves leaved sells seller
sale sales taxed taxing gain gained gaining counts count amount amounts withdrew withdrawn targeted invests
investor investors harvested harvests summaries locates located location locations allocations allocated
brokerages retire retired retiree shares shared share clients supports explains letters comparing compared
budgets minimums bond stock positioned holders holder holds folder realized realizes protects protected
bonus bounds draft drafts drafted projects project takes advisory householder realign realigned drifted sitting
""".split())

# What common funds are called, for "the Vanguard total stock market fund" -> VTI. The household
# file names tickers only, so fund names come from here; a name is used only for a ticker the
# household actually holds.
FUND_NAMES = {
    "VTI": "Vanguard Total Stock Market ETF", "VTSAX": "Vanguard Total Stock Market Index Fund Admiral",
    "ITOT": "iShares Core S&P Total US Stock Market ETF", "SCHB": "Schwab US Broad Market ETF",
    "SWTSX": "Schwab Total Stock Market Index Fund", "VOO": "Vanguard S&P 500 ETF", "IVV": "iShares Core S&P 500 ETF",
    "VXUS": "Vanguard Total International Stock ETF", "IXUS": "iShares Core MSCI Total International Stock ETF",
    "VEA": "Vanguard FTSE Developed Markets ETF", "IEFA": "iShares Core MSCI EAFE ETF",
    "VWO": "Vanguard FTSE Emerging Markets ETF", "IEMG": "iShares Core MSCI Emerging Markets ETF",
    "BND": "Vanguard Total Bond Market ETF", "VBTLX": "Vanguard Total Bond Market Index Fund Admiral",
    "AGG": "iShares Core US Aggregate Bond ETF", "SCHZ": "Schwab US Aggregate Bond ETF",
    "BNDX": "Vanguard Total International Bond ETF", "VCIT": "Vanguard Intermediate-Term Corporate Bond ETF",
    "TIP": "iShares TIPS Bond ETF", "SCHP": "Schwab US TIPS ETF", "VNQ": "Vanguard Real Estate ETF",
    "SCHH": "Schwab US REIT ETF", "USRT": "iShares Core US REIT ETF", "VIG": "Vanguard Dividend Appreciation ETF",
    "SGOV": "iShares 0-3 Month Treasury Bond ETF", "BIL": "SPDR Bloomberg 1-3 Month T-Bill ETF",
    "AAPL": "Apple", "MSFT": "Microsoft", "TSLA": "Tesla", "AMZN": "Amazon", "GOOGL": "Alphabet Google",
    "NVDA": "Nvidia", "META": "Meta Facebook", "KO": "Coca-Cola Coke", "BRK.B": "Berkshire Hathaway",
    "JNJ": "Johnson & Johnson", "XOM": "Exxon Mobil", "WMT": "Walmart", "DIS": "Disney", "IBM": "IBM",
    "NFLX": "Netflix", "INTC": "Intel", "PFE": "Pfizer",
}
# Words in a fund's name that say nothing about which fund it is.
NAME_FILLER = {"the", "fund", "funds", "etf", "etfs", "index", "admiral", "shares", "share", "position", "positions",
               "holding", "holdings", "our", "their", "his", "her", "my", "of", "in", "us", "u.s.", "core", "one", "&", "and"}
_BRANDS = {"vanguard", "ishares", "schwab", "spdr", "fidelity"}


def name_words(name: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9&.+-]+", name.lower().replace("s&p", "sp")) if w not in NAME_FILLER]


@lru_cache(maxsize=None)
def _fund_words(ticker: str) -> frozenset[str]:
    return frozenset(name_words(FUND_NAMES.get(ticker, "")))


def household_words(h: Household) -> set[str]:
    words: set[str] = set()
    for a in h.accounts:
        words |= set(re.findall(r"[a-z0-9]+", (a.id + " " + (a.owner or "")).lower()))
    for s in h.securities:
        words.add(s.ticker.lower())
        words |= set(name_words(FUND_NAMES.get(s.ticker.upper(), "")))
    return words


@lru_cache(maxsize=64)
def _targets(extra: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(set(TOOL_WORDS) | {w for w in extra if len(w) >= 5 and w.isalpha()}))


def expand_shorthand(text: str) -> str:
    return _SHORTHAND.sub(lambda m: SHORTHAND[m.group().lower()], text)


def correct_word(word: str, targets: tuple[str, ...]) -> str:
    """The known word a typo means, or the word itself.

    Only words of five letters or more are corrected, only toward a word with the same first letter,
    at most one edit for words up to six letters and two for longer ones; a tie keeps the word.
    """
    low = word.lower()
    if len(low) < 5 or not low.isalpha() or low in _KEEP or low in targets:
        return word
    cutoff = 1 if len(low) <= 7 else 2
    best, best_d, tie = None, cutoff + 1, False
    for t in targets:
        if t[0] != low[0] or abs(len(t) - len(low)) > cutoff:
            continue
        d = Levenshtein.distance(low, t, score_cutoff=cutoff)
        if d < best_d:
            best, best_d, tie = t, d, False
        elif d == best_d:
            tie = True
    if best is None or tie:
        return word
    return best if word.islower() else best.capitalize() if word[0].isupper() else best


_WORD = re.compile(r"[A-Za-z]+")


def correct(text: str, h: Household | None) -> str:
    """The text with shorthand expanded and typos of known words corrected; all else untouched."""
    text = expand_shorthand(text)
    targets = _targets(frozenset(household_words(h)) if h is not None else frozenset())
    return _WORD.sub(lambda m: correct_word(m.group(), targets), text)


def funds_named(phrase: str, h: Household) -> tuple[list[str], list[str]]:
    """(held tickers whose fund name the phrase says, names of funds said but not held).

    Every content word of the phrase must be a word of the fund's name (a brand alone, "the
    Vanguard fund", is not enough when the household holds two Vanguard funds: then both match
    and the caller asks which).
    """
    words = name_words(phrase)
    while words and words[-1] in ("stock", "stocks"):  # "the Apple stock" is Apple
        words.pop()
    if not words or len(words) > 8:  # no fund name is longer; a long phrase is not one
        return [], []
    held = {s.ticker.upper(): s.ticker for s in h.securities}

    def says(ticker: str) -> bool:
        name = _fund_words(ticker)
        if ticker.lower() in words:
            return True
        return bool(name) and all(any(w == n or (len(w) >= 5 and Levenshtein.distance(w, n) <= 1) for n in name) for w in words)

    found = [held[t] for t in held if says(t)]
    missing = [] if found else [FUND_NAMES[t] for t in FUND_NAMES if t not in held and says(t)]
    return found, missing
