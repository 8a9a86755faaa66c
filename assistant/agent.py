"""The model path: a LangChain tool-calling agent on any OpenAI-compatible chat model, as a picker.

`ModelPicker.pick(question, context)` lets the model choose one tool and its arguments; the tool
runs through the Assistant's `execute` (so the engine runs once and the Assistant explains and
remembers, exactly as on the parser path); the model's final text is a draft whose figures are
references to the result (`{taxes.estimated_tax}`) that the Assistant renders or rejects. The
agent is built once per conversation; the history is trimmed at human-message boundaries, so it
never starts with a tool message whose call was cut away.
"""
from __future__ import annotations

import json
import logging
from typing import Callable

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.tools import StructuredTool

from tools import ARGS, HouseholdBook, ToolOutcome

from .explain import grounded, template
from .parser import Call, Context, Pick, Reply

log = logging.getLogger("householder.assistant")

MAX_TURNS = 6  # human turns of history the model sees
MAX_MESSAGES = 40  # and at most this many messages, still cut only where a human turn starts


def system_prompt(names: list[str]) -> str:
    return template("system").format(households=", ".join(names), tools=", ".join(ARGS)) + "\n\n" + template("tool_guidance")


def trim_history(messages: list[BaseMessage], turns: int = MAX_TURNS, limit: int = MAX_MESSAGES) -> list[BaseMessage]:
    """The last `turns` human turns (fewer if they exceed `limit` messages), cut where a human message starts."""
    starts = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    if not starts:
        return []
    keep = starts[-turns:]
    for i in keep:
        if len(messages) - i <= limit:
            return list(messages[i:])
    return list(messages[starts[-1]:])


def _for_model(outcome: ToolOutcome) -> str:
    """What the model reads back: the result without the bulky baseline trade lists."""
    if outcome.error:
        return json.dumps({"error": outcome.error})
    data = outcome.result.model_dump(mode="json") if outcome.result else {}
    if data.get("baseline"):
        data["baseline"].pop("trades", None)
    for b in ((data.get("extra") or {}).get("baselines") or {}).values():
        if isinstance(b, dict):
            b.pop("trades", None)
    out = {"tool": outcome.tool, "arguments": outcome.arguments, "result": data}
    if outcome.comparison is not None:
        out["comparison"] = outcome.comparison.model_dump(mode="json")
    return json.dumps(out)


class ModelPicker:
    """Picks a call with a tool-calling model. One per conversation: the agent is built once."""

    def __init__(self, model, book: HouseholdBook, execute: Callable[[str, dict], ToolOutcome]):
        from langchain.agents import create_agent

        self.book = book
        self.execute = execute
        self.history: list[BaseMessage] = []
        self._calls: list[ToolOutcome] = []
        tools = [
            StructuredTool.from_function(func=self._runner(name), name=name, description=(schema.__doc__ or name).strip(), args_schema=schema)
            for name, schema in ARGS.items()
        ]
        self.agent = create_agent(model, tools=tools, system_prompt=system_prompt(book.names))

    def _runner(self, name: str):
        def run(**kwargs) -> str:
            outcome = self.execute(name, kwargs)
            self._calls.append(outcome)
            return _for_model(outcome)

        return run

    def pick(self, question: str, context: Context) -> Pick | Reply:
        self._calls = []
        note = f"(Conversation household: {context.household or 'none yet'}; writing for: {context.audience}.)"
        try:
            state = self.agent.invoke({"messages": self.history + [HumanMessage(f"{question}\n\n{note}")]})
        except Exception as err:  # the model server is down or answered nonsense: say so, don't crash
            log.warning("model call failed: %s", err)
            return Reply("error", f"The language model could not be reached ({type(err).__name__}). Try again, or unset OPENAI_API_KEY to use the built-in parser.")
        messages = state["messages"]
        self.history = trim_history(messages)
        final = next((m for m in reversed(messages) if isinstance(m, AIMessage) and not m.tool_calls), None)
        text = final.content if final is not None and isinstance(final.content, str) else ""
        done = [c for c in self._calls if c.result is not None]
        if not done:
            # No tool ran: a clarifying question or a refusal. It may not state figures of its own.
            reply = self._calls[-1].error if self._calls and self._calls[-1].error else text
            if grounded(reply):
                reply = "Could you say which household and what you'd like me to run? For example: \"Raise $50k tax-efficiently\"."
            return Reply("clarify", reply or "Could you rephrase that?")
        outcome = done[-1]
        return Pick(Call(outcome.tool, dict(outcome.arguments), audience=context.audience), draft=text)
