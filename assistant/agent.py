"""The model path: a LangChain tool-calling agent on any OpenAI-compatible chat model.

The model chooses one tool and its arguments; the tool runs the engine; the model writes the
explanation from the tool's JSON; `grounded` rejects text with a figure the result doesn't have.
"""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import StructuredTool

from tools import ARGS, ToolOutcome, call_tool

from .explain import grounded, template
from .parser import Call

if TYPE_CHECKING:
    from .answer import Answer, Assistant

log = logging.getLogger("householder.assistant")


def system_prompt(names: list[str]) -> str:
    return template("system").format(households=", ".join(names), tools=", ".join(ARGS)) + "\n\n" + template("tool_guidance")


def _for_model(outcome: ToolOutcome) -> str:
    """What the model reads back: the result without the bulky baseline trade lists."""
    if outcome.error:
        return json.dumps({"error": outcome.error})
    data = outcome.result.model_dump(mode="json") if outcome.result else {}
    if data.get("baseline"):
        data["baseline"].pop("trades", None)
    for b in (data.get("extra", {}).get("baselines") or {}).values():
        b.pop("trades", None)
    out = {"tool": outcome.tool, "arguments": outcome.arguments, "result": data}
    if outcome.comparison is not None:
        out["comparison"] = outcome.comparison.model_dump()
    return json.dumps(out)


def make_tools(assistant: "Assistant", calls: list[ToolOutcome]) -> list[StructuredTool]:
    def runner(name: str):
        def run(**kwargs) -> str:
            outcome = call_tool(assistant.book, name, kwargs, assistant.solver)
            calls.append(outcome)
            return _for_model(outcome)

        return run

    return [
        StructuredTool.from_function(func=runner(name), name=name, description=(schema.__doc__ or name).strip(), args_schema=schema)
        for name, schema in ARGS.items()
    ]


def ask_model(assistant: "Assistant", question: str) -> "Answer":
    from langchain.agents import create_agent

    from .answer import Answer, templated_fallback

    calls: list[ToolOutcome] = []
    agent = create_agent(assistant.model, tools=make_tools(assistant, calls), system_prompt=system_prompt(assistant.book.names))
    history = getattr(assistant, "history", [])
    try:
        state = agent.invoke({"messages": history + [HumanMessage(question)]})
    except Exception as err:  # the model server is down or answered nonsense: say so, don't crash
        log.warning("model call failed: %s", err)
        return Answer(None, {}, None, f"The language model could not be reached ({type(err).__name__}). Try again, or unset OPENAI_API_KEY to use the built-in parser.", kind="error")
    messages = state["messages"]
    assistant.history = messages[-12:]
    final = next((m for m in reversed(messages) if isinstance(m, AIMessage) and not m.tool_calls), None)
    text = final.content if final is not None and isinstance(final.content, str) else ""
    done = [c for c in calls if c.result is not None]
    if not done:
        # No tool ran: a clarifying question or a refusal. It may not state figures of its own.
        reply = calls[-1].error if calls and calls[-1].error else text
        if grounded(reply):
            reply = "Could you say which household and what you'd like me to run? For example: \"Raise $50k tax-efficiently\"."
        return Answer(None, {}, None, reply or "Could you rephrase that?", kind="clarify")
    outcome = done[-1]
    explanation, bad = templated_fallback(text, outcome, assistant.book, outcome.comparison)
    assistant.context.household = outcome.arguments.get("household")
    assistant.context.last = Call(outcome.tool, dict(outcome.arguments))
    assistant.last_outcome = outcome
    return Answer(outcome.tool, outcome.arguments, outcome.result, explanation, comparison=outcome.comparison, grounding=bad)
