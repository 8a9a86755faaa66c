"""The MCP server driven by a real MCP client: in memory, and over streamable HTTP on loopback."""
from __future__ import annotations

import asyncio
import json

import pytest

pytest.importorskip("fastmcp")
from fastmcp import Client  # noqa: E402
from fastmcp.exceptions import ToolError  # noqa: E402

from engine.results import DISCLAIMER  # noqa: E402
from integrations.common import load_book  # noqa: E402
from integrations.mcp_server import build_server  # noqa: E402
from tools import ARGS, HouseholdBook, call_tool  # noqa: E402

from servers import ROOT, Server, small_book  # noqa: E402

RIVERA = "Rivera household"
CALLS = {
    "rebalance": {"household": RIVERA},
    "withdraw": {"household": RIVERA, "amount": 20000},
    "harvest": {"household": RIVERA, "min_loss": 200},
    "locate": {"household": RIVERA},
    "contribute": {"household": RIVERA, "amount": 10000, "account": "joint-taxable"},
    "household_summary": {"household": "rivera"},
    "compare": {"household": RIVERA, "tool": "rebalance", "before": {}, "after": {"gain_budget": 0}},
}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return load_book(small_book(tmp_path_factory.mktemp("book")))


@pytest.fixture(scope="module")
def server(book):
    mcp = build_server(book, time_limit=20)
    yield mcp
    mcp._householder_pool.close()


def run(coro):
    return asyncio.run(coro)


def test_every_typed_tool_is_listed_with_the_schema_of_tools(server):
    async def go():
        async with Client(server) as c:
            return await c.list_tools()

    tools = {t.name: t for t in run(go())}
    assert set(tools) == set(ARGS)
    for name, model in ARGS.items():
        assert tools[name].inputSchema == model.model_json_schema(), name
        assert DISCLAIMER in tools[name].description


def test_each_tool_answers_the_engines_result_as_structured_content_and_a_summary(server, book):
    async def go():
        async with Client(server) as c:
            return {name: await c.call_tool(name, args, timeout=120) for name, args in CALLS.items()}

    answers = run(go())
    for name, answer in answers.items():
        assert not answer.is_error, name
        text = answer.content[0].text
        assert DISCLAIMER in text, name
        body = answer.structured_content
        result = body["result"] if name == "compare" else body
        assert result["household"] == RIVERA and result["disclaimer"] == DISCLAIMER
        assert result["status"] in ("optimal", "feasible"), (name, result["message"])
        assert result["status"] in text
    # The same plan as calling the typed tool directly: the server adds no arithmetic.
    direct = call_tool(book, "withdraw", CALLS["withdraw"]).result.model_dump(mode="json")
    served = answers["withdraw"].structured_content
    assert [(t["account"], t["ticker"], t["action"], t["shares"]) for t in served["trades"]] == \
           [(t["account"], t["ticker"], t["action"], t["shares"]) for t in direct["trades"]]
    assert served["taxes"] == direct["taxes"]
    assert answers["compare"].structured_content["comparison"]["tool_a"] == "rebalance"
    assert answers["household_summary"].structured_content["extra"]["accounts"][0]["id"] == "joint-taxable"


@pytest.mark.parametrize("tool, args, says", [
    ("withdraw", {"household": RIVERA, "amount": -5}, "amount: Input should be greater than 0"),
    ("withdraw", {"household": RIVERA}, "amount: Field required"),
    ("rebalance", {"household": RIVERA, "gain_limit": 5}, "gain_limit: not an argument of this tool"),
    ("rebalance", {"household": "Nobody"}, "household: no household called 'Nobody'; loaded households are: "),
    ("contribute", {"household": RIVERA, "amount": 100, "account": "nope"}, "no account 'nope' in Rivera household; accounts are: joint-taxable"),
    ("rebalance", {"household": RIVERA, "no_sell": ["X" * 70_000]}, "arguments larger than 64,000 bytes"),
])
def test_bad_arguments_and_an_unknown_household_are_tool_errors_naming_the_field(server, tool, args, says):
    async def go():
        async with Client(server) as c:
            with pytest.raises(ToolError) as err:
                await c.call_tool(tool, args, timeout=60)
            return str(err.value)

    message = run(go())
    assert says in message


def test_the_books_households_are_resources(server, book):
    async def go():
        async with Client(server) as c:
            listed = await c.list_resources()
            read = await c.read_resource("household://rivera")
            return listed, read

    listed, read = run(go())
    assert {str(r.uri) for r in listed} == {"household://rivera", "household://couple"}
    document = json.loads(read[0].text)
    assert document["name"] == RIVERA
    assert [a["id"] for a in document["accounts"]] == [a.id for a in book.households[RIVERA].accounts]


def test_streamable_http_on_loopback(tmp_path):
    folder = small_book(tmp_path / "book")
    server = Server("mcp", "--transport", "http", "--book", str(folder), "--time-limit", "20", log=tmp_path / "mcp.log")
    try:
        async def go():
            async with Client(f"{server.url}/mcp", timeout=120) as c:
                names = {t.name for t in await c.list_tools()}
                answer = await c.call_tool("rebalance", {"household": "couple"}, timeout=120)
                with pytest.raises(ToolError) as err:
                    await c.call_tool("withdraw", {"household": "couple", "amount": "lots"}, timeout=60)
                return names, answer, str(err.value)

        names, answer, error = run(go())
    finally:
        server.stop()
    assert names == set(ARGS)
    assert answer.structured_content["household"] == "Okafor-Lindqvist household"
    assert DISCLAIMER in answer.content[0].text
    assert "amount: Input should be a valid number" in error


def test_a_bad_book_stops_the_server_with_the_files_problems(tmp_path):
    import subprocess
    import sys

    folder = small_book(tmp_path / "book")
    (folder / "broken.json").write_text(json.dumps({"name": "Broken"}))
    p = subprocess.run([sys.executable, "-m", "assistant.cli", "mcp", "--book", str(folder)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert "broken.json: " in p.stderr and "Traceback" not in p.stderr


def test_book_loading_is_all_or_nothing(tmp_path):
    folder = small_book(tmp_path / "book")
    assert isinstance(load_book(folder), HouseholdBook)
    (folder / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json: .*not valid JSON"):
        load_book(folder)


def test_stdio_transport_as_a_desktop_assistant_starts_it(tmp_path):
    import sys

    from fastmcp.client.transports import StdioTransport

    folder = small_book(tmp_path / "book")
    transport = StdioTransport(command=sys.executable, args=["-m", "assistant.cli", "mcp", "--book", str(folder)], cwd=str(ROOT))

    async def go():
        async with Client(transport, timeout=120) as c:
            names = {t.name for t in await c.list_tools()}
            answer = await c.call_tool("household_summary", {"household": "rivera"}, timeout=120)
            return names, answer

    names, answer = run(go())
    assert names == set(ARGS)
    assert answer.structured_content["household"] == RIVERA and DISCLAIMER in answer.content[0].text
