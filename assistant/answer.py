"""One conversation with the assistant: question in, tool call, engine result and explanation out.

Offline (no OPENAI_API_KEY) the deterministic parser picks the call and templates explain it.
With a model, the model picks the call and writes the text, and the text must pass the
grounding check or the templated explanation is used instead. Either way the numbers come from
the engine.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from engine import DISCLAIMER, Result
from engine.compare import Comparison
from tools import HouseholdBook, ToolOutcome, call_tool, compare_outcomes

from .explain import explain, grounded
from .parser import Call, Context, Reply, parse

log = logging.getLogger("householder.assistant")


@dataclass
class Answer:
    tool: str | None
    arguments: dict
    result: Result | None
    explanation: str
    kind: str = "answer"  # answer | clarify | refuse | error
    comparison: Comparison | None = None
    grounding: list[str] = field(default_factory=list)  # figures a model invented (then replaced)

    def to_json(self) -> dict:
        return {
            "tool": self.tool,
            "arguments": self.arguments,
            "result": self.result.model_dump(mode="json") if self.result else None,
            "explanation": self.explanation,
        }


def _kinds(book: HouseholdBook, household: str | None) -> dict[str, str]:
    h, _ = book.find(household)
    return {a.id: a.kind for a in h.accounts} if h else {}


class Assistant:
    """Keeps the conversation's household, last call and last outcome for what-if follow-ups."""

    def __init__(self, book: HouseholdBook, household: str | None = None, audience: str = "advisor", solver: str = "auto", model=None):
        self.book = book
        self.solver = solver
        self.context = Context(household=household, audience=audience)
        self.last_outcome: ToolOutcome | None = None
        self.model = model  # a LangChain chat model with tool calling, or None for the offline parser

    # -- the offline path -------------------------------------------------------------
    def ask(self, question: str, audience: str | None = None) -> Answer:
        if audience:
            self.context.audience = audience
        if self.model is not None:
            from .agent import ask_model

            return ask_model(self, question)
        parsed = parse(question, self.book, self.context)
        if isinstance(parsed, Reply):
            return Answer(None, {}, None, parsed.text, kind=parsed.kind)
        return self.run(parsed)

    def run(self, call: Call) -> Answer:
        """Run a typed call, remember it, and explain it."""
        outcome = call_tool(self.book, call.tool, call.arguments, self.solver)
        if outcome.error:
            return Answer(None, outcome.arguments, None, outcome.error, kind="clarify")
        comparison = outcome.comparison
        if comparison is None and self.last_outcome is not None and self.last_outcome.arguments.get("household") == outcome.arguments.get("household") and self.last_outcome.tool == outcome.tool and self.last_outcome.arguments != outcome.arguments:
            comparison = compare_outcomes(self.last_outcome, outcome)
        audience = outcome.arguments.get("audience", "advisor")
        alternative = self._alternative(call, outcome) if audience == "support" else None
        text = explain(outcome.result, outcome.tool, outcome.arguments, audience, _kinds(self.book, outcome.arguments.get("household")), alternative, comparison)
        self.context.household = outcome.arguments.get("household")
        self.context.last = Call(outcome.tool, {k: v for k, v in outcome.arguments.items() if k in call.arguments or k == "household"})
        self.context.audience = audience
        self.last_outcome = outcome
        return Answer(outcome.tool, outcome.arguments, outcome.result, text, comparison=comparison)

    def _alternative(self, call: Call, outcome: ToolOutcome):
        """Support answers: re-solve with the alternative forced and let the engine compare."""
        if call.why_account and outcome.tool in ("withdraw", "rebalance", "harvest"):
            args = dict(outcome.arguments)
            args["exclude_accounts"] = sorted(set(args.get("exclude_accounts", [])) | {call.why_account})
            alt = call_tool(self.book, outcome.tool, args, self.solver)
            if alt.result is None:
                return None
            label = f"Leaving {call.why_account} untouched"
            return label, compare_outcomes(outcome, alt) if alt.result.status in ("optimal", "feasible") else None, alt.result
        return None


def model_from_environment():
    """A ChatOpenAI model when OPENAI_API_KEY is set (OPENAI_BASE_URL for any compatible server), else None."""
    if not os.environ.get("OPENAI_API_KEY"):
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=os.environ.get("HOUSEHOLDER_MODEL", "gpt-4o-mini"),
        base_url=os.environ.get("OPENAI_BASE_URL") or None,
        temperature=0,
        timeout=60,
        max_retries=1,
    )


def templated_fallback(answer_text: str, outcome: ToolOutcome, book: HouseholdBook, comparison=None) -> tuple[str, list[str]]:
    """(text, invented figures): the model's text if every figure in it is in the result, else the template."""
    bad = grounded(answer_text, outcome.result, outcome.arguments, *([comparison] if comparison else []))
    if bad or not answer_text.strip():
        if bad:
            log.warning("model text failed the grounding check (%s); using the templated explanation", ", ".join(bad))
        audience = outcome.arguments.get("audience", "advisor")
        return explain(outcome.result, outcome.tool, outcome.arguments, audience, _kinds(book, outcome.arguments.get("household")), None, comparison), bad
    if DISCLAIMER not in answer_text:
        answer_text = answer_text.rstrip() + "\n\n" + DISCLAIMER + "\n"
    return answer_text, []
