"""The chat app's database (assistant/store.py and Chainlit's SQLAlchemy data layer) on both
backends it supports: a SQLite file and a real PostgreSQL server (tests/postgres.py starts a
throwaway cluster; `.ci/run` installs Debian's postgresql). Conversations, uploads, the question
in flight, downloads, revoked logins and the audit trail, written and read back, and the audit
listed by `householder audit`."""
from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid

import pytest
from postgres import PostgresServer, binaries

from assistant.cli import main
from assistant.store import Store


@pytest.fixture(scope="module")
def postgres():
    bin_dir = binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install -y postgresql; .ci/run does): the PostgreSQL half is not run")
    server = PostgresServer(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"
    server = request.getfixturevalue("postgres")
    # Each test its own database, so tests stay independent on one server.
    name = f"t_{uuid.uuid4().hex[:12]}"

    async def create():
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(server.url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    asyncio.run(create())
    return server.url.rsplit("/", 1)[0] + "/" + name


def _run(coro):
    return asyncio.run(coro)


async def _with_store(url: str, work):
    store = Store(url)
    try:
        return await work(store)
    finally:
        await store.close()


def test_state_is_one_row_per_conversation_and_the_question_in_flight_is_cleared_by_the_answer(url):
    async def work(store: Store):
        assert await store.load_state("t1") == (None, None)
        await store.set_pending("t1", "avery", "Rebalance the Rivera household")  # the first question, before any state
        assert await store.load_state("t1") == ({}, "Rebalance the Rivera household")
        await store.save_state("t1", "avery", {"household": "Rivera household", "audience": "client"})
        await store.set_pending("t1", "avery", "make it tighter")
        state, pending = await store.load_state("t1")
        assert state == {"household": "Rivera household", "audience": "client"} and pending == "make it tighter"
        await store.save_state("t1", "avery", {"household": "Ellis household"})  # the answer came: nothing in flight
        assert await store.load_state("t1") == ({"household": "Ellis household"}, None)
        rows = await store._run("SELECT COUNT(*) AS n FROM householder_sessions WHERE thread_id = 't1'")
        assert rows[0]["n"] == 1
        await store.save_state("t2", None, {"household": "x"})
        assert (await store.load_state("t1"))[0] == {"household": "Ellis household"}

    _run(_with_store(url, work))


def test_uploads_are_kept_per_conversation_newest_last_and_bounded(url):
    async def work(store: Store):
        for i in range(4):
            await store.put_upload("t1", "avery", name=f"H{i}", stem=f"h{i}", household_json=json.dumps({"name": f"H{i}", "lots": i}),
                                   input_warnings=[f"w{i}"] if i % 2 else [], keep=3)
        await store.put_upload("t1", "avery", name="H1", stem="h1-again", household_json=json.dumps({"name": "H1", "lots": 9}),
                               input_warnings=["again"], keep=3)  # replaced, and now the newest
        await store.put_upload("t2", None, name="H0", stem="other", household_json=json.dumps({"name": "H0"}), input_warnings=[], keep=3)
        ups = await store.uploads("t1")
        assert [u["household"]["name"] for u in ups] == ["H2", "H3", "H1"]
        assert ups[-1] == {"stem": "h1-again", "household": {"name": "H1", "lots": 9}, "input_warnings": ["again"]}
        assert [u["stem"] for u in await store.uploads("t2")] == ["other"]
        assert await store.uploads("nobody") == []

    _run(_with_store(url, work))


def test_downloads_and_revoked_logins(url):
    async def work(store: Store):
        facts = {"household": "Rivera household", "tool": "rebalance"}
        await store.put_download("tok-" + "a" * 30, thread_id="t1", user_id="avery", name="orders.csv", mime="text/csv",
                                 content="account,action\r\nx,sell\r\n", audit=facts)
        row = await store.get_download("tok-" + "a" * 30)
        assert row["content"] == "account,action\r\nx,sell\r\n" and json.loads(row["audit"]) == facts and row["user_id"] == "avery"
        assert await store.get_download("tok-missing") is None
        import time

        await store.revoke("token-1", time.time() + 60)
        await store.revoke("token-2", time.time() - 1)  # already expired: not listed
        from assistant.store import digest

        assert await store.revoked() == {digest("token-1")}

    _run(_with_store(url, work))


def test_audit_rows_are_written_and_listed_by_user_and_date(url, capsys):
    async def write(store: Store):
        facts = {"household": "Rivera household", "household_digest": "a" * 64, "tool": "rebalance",
                 "arguments": {"household": "Rivera household"}, "result_digest": "b" * 64, "solver_status": "optimal"}
        await store.audit("shown", user_id="avery", thread_id="t1", **facts)
        await store.audit("downloaded", user_id="avery", thread_id="t1", detail="orders-rivera-rebalance.csv", **facts)
        await store.audit("shown", user_id="blake", thread_id="t2", **{**facts, "household": "Ellis household"})

    _run(_with_store(url, write))
    assert main(["audit", "--database", url, "--user", "avery"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert [ln.split("\t")[1:6] for ln in lines] == [["avery", "shown", "Rivera household", "rebalance", "optimal"],
                                                     ["avery", "downloaded", "Rivera household", "rebalance", "optimal"]]
    assert "orders-rivera-rebalance.csv" in lines[1] and "household sha256:aaaaaaaaaaaaaaaa" in lines[0]
    assert main(["audit", "--database", url]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    assert main(["audit", "--database", url, "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["audit", "--database", url, "--since", "last tuesday"]) == 2
    assert "--since" in capsys.readouterr().err


def test_audit_refuses_a_database_it_cannot_open(tmp_path, capsys):
    assert main(["audit", "--database", f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}"]) == 2
    assert "no audit database" in capsys.readouterr().err
    # Nothing listens on port 9 of loopback: one line naming the database, no traceback.
    assert main(["audit", "--database", "postgresql+asyncpg://nobody@127.0.0.1:9/none"]) == 2
    err = capsys.readouterr().err
    assert "cannot read the audit database" in err and "Traceback" not in err


def test_chainlit_data_layer_keeps_users_threads_and_steps(url, tmp_path):
    """The conversation tables as Chainlit's own SQLAlchemy layer writes and reads them (what
    resuming a thread after a restart reads)."""
    if "chainlit.config" not in sys.modules:
        os.environ.setdefault("CHAINLIT_APP_ROOT", str(tmp_path))  # Chainlit writes .chainlit/ into its app root on import
    from chainlit.context import init_http_context
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
    from chainlit.user import User

    async def work():
        store = Store(url)
        await store.create_schema()
        await store.close()
        layer = SQLAlchemyDataLayer(conninfo=url)
        try:
            user = await layer.create_user(User(identifier="avery", metadata={"role": "advisor"}))
            assert user is not None and (await layer.get_user("avery")).id == user.id
            thread = str(uuid.uuid4())
            init_http_context(thread_id=thread)
            await layer.update_thread(thread, name="Rebalance the Rivera household", user_id=user.id, metadata={"k": 1})
            now = "2026-12-02T10:00:00Z"
            for i, (kind, text) in enumerate([("user_message", "Rebalance the Rivera household"),
                                               ("assistant_message", "**Rebalance for Rivera household** | a | b |")]):
                await layer.create_step({"id": str(uuid.uuid4()), "threadId": thread, "name": "x", "type": kind, "output": text,
                                         "createdAt": now.replace("00Z", f"0{i}Z"), "start": now, "end": now, "streaming": False,
                                         "metadata": {}, "isError": False})
            got = await layer.get_thread(thread)
            assert got["userIdentifier"] == "avery" and got["name"] == "Rebalance the Rivera household"
            assert [s["output"] for s in got["steps"]] == ["Rebalance the Rivera household", "**Rebalance for Rivera household** | a | b |"]
            from chainlit.types import Pagination, ThreadFilter

            listed = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=user.id))
            assert [t["id"] for t in listed.data] == [thread]
        finally:
            await layer.engine.dispose()

    _run(work())


def test_the_chat_app_keeps_a_conversation_across_a_restart_on_postgresql(postgres, tmp_path):
    """The app itself (tests/app_harness.py: its hooks over a real Chainlit session, one process
    per server start) with HOUSEHOLDER_DATABASE_URL on PostgreSQL: an upload and a plan, then a
    new process resumes the thread and answers for the uploaded household."""
    from test_app_session import NAME, hostile_household, upload_then_resume

    url = postgres.url
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(hostile_household()))
    first, again = upload_then_resume(tmp_path, path, database=url)
    assert again["selected"] == NAME
    assert any("NOTHELD1" in m and "| account | action | ticker |" in m for m in again["messages"])

    async def audited():
        return await _with_store(url, lambda store: store.audit_rows())

    rows = _run(audited())
    assert [r.event for r in rows] == ["shown", "shown"] and {r.household for r in rows} == {NAME}
