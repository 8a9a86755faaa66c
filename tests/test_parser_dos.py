"""Hostile input cannot freeze the parser (issue #14, denial of service): every regex that sees user
text is linear, and a question over the limit is refused politely without being read."""
from __future__ import annotations

import re
import time

import pytest
from test_parser import EXAMPLES, RIVERA

from assistant import amounts, lexicon, parser
from assistant.amounts import find_amounts
from assistant.parser import MAX_QUESTION, Context, Reply, parse
from tools.book import HouseholdBook


@pytest.fixture(scope="module")
def book() -> HouseholdBook:
    return HouseholdBook.from_paths([EXAMPLES / "rivera.json"])

# Inputs built to make a backtracking regex work quadratically or worse: long runs of number-like
# words, digit groups, separators, and trigger words each of which starts a long look-ahead.
ADVERSARIAL = {
    "number words": "one two three four five six seven eight nine ten hundred and ",
    "digits and commas": "1,1,1,1,1,1,1,1,1,1,",
    "dollar digits": "$1 $1 $1 $1 1 1 1.1.1.1 ",
    "ranges": "1 or 2 to 3 - 4 and ",
    "keep keep": "keep keep keep the the ",
    "use again": "use use touch the the and ",
    "gains under": "gains under gains under no no ",
    "don't sell": "don't sell don't sell the ",
    "capitals": "The Smiths The Riveras' Aa Bb Cc ",
    "typos": "rebalence harvset summry witdraw ",
    "with and without": "with and without with and without ",
}


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_a_100_kb_question_is_refused_fast(book, name):
    text = (ADVERSARIAL[name] * (100_000 // len(ADVERSARIAL[name]) + 1))[:100_000]
    start = time.perf_counter()
    got = parse(text, book, Context(household=RIVERA))
    assert time.perf_counter() - start < 0.5
    assert isinstance(got, Reply) and got.kind == "refuse" and f"{MAX_QUESTION:,}" in got.text


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_the_longest_allowed_question_parses_fast(book, name):
    text = (ADVERSARIAL[name] * (MAX_QUESTION // len(ADVERSARIAL[name]) + 1))[:MAX_QUESTION]
    start = time.perf_counter()
    parse("Raise $50k " + text[: MAX_QUESTION - 11], book, Context(household=RIVERA))
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_the_amount_grammar_and_typo_matching_are_linear(name):
    """Not protected by the length limit in their own right: ten times the text, about ten times the work."""
    def cost(size: int) -> float:
        text = (ADVERSARIAL[name] * (size // len(ADVERSARIAL[name]) + 1))[:size]
        # CPU time of this process, best of three: the other test worker shares the two cores.
        start = time.process_time()
        find_amounts(text)
        lexicon.correct(text, None)
        return time.process_time() - start

    small, large = min(cost(10_000) for _ in range(3)), min(cost(100_000) for _ in range(3))
    # Quadratic work would be 100 times; 40 leaves room for allocator and cache effects seen in CI (31x).
    assert large < 40 * small + 0.05, f"10 KB {small:.3f} s, 100 KB {large:.3f} s: not linear"


def test_every_regex_is_linear_on_adversarial_text():
    """Each compiled pattern of the parser on each adversarial shape: four times the text costs
    about four times the work (quadratic would be 16), and the longest allowed question is quick."""
    patterns = [(f"{m.__name__}.{n}", v) for m in (parser, amounts, lexicon) for n, v in vars(m).items() if isinstance(v, re.Pattern)]
    patterns += [(f"parser._INTENTS[{tool}]", p) for tool, p in parser._INTENTS]
    assert len(patterns) > 40

    def cost(pattern: re.Pattern, unit: str, size: int) -> float:
        text = (unit * (size // len(unit) + 1))[:size]
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            for _ in pattern.finditer(text):
                pass
            best = min(best, time.perf_counter() - start)
        return best

    for shape, unit in ADVERSARIAL.items():
        for name, pattern in patterns:
            assert cost(pattern, unit, MAX_QUESTION) < 0.1, f"{name} is slow on {shape!r}"
            small, large = cost(pattern, unit, 8_000), cost(pattern, unit, 32_000)
            assert large < 10 * small + 0.05, f"{name} is not linear on {shape!r}: 8 KB {small:.4f} s, 32 KB {large:.4f} s"
