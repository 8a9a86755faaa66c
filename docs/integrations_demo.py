"""Produce the README's MCP session transcript and API request/response from the running code.

    .venv/bin/python docs/integrations_demo.py

Starts the MCP server over streamable HTTP and the API under uvicorn, each on a free loopback
port in this process, drives them with real clients, prints Markdown, and stops them.
"""
from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from fastmcp import Client  # noqa: E402
from fastmcp.exceptions import ToolError  # noqa: E402

from integrations.api import create_app  # noqa: E402
from integrations.common import load_book  # noqa: E402
from integrations.mcp_server import build_server  # noqa: E402
from integrations.tokens import TokensFile, new_token  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_in_thread(app, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def short(result: dict) -> str:
    """The Result's headline fields and its first order; the README says the rest is there."""
    keep = {k: result[k] for k in ("tool", "household", "as_of", "status", "solver", "gap", "taxes", "disclaimer")}
    keep["trades"] = result["trades"][:1] + [f"... {len(result['trades']) - 1} more"]
    keep["extra"] = {"withdrawal": result["extra"].get("withdrawal")}
    return json.dumps(keep, indent=2)


async def mcp_session(url: str) -> list[str]:
    out = []
    async with Client(url, timeout=120) as c:
        tools = await c.list_tools()
        out.append(f">>> list_tools()\n{', '.join(t.name for t in tools)}")
        resources = await c.list_resources()
        out.append(">>> list_resources()\n" + "\n".join(f"{r.uri}  {r.name}" for r in resources))
        answer = await c.call_tool("withdraw", {"household": "rivera", "amount": 20000})
        out.append(">>> call_tool('withdraw', {'household': 'rivera', 'amount': 20000})\n"
                   f"text:\n{answer.content[0].text}\n"
                   f"structured_content (first trade): {json.dumps(answer.structured_content['trades'][0])}")
        for args in ({"household": "rivera", "amount": -5}, {"household": "Smiths", "amount": 5000}):
            try:
                await c.call_tool("withdraw", args)
            except ToolError as err:
                out.append(f">>> call_tool('withdraw', {args})\nToolError: {err}")
    return out


def main() -> None:
    book = load_book(ROOT / "examples")
    mcp = build_server(book, time_limit=30)
    mcp_port = free_port()
    mcp_server = serve_in_thread(mcp.http_app(), mcp_port)
    transcript = asyncio.run(mcp_session(f"http://127.0.0.1:{mcp_port}/mcp"))
    mcp_server.should_exit = True
    mcp._householder_pool.close()

    token, entry = new_token("rivera-desk", ["Rivera household"])
    app = create_app(book, TokensFile.model_validate({"tokens": [entry]}), time_limit=30)
    api_port = free_port()
    api_server = serve_in_thread(app, api_port)
    base = f"http://127.0.0.1:{api_port}"
    headers = {"Authorization": "Bearer $TOKEN"}
    real = {"Authorization": f"Bearer {token}"}
    body = {"household": "rivera", "options": {"amount": 20000, "net": True}}
    ok = httpx.post(f"{base}/v1/withdraw", json=body, headers=real, timeout=120)
    bad = httpx.post(f"{base}/v1/withdraw", json={"household": "rivera", "options": {"amount": "lots", "nett": True}}, headers=real, timeout=60)
    other = httpx.post(f"{base}/v1/household_summary", json={"household": "couple"}, headers=real, timeout=60)
    api_server.should_exit = True

    print("## MCP session (streamable HTTP)\n\n```text")
    print("\n\n".join(transcript))
    print("```\n\n## API\n\n```text")
    print(f"POST /v1/withdraw  {headers}\n{json.dumps(body)}\n\nHTTP {ok.status_code}\n{short(ok.json())}")
    print(f"\nPOST /v1/withdraw  {json.dumps({'household': 'rivera', 'options': {'amount': 'lots', 'nett': True}})}\n\nHTTP {bad.status_code}\n{json.dumps(bad.json(), indent=2)}")
    print(f"\nPOST /v1/household_summary  {json.dumps({'household': 'couple'})}\n\nHTTP {other.status_code}\n{json.dumps(other.json(), indent=2)}")
    print("```")


if __name__ == "__main__":
    main()
