"""Householder as an MCP server: every typed tool of tools/ with its own argument schema, the
households of a book folder as resources, results as structured content (the JSON that
`householder <tool> --json` prints) plus a short text summary that carries the disclaimer.

Bad arguments and an unknown household are tool errors naming the field and the fix, the same
messages as the CLI's; nothing runs. Arguments are bounded in size, and a solve in time: it gets
the server's time limit and answers with the best plan and its gap.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.resources import TextResource
from fastmcp.tools import Tool, ToolResult
from mcp.types import TextContent

from engine.results import DISCLAIMER

from .common import DEFAULT_TIME_LIMIT, MAX_ARGUMENT_BYTES, BodyLimit, Pool, argument_problems, json_size, payload, summary


def build_server(book, *, solver: str = "auto", time_limit: float = DEFAULT_TIME_LIMIT, workers: int = 2) -> FastMCP:
    """A FastMCP server over one book (a tools.HouseholdBook)."""
    from tools import ARGS

    mcp = FastMCP("householder", instructions=(
        "Tax-aware, household-level rebalancing across accounts. Tools take a household name from the "
        f"book (see the household:// resources). {DISCLAIMER}"))
    pool = Pool(workers)

    async def run(tool: str, arguments: dict[str, Any]) -> ToolResult:
        if json_size(arguments) > MAX_ARGUMENT_BYTES:
            raise ToolError(f"arguments larger than {MAX_ARGUMENT_BYTES:,} bytes; households are named, not sent")
        problems = argument_problems(tool, arguments)
        if problems:
            raise ToolError("bad arguments:\n" + "\n".join(problems))
        h, why = book.find(arguments.get("household"))
        if h is None:
            raise ToolError(f"household: {why}")
        try:
            outcome = await pool.run(h, tool, {k: v for k, v in arguments.items() if k != "household"}, solver, time_limit)
        except asyncio.TimeoutError:
            raise ToolError(f"{tool} did not finish within its time limit of {time_limit:g} s and the grace time; try a smaller request") from None
        if outcome.error:
            raise ToolError(outcome.error)
        return ToolResult(content=[TextContent(type="text", text=summary(outcome))], structured_content=payload(outcome))

    for name, model in ARGS.items():
        mcp.add_tool(_tool(name, model, run))

    for name, h in book.households.items():
        stem = next((s for s, n in book._stems.items() if n == name), name)
        mcp.add_resource(TextResource(
            uri=f"household://{stem}", name=name, mime_type="application/json",
            description=f"{name}: {len(h.accounts)} accounts, as of {h.as_of.isoformat()} (the household document)",
            text=json.dumps(h.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2)))
    mcp._householder_pool = pool  # closed by serve()
    return mcp


def _tool(name: str, model, run) -> Tool:
    class _One(Tool):
        async def run(self, arguments: dict[str, Any]) -> ToolResult:
            return await run(name, arguments)

    doc = (model.__doc__ or name).strip()
    return _One(name=name, description=f"{doc} Returns the Result as structured content. {DISCLAIMER}",
                parameters=model.model_json_schema())


def serve(book, transport: str, host: str, port: int, *, solver: str = "auto", time_limit: float = DEFAULT_TIME_LIMIT) -> None:
    mcp = build_server(book, solver=solver, time_limit=time_limit)
    try:
        if transport == "stdio":
            mcp.run(show_banner=False)
        else:
            import uvicorn
            from starlette.middleware import Middleware

            app = mcp.http_app(middleware=[Middleware(BodyLimit, limit=MAX_ARGUMENT_BYTES * 2)])
            uvicorn.run(app, host=host, port=port, log_level="warning", timeout_keep_alive=5)
    finally:
        mcp._householder_pool.close()
