"""The HTTP API against a real uvicorn on loopback, driven by httpx."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")

from engine.results import DISCLAIMER  # noqa: E402
from integrations.tokens import new_token  # noqa: E402

from servers import ROOT, Server, small_book  # noqa: E402

RIVERA = "Rivera household"
COUPLE = "Okafor-Lindqvist household"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """A server with two tokens: `rivera` may use only the Rivera household, `ops` every one."""
    root = tmp_path_factory.mktemp("api")
    folder = small_book(root / "book")
    rivera, rivera_entry = new_token("rivera-desk", [RIVERA])
    ops, ops_entry = new_token("ops", ["*"])
    tokens = root / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [rivera_entry, ops_entry]}))
    server = Server("api", "--book", str(folder), "--tokens", str(tokens), "--time-limit", "20", log=root / "api.log")
    server.tokens = {"rivera": rivera, "ops": ops}
    server.folder = folder
    yield server
    server.stop()


def post(api, tool, body, token="rivera", **kw):
    headers = {"Authorization": f"Bearer {api.tokens[token]}"} if token else {}
    return httpx.post(f"{api.url}/v1/{tool}", json=body, headers=headers, timeout=120, **kw)


def test_the_answer_is_the_same_json_as_the_cli(api):
    r = post(api, "rebalance", {"household": RIVERA, "options": {"gain_budget": 5000}})
    assert r.status_code == 200, r.text
    served = r.json()
    p = subprocess.run([sys.executable, "-m", "assistant.cli", "rebalance", str(api.folder / "rivera.json"), "--json",
                        "--gain-budget", "5000", "--time-limit", "20"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    cli = json.loads(p.stdout)
    for r_ in (served, cli):
        r_.pop("solve_seconds")
        r_["extra"].pop("total_seconds", None)  # timings differ run to run
    assert served == cli
    assert served["disclaimer"] == DISCLAIMER


def test_auth_is_refused_without_a_token_or_with_an_unknown_one(api):
    assert post(api, "rebalance", {"household": RIVERA}, token=None).status_code == 401
    r = httpx.post(f"{api.url}/v1/rebalance", json={"household": RIVERA}, headers={"Authorization": "Bearer not-a-token"}, timeout=30)
    assert r.status_code == 401 and r.json()["error"] == "unknown bearer token"
    assert httpx.get(f"{api.url}/v1/schema", timeout=30).status_code == 401


def test_another_tokens_household_is_refused_and_not_named(api):
    r = post(api, "household_summary", {"household": COUPLE})
    assert r.status_code == 403
    assert "may not use household" in r.json()["error"]
    r = post(api, "household_summary", {"household": "Nobody"})
    assert r.status_code == 404
    assert COUPLE not in r.json()["error"] and RIVERA in r.json()["error"]
    assert post(api, "household_summary", {"household": COUPLE}, token="ops").status_code == 200
    listed = httpx.get(f"{api.url}/v1/households", headers={"Authorization": f"Bearer {api.tokens['rivera']}"}, timeout=30).json()
    assert listed == {"households": [RIVERA]}


def test_an_oversized_body_is_413_before_anything_runs(api):
    document = json.loads((ROOT / "examples" / "rivera.json").read_text())
    document["padding"] = "x" * 2_100_000
    r = post(api, "rebalance", {"household": document})
    assert r.status_code == 413
    assert "larger than 2,000,000 bytes" in r.json()["error"]


def test_a_chunked_oversized_body_is_413_too(api):
    def chunks():
        for _ in range(300):
            yield b"x" * 10_000

    r = httpx.post(f"{api.url}/v1/rebalance", content=chunks(), headers={"Authorization": f"Bearer {api.tokens['rivera']}", "Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413


@pytest.mark.parametrize("tool, body, says", [
    ("withdraw", {"household": RIVERA, "options": {"amount": -1}}, "options.amount: Input should be greater than 0 (got -1)"),
    ("withdraw", {"household": RIVERA}, "options: Field required"),
    ("rebalance", {"household": RIVERA, "options": {"gain_limit": 1}}, "options.gain_limit: not an argument of this tool"),
    ("contribute", {"household": RIVERA, "options": {"amount": 10, "account": "nope"}}, "no account 'nope' in Rivera household"),
    ("rebalance", {"household": RIVERA, "time_limit": 999}, "time_limit: at most 20 seconds on this server"),
])
def test_bad_tool_arguments_are_422_with_the_field(api, tool, body, says):
    r = post(api, tool, body)
    assert r.status_code == 422, r.text
    assert any(says in p for p in r.json()["problems"]), r.json()


def test_an_inline_household_document_is_validated_field_by_field(api):
    document = json.loads((ROOT / "examples" / "couple.json").read_text())
    assert post(api, "household_summary", {"household": document}).json()["household"] == COUPLE
    document["accounts"][0]["holdings"][0]["shares"] = -3
    r = post(api, "household_summary", {"household": document})
    assert r.status_code == 422
    assert any(p.startswith("household.accounts[0].holdings[0].shares") for p in r.json()["problems"]), r.json()


def test_an_unknown_tool_names_the_tools(api):
    r = post(api, "rebalanse", {"household": RIVERA})
    assert r.status_code == 404 and "tools are: rebalance" in r.json()["error"]


def test_schema_and_openapi(api):
    schema = httpx.get(f"{api.url}/v1/schema", headers={"Authorization": f"Bearer {api.tokens['ops']}"}, timeout=30).json()
    assert "amount" in schema["tools"]["withdraw"]["properties"]
    assert "accounts" in schema["household"]["properties"]
    paths = httpx.get(f"{api.url}/openapi.json", timeout=30).json()["paths"]
    assert {"/v1/rebalance", "/v1/withdraw", "/v1/compare", "/v1/schema"} <= set(paths)


def test_concurrent_requests_are_answered_correctly_and_do_not_block_the_loop(api):
    calls = [
        ("rebalance", {"household": RIVERA}, "rivera"),
        ("withdraw", {"household": COUPLE, "options": {"amount": 15000}}, "ops"),
        ("harvest", {"household": RIVERA}, "rivera"),
        ("locate", {"household": COUPLE}, "ops"),
    ]

    async def go():
        async with httpx.AsyncClient(base_url=api.url, timeout=180) as c:
            async def one(tool, body, who):
                return await c.post(f"/v1/{tool}", json=body, headers={"Authorization": f"Bearer {api.tokens[who]}"})

            solves = [asyncio.create_task(one(*call)) for call in calls]
            await asyncio.sleep(0.3)
            started = time.monotonic()
            schema = await c.get("/v1/schema", headers={"Authorization": f"Bearer {api.tokens['ops']}"})
            schema_seconds = time.monotonic() - started
            return await asyncio.gather(*solves), schema, schema_seconds

    answers, schema, schema_seconds = asyncio.run(go())
    assert schema.status_code == 200
    # Solves run in worker processes: the event loop answers meanwhile (loose bound: shared machine).
    assert schema_seconds < 5
    for (tool, body, _), r in zip(calls, answers):
        assert r.status_code == 200, r.text
        assert (r.json()["tool"], r.json()["household"]) == (tool, body["household"])
        assert r.json()["status"] in ("optimal", "feasible")


def test_a_solve_past_its_limit_answers_with_the_best_plan_and_its_gap(api):
    document = json.loads((ROOT / "examples" / "large.json").read_text())
    started = time.monotonic()
    r = post(api, "rebalance", {"household": document, "time_limit": 1}, token="ops")
    elapsed = time.monotonic() - started
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] in ("optimal", "feasible")
    if body["status"] == "feasible":
        assert body["gap"] is not None
    assert elapsed < 1 + 30 + 30  # the limit, model building and a worker start on a loaded machine


def test_help_imports_neither_the_solver_stack_nor_the_servers():
    code = "import sys; from assistant.cli import build_parser; build_parser(); print(sorted(m for m in ('pyomo', 'fastapi', 'fastmcp', 'uvicorn') if m in sys.modules))"
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "[]", p.stderr


def test_a_request_past_its_time_and_grace_is_408_not_a_hung_connection(tmp_path):
    """A real uvicorn on loopback serving an app whose grace time is zero: the answer must come
    as 408 at about the time limit, while the worker is still starting."""
    import threading

    import uvicorn

    from integrations.api import create_app
    from integrations.common import load_book
    from servers import free_port

    app = create_app(load_book(small_book(tmp_path / "book")), None, time_limit=0.2, grace=0.0)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        started = time.monotonic()
        r = httpx.post(f"http://127.0.0.1:{port}/v1/rebalance", json={"household": RIVERA}, timeout=60)
        elapsed = time.monotonic() - started
    finally:
        server.should_exit = True
        thread.join(15)
    assert r.status_code == 408
    assert "did not finish within 0.2 seconds" in r.json()["error"]
    assert elapsed < 10
