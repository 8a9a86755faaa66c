"""Drives the chat app's own hooks (assistant/app.py) in this process, over a real Chainlit
session whose socket is a list: what the app emits is recorded, not sent. Used by
tests/test_app_session.py in a subprocess of its own (Chainlit reads CHAINLIT_APP_ROOT when it is
first imported, and the app registers its routes and data layer at import).

    python tests/app_harness.py SCENARIO ...   -> one JSON object per scenario on stdout
"""
from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import chainlit as cl  # noqa: E402
from chainlit.chat_context import chat_contexts  # noqa: E402
from chainlit.context import init_ws_context  # noqa: E402
from chainlit.session import WebsocketSession  # noqa: E402

import assistant.app as app  # noqa: E402


class Socket:
    """The browser's end: every emitted event, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    async def emit(self, event, data):
        self.events.append((event, data))

    async def call(self, event, data, timeout):
        return None

    def messages(self) -> list[str]:
        """The assistant messages shown, in order (updates replace their message's text)."""
        shown: dict[str, str] = {}
        for event, data in self.events:
            if event in ("new_message", "update_message") and isinstance(data, dict) and data.get("type") == "assistant_message":
                shown[data["id"]] = data.get("output") or ""
        return list(shown.values())


def new_session(thread_id: str | None = None) -> tuple[WebsocketSession, Socket]:
    socket = Socket()
    session = WebsocketSession(id=str(uuid.uuid4()), socket_id=str(uuid.uuid4()), emit=socket.emit, emit_call=socket.call,
                               user_env={}, client_type="webapp", thread_id=thread_id or str(uuid.uuid4()))
    init_ws_context(session)
    return session, socket


async def say(text: str) -> None:
    await app.on_message(cl.Message(content=text, author="User", type="user_message"))


class Upload:
    def __init__(self, path: Path):
        self.name, self.path = path.name, str(path)


async def history() -> dict:
    """Many messages in one session, then the session closes."""
    session, socket = new_session()
    await app.start()
    for i in range(3 * app.MAX_HISTORY):
        await say(f"hello {i}")
    held = len(chat_contexts.get(session.id, []))
    await app.end()
    return {"messages_shown": len(socket.messages()), "held_while_open": held, "limit": app.MAX_HISTORY,
            "held_after_close": session.id in chat_contexts, "assistant_after_close": cl.user_session.get("assistant") is not None}


async def upload_and_ask(path: str, question: str, audience: str = "advisor") -> dict:
    """Upload a household file, pick the reader, ask one question: every message shown."""
    session, socket = new_session()
    await app.start()
    await app.on_message(cl.Message(content="", elements=[Upload(Path(path))]))
    if audience != "advisor":
        await app.settings_changed({**(cl.user_session.get("settings") or {}), "audience": audience})
    await say(question)
    await app.end()
    return {"messages": socket.messages(), "thread": session.thread_id}


async def resume(thread_id: str, question: str) -> dict:
    """A conversation reopened by a new server process (on_chat_resume), then one question."""
    session, socket = new_session(thread_id)
    await app.resume({"id": thread_id})
    households = list(cl.user_session.get("assistant").book.households)
    await say(question)
    return {"messages": socket.messages(), "households": households, "selected": cl.user_session.get("assistant").context.household}


async def model_switch() -> dict:
    """The "Assistant" setting switches who picks the call: the model, then the offline parser again."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    class Scripted(GenericFakeChatModel):
        def bind_tools(self, tools, **kwargs):
            return self

    call = AIMessage(content="", tool_calls=[{"name": "household_summary", "args": {"household": "Rivera household"},
                                              "id": "call_1", "type": "tool_call"}])
    model = Scripted(messages=iter([call, AIMessage(content="MODEL-WROTE-THIS for {household}.")]))
    session, socket = new_session()
    await app.start()
    cl.user_session.set("model", model)  # as model_from_environment() would with OPENAI_API_KEY set
    settings = {**(cl.user_session.get("settings") or {}), "household": "Rivera household"}
    await app.settings_changed(settings)
    await say("hello")
    offline_first = socket.messages()[-1]
    await app.settings_changed({**settings, "assistant": "model"})
    picker_on = type(cl.user_session.get("assistant").picker).__name__
    await say("hello")
    by_model = socket.messages()[-1]
    await app.settings_changed({**settings, "assistant": "offline"})
    picker_off = type(cl.user_session.get("assistant").picker).__name__
    await say("hello")
    offline_again = socket.messages()[-1]
    return {"offline_first": offline_first, "picker_on": picker_on, "by_model": by_model, "picker_off": picker_off,
            "offline_again": offline_again}


SCENARIOS = {"history": history, "upload_and_ask": upload_and_ask, "resume": resume, "model_switch": model_switch}


async def main(argv: list[str]) -> None:
    try:
        out = await SCENARIOS[argv[0]](*argv[1:])
    finally:
        app.POOL.close()
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
