"""One conversation with the assistant: question in, tool call, engine result and explanation out.

One `Assistant` owns running, explaining and remembering. What picks the call is interchangeable
(`pick(question, context) -> Pick | Reply`): offline the deterministic parser
(`parser.ParserPicker`), with a model the tool-calling agent (`agent.ModelPicker`). Either way
the engine computes every number, the last plan is compared with the new one, support answers
re-solve the alternative, and the explanation is the template unless a model's draft renders
cleanly from references to the result (see `explain.render_references`).
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from typing import Protocol

from engine import DISCLAIMER, Result
from engine.compare import Comparison
from tools import HouseholdBook, ToolOutcome, call_tool, compare_outcomes

from .explain import constraints_applied, explain, render_references
from .parser import Call, Context, ParserPicker, Pick, Reply, screen

log = logging.getLogger("householder.assistant")


@dataclass
class Answer:
    tool: str | None
    arguments: dict
    result: Result | None
    explanation: str
    kind: str = "answer"  # answer | clarify | refuse | error
    comparison: Comparison | None = None
    grounding: list[str] = field(default_factory=list)  # what a model's draft got wrong (then replaced)
    audience: str = "advisor"  # who the explanation was written for

    def __post_init__(self):
        # Callers that still pass the audience inside the arguments (it is no tool argument now).
        if "audience" in self.arguments:
            self.arguments = dict(self.arguments)
            self.audience = self.arguments.pop("audience") or self.audience

    def to_json(self) -> dict:
        return {
            "tool": self.tool,
            "arguments": self.arguments,
            "result": self.result.model_dump(mode="json") if self.result else None,
            "explanation": self.explanation,
        }


class Picker(Protocol):
    def pick(self, question: str, context: Context) -> Pick | Reply: ...


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
        self._ran: dict[str, ToolOutcome] = {}  # outcomes the picker already ran this question, by call
        self.use_model(model)

    def use_model(self, model) -> None:
        """Who picks the call from now on: the model (a LangChain chat model) or, for None, the
        offline parser. The conversation (household, last plan, audience) carries over."""
        self.model = model
        if model is None:
            self.picker: Picker = ParserPicker(self.book)
        else:
            from .agent import (
                ModelPicker,  # the model path needs the llm extra; the parser does not
            )

            self.picker = ModelPicker(model, self.book, self.execute)

    def ask(self, question: str, audience: str | None = None) -> Answer:
        if audience:
            self.context.audience = audience
        self._ran = {}
        if self.model is not None and (refused := screen(question, self.book, self.context)) is not None:
            # The parser's refusals bind the model path too: an unknown household is never swapped
            # for this one, an injection or an over-long message never reaches the model.
            return Answer(None, {}, None, refused.text, kind=refused.kind, audience=self.context.audience)
        picked = self.picker.pick(question, self.context)
        if isinstance(picked, Reply):
            return Answer(None, {}, None, picked.text, kind=picked.kind, audience=self.context.audience)
        return self.run(picked.call, draft=picked.draft)

    def execute(self, tool: str, arguments: dict) -> ToolOutcome:
        """Run one tool call on the engine (the model's tools call this too); each call runs once."""
        key = json.dumps([tool, arguments], sort_keys=True, default=str)
        if key not in self._ran:
            self._ran[key] = with_input_warnings(self.book, call_tool(self.book, tool, arguments, self.solver))
        return self._ran[key]

    def run(self, call: Call, draft: str | None = None) -> Answer:
        """Run a typed call, remember it, and explain it."""
        outcome = self.execute(call.tool, call.arguments)
        audience = call.audience or self.context.audience
        if outcome.error:
            return Answer(None, outcome.arguments, None, outcome.error, kind="clarify", audience=audience)
        comparison = outcome.comparison
        if comparison is None and self.last_outcome is not None and self.last_outcome.arguments.get("household") == outcome.arguments.get("household") and self.last_outcome.tool == outcome.tool and self.last_outcome.arguments != outcome.arguments:
            comparison = compare_outcomes(self.last_outcome, outcome)
        kinds = _kinds(self.book, outcome.arguments.get("household"))
        alternative = self._alternative(call, outcome) if audience == "support" else None
        text = explain(outcome.result, outcome.tool, outcome.arguments, audience, kinds, alternative, comparison)
        problems: list[str] = []
        if draft is not None and draft.strip():
            rendered, problems = render_references(draft, outcome.result, outcome.arguments, comparison)
            if problems:
                log.warning("model text rejected (%s); using the templated explanation", ", ".join(problems))
            else:
                applied = constraints_applied(outcome.tool, outcome.arguments, kinds, plain=audience == "client")
                text = rendered.rstrip() + ("\n\n" + applied if applied and applied not in rendered else "")
                if DISCLAIMER not in text:
                    text += "\n\n" + DISCLAIMER + "\n"
        self.context.household = outcome.arguments.get("household")
        self.context.last = Call(outcome.tool, {k: v for k, v in outcome.arguments.items() if k in call.arguments or k == "household"})
        self.context.audience = audience
        self.last_outcome = outcome
        return Answer(outcome.tool, outcome.arguments, outcome.result, text, comparison=comparison, grounding=problems, audience=audience)

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


def with_input_warnings(book: HouseholdBook, outcome: ToolOutcome) -> ToolOutcome:
    """The outcome with what validating the household let through (e.g. unknown tickers dropped
    from a firm-wide substitutes list) first among its result's warnings, so every rendering that
    shows the warnings shows these too."""
    if outcome.result is None:
        return outcome
    h, _ = book.find(outcome.arguments.get("household") or outcome.result.household)
    extra = [w for w in (h.input_warnings if h is not None else []) if w not in outcome.result.warnings]
    if not extra:
        return outcome
    return outcome.model_copy(update={"result": outcome.result.model_copy(update={"warnings": extra + list(outcome.result.warnings)})})


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
