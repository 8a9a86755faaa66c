"""One amount grammar for what advisors type: sign, currency, digits, unit words and number words.

"$50k", "50,000", "$1.2m", "2.5 million", "15k", "$75,000.00", "50 grand", "forty grand",
"fifty thousand", "a hundred thousand", "two and a half million", "half a million", "minus 5k",
"-$5,000", "£20,000", "CHF 30,000", "30k euros".

Linear by construction: the text is split once into tokens (words, numbers, symbols) by one
regex without nested or overlapping quantifiers, and every amount is read by walking that token
list left to right, looking at most a few tokens around each number. No regex here ever
backtracks over user text, so a 100 KB question costs milliseconds, not minutes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# One token: a number as written ("1,234.50", "2.5"), a word ("forty", "k", "grand"), or one symbol.
# Each alternative consumes characters the others cannot start with, so the scan is linear.
_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?|[A-Za-z]+|[^\sA-Za-z\d]")

UNITS = {
    "k": 1_000, "thousand": 1_000, "grand": 1_000, "g": 1_000,
    "m": 1_000_000, "mm": 1_000_000, "mn": 1_000_000, "mil": 1_000_000, "million": 1_000_000, "millions": 1_000_000,
    "b": 1_000_000_000, "bn": 1_000_000_000, "billion": 1_000_000_000,
}
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_FRACTIONS = {"half": Decimal("0.5"), "quarter": Decimal("0.25")}
# Currencies other than the dollar, as symbols, codes or words. Dollars are USD only: a
# Canadian or Australian dollar is another currency too.
_FOREIGN_SYMBOL = {"£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR", "₣": "CHF", "₩": "KRW"}
_FOREIGN_CODE = {
    "gbp": "GBP", "eur": "EUR", "chf": "CHF", "jpy": "JPY", "cad": "CAD", "aud": "AUD", "inr": "INR", "cny": "CNY",
    "rmb": "CNY", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "hkd": "HKD", "sgd": "SGD", "nzd": "NZD", "mxn": "MXN",
}
_FOREIGN_WORD = {
    "pound": "GBP", "pounds": "GBP", "quid": "GBP", "sterling": "GBP", "euro": "EUR", "euros": "EUR",
    "franc": "CHF", "francs": "CHF", "yen": "JPY", "rupee": "INR", "rupees": "INR", "yuan": "CNY",
}
_DOLLAR_PREFIX = {"us": "USD", "c": "CAD", "ca": "CAD", "a": "AUD", "au": "AUD", "nz": "NZD", "hk": "HKD", "s": "SGD"}
_DOLLAR_WORDS = {"dollar", "dollars", "bucks", "usd"}
_NEGATIVE_WORDS = {"minus", "negative"}
# "401k", "403b", "457" are accounts, not $401,000.
_ACCOUNT_NUMBERS = {"401", "403", "457"}


@dataclass
class Amount:
    value: float  # dollars (or units of `currency`), sign included
    start: int
    end: int
    money: bool  # written as money ($, k, thousand, dollars, 1,000 separators), not just a number
    currency: str = "USD"
    negative: bool = False


@dataclass
class _Tok:
    text: str
    low: str
    start: int
    end: int


def tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(), m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _adjacent(a: _Tok, b: _Tok, gap: int = 1) -> bool:
    return b.start - a.end <= gap


def _word_number(toks: list[_Tok], i: int) -> tuple[Decimal, int] | None:
    """Number words from token i: 'forty', 'one hundred fifty', 'a hundred', 'two and a half'.

    Returns (value, index after the last token used), or None when token i starts no number.
    """
    value, current, j, seen = Decimal(0), Decimal(0), i, False
    n = len(toks)
    while j < n:
        w = toks[j].low
        if w in NUMBER_WORDS:
            current += NUMBER_WORDS[w]
            seen = True
        elif w == "hundred" and (seen or j > i):
            current = max(current, Decimal(1)) * 100
            seen = True
        elif w in ("a", "an") and j + 1 < n and toks[j + 1].low in ("hundred", "half", "quarter"):
            current += 1 if toks[j + 1].low == "hundred" else 0
        elif w == "-" and seen and j + 1 < n and toks[j + 1].low in NUMBER_WORDS:
            pass  # "twenty-five"
        elif w == "and" and seen and j + 2 < n and toks[j + 1].low in ("a", "an") and toks[j + 2].low in _FRACTIONS:
            current += _FRACTIONS[toks[j + 2].low]
            j += 3
            break
        elif w == "and" and seen and j + 1 < n and toks[j + 1].low in NUMBER_WORDS:
            pass  # "one hundred and fifty"
        else:
            break
        j += 1
    if not seen:
        return None
    return value + current, j


def find_amounts(text: str) -> list[Amount]:
    """Every number stated in the text, read with its sign, currency and unit; money-looking ones flagged."""
    toks = tokens(text)
    found: list[Amount] = []
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        start_i = i
        value: Decimal | None = None
        digits = t.text[0].isdigit()
        if digits:
            if len(t.text) > 20:  # "1,1,1,1,...": not an amount anyone means
                i += 1
                continue
            try:
                value = Decimal(t.text.replace(",", "").rstrip(","))
            except InvalidOperation:
                i += 1
                continue
            j = i + 1
        elif t.low in _FRACTIONS or (t.low in ("a", "an") and i + 1 < n and toks[i + 1].low in _FRACTIONS):
            # "half a million", "a quarter million"
            k = i + (1 if t.low in _FRACTIONS else 2)
            frac = _FRACTIONS[toks[k - 1].low]
            while k < n and toks[k].low in ("a", "of"):
                k += 1
            if k < n and toks[k].low in ("million", "mil", "thousand", "billion"):
                value, j = frac, k
            else:
                i += 1
                continue
        else:
            words = _word_number(toks, i)
            if words is None:
                i += 1
                continue
            value, j = words
        if value is None:
            i += 1
            continue
        # The unit right after the number: "50k", "2.5 million", "forty grand", "1.2m".
        unit = None
        if j < n and toks[j].low in UNITS and _adjacent(toks[j - 1], toks[j]):
            if toks[j].low == "k" and digits and t.text in _ACCOUNT_NUMBERS:
                # "401k" is an account; "$401k" would be money.
                if not (i > 0 and toks[i - 1].text == "$"):
                    i = j + 1
                    continue
            if not (toks[j].low in ("g", "b", "m") and j + 1 < n and toks[j + 1].text == "-"):
                unit = toks[j].low
                value *= UNITS[unit]
                j += 1
        if not digits and unit is None:
            # Number words alone ("two accounts", "one of them") are not amounts; "forty grand" is.
            if j < n and toks[j].low in _DOLLAR_WORDS:
                pass
            else:
                i = j
                continue
        # Sign and currency before the number: "-$5k", "minus 5k", "£20,000", "CHF 30,000", "US$ 5".
        negative, currency, dollar = False, "USD", False
        first = start_i  # index of the first token of the amount as written
        k = start_i - 1
        if k >= 0 and toks[k].text == "$":
            dollar, first = True, k
            if k >= 1 and toks[k - 1].low in _DOLLAR_PREFIX and _adjacent(toks[k - 1], toks[k], 0):
                currency, first = _DOLLAR_PREFIX[toks[k - 1].low], k - 1
        elif k >= 0 and toks[k].text in _FOREIGN_SYMBOL:
            currency, first = _FOREIGN_SYMBOL[toks[k].text], k
        elif k >= 0 and toks[k].low in _FOREIGN_CODE:
            currency, first = _FOREIGN_CODE[toks[k].low], k
        elif k >= 0 and toks[k].low == "usd":
            dollar, first = True, k
        k = first - 1
        if k >= 0 and toks[k].text in ("-", "\u2212") and _adjacent(toks[k], toks[first], 0) and (k == 0 or toks[k - 1].end < toks[k].start):
            # "-5k", "-$5,000"; but "40-50k" is a range and "dana-401k" an id, not a negative.
            negative, first = True, k
        elif k >= 0 and toks[k].low in _NEGATIVE_WORDS:
            negative, first = True, k
        # Currency after the number: "30k euros", "20,000 GBP", "50 grand in pounds".
        after_dollars = False
        if j < n and toks[j].low in _FOREIGN_CODE:
            currency, j = _FOREIGN_CODE[toks[j].low], j + 1
        elif j < n and toks[j].low in _FOREIGN_WORD:
            currency, j = _FOREIGN_WORD[toks[j].low], j + 1
        elif j + 1 < n and toks[j].low == "in" and toks[j + 1].low in _FOREIGN_WORD:
            currency, j = _FOREIGN_WORD[toks[j + 1].low], j + 2
        elif j < n and toks[j].low in _DOLLAR_WORDS:
            after_dollars, j = True, j + 1
        begin = toks[first].start
        money = bool(dollar or unit or after_dollars or currency != "USD" or (digits and "," in t.text))
        amount = float(-value if negative else value)
        found.append(Amount(amount, begin, toks[j - 1].end, money, currency, negative))
        i = j
    return found
