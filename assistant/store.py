"""The chat app's database: Chainlit's conversation tables plus the app's own, in one place.

Chainlit's SQLAlchemy data layer keeps users, threads (conversations), steps (messages) and
elements; its schema is created here because the layer does not create it. Next to them:
- householder_sessions: a conversation's state that the text alone cannot rebuild — the selected
  household and audience, the last plan — and the question in flight (one row, upserted per message);
- householder_uploads: the households uploaded into a conversation, written once per upload;
- householder_audit: every plan shown or downloaded (compliance's trail);
- householder_downloads: the files offered in a chat, served by an unguessable token;
- householder_revoked: login tokens ended by a logout.

HOUSEHOLDER_DATABASE_URL picks the database: `sqlite+aiosqlite:///PATH` (the default, a file in the
server's folder) or `postgresql+asyncpg://user:pass@host/db`.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Chainlit 2.x's schema (docs.chainlit.io/data-layers/sqlalchemy), plus the step columns its
# StepDict carries (modes, autoCollapse, icon), which the layer inserts whenever they are set.
CHAINLIT_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS users (
        "id" UUID PRIMARY KEY, "identifier" TEXT NOT NULL UNIQUE, "metadata" JSONB NOT NULL, "createdAt" TEXT)""",
    """CREATE TABLE IF NOT EXISTS threads (
        "id" UUID PRIMARY KEY, "createdAt" TEXT, "name" TEXT, "userId" UUID, "userIdentifier" TEXT,
        "tags" TEXT[], "metadata" JSONB,
        FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE)""",
    """CREATE TABLE IF NOT EXISTS steps (
        "id" UUID PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL, "threadId" UUID NOT NULL,
        "parentId" UUID, "streaming" BOOLEAN NOT NULL, "waitForAnswer" BOOLEAN, "isError" BOOLEAN,
        "metadata" JSONB, "tags" TEXT[], "input" TEXT, "output" TEXT, "createdAt" TEXT, "command" TEXT,
        "start" TEXT, "end" TEXT, "generation" JSONB, "showInput" TEXT, "language" TEXT, "indent" INT,
        "defaultOpen" BOOLEAN, "modes" JSONB, "autoCollapse" BOOLEAN, "icon" TEXT,
        FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE)""",
    """CREATE TABLE IF NOT EXISTS elements (
        "id" UUID PRIMARY KEY, "threadId" UUID, "type" TEXT, "url" TEXT, "chainlitKey" TEXT,
        "name" TEXT NOT NULL, "display" TEXT, "objectKey" TEXT, "size" TEXT, "page" INT, "language" TEXT,
        "forId" UUID, "mime" TEXT, "props" JSONB, "autoPlay" BOOLEAN, "playerConfig" JSONB,
        FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE)""",
    """CREATE TABLE IF NOT EXISTS feedbacks (
        "id" UUID PRIMARY KEY, "forId" UUID NOT NULL, "threadId" UUID NOT NULL, "value" INT NOT NULL,
        "comment" TEXT, FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE)""",
]

APP_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS householder_sessions (
        thread_id TEXT PRIMARY KEY, user_id TEXT, state TEXT NOT NULL, pending TEXT, updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS householder_audit (
        id TEXT PRIMARY KEY, at TEXT NOT NULL, user_id TEXT, thread_id TEXT, event TEXT NOT NULL,
        household TEXT, household_digest TEXT, tool TEXT, arguments TEXT, result_digest TEXT,
        solver_status TEXT, detail TEXT)""",
    "CREATE INDEX IF NOT EXISTS householder_audit_at ON householder_audit (at)",
    """CREATE TABLE IF NOT EXISTS householder_uploads (
        thread_id TEXT NOT NULL, name TEXT NOT NULL, user_id TEXT, stem TEXT, household TEXT NOT NULL,
        input_warnings TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (thread_id, name))""",
    """CREATE TABLE IF NOT EXISTS householder_downloads (
        token TEXT PRIMARY KEY, thread_id TEXT, user_id TEXT, name TEXT NOT NULL, mime TEXT NOT NULL,
        content TEXT NOT NULL, audit TEXT NOT NULL, created_at TEXT NOT NULL)""",
    # DOUBLE PRECISION: PostgreSQL's REAL has 4 bytes, which rounds a Unix time to about two minutes.
    """CREATE TABLE IF NOT EXISTS householder_revoked (
        digest TEXT PRIMARY KEY, until DOUBLE PRECISION NOT NULL)""",
]


def connect_args(url: str) -> dict:
    """SQLite: wait up to 30 s for another connection's write (the default 5 s fails under load)."""
    return {"timeout": 30} if url.startswith("sqlite") else {}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def digest(data: str | bytes) -> str:
    """sha256 hex of the text (UTF-8): what the audit records instead of the content."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


@dataclass(frozen=True)
class AuditRow:
    at: str
    user_id: str | None
    thread_id: str | None
    event: str  # shown | downloaded
    household: str | None
    household_digest: str | None
    tool: str | None
    arguments: str | None
    result_digest: str | None
    solver_status: str | None
    detail: str | None


class Store:
    """The app's tables over one SQLAlchemy async engine (the same URL Chainlit's layer uses)."""

    def __init__(self, url: str):
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, connect_args=connect_args(url))
        self._ready = False

    async def create_schema(self) -> None:
        if self._ready:
            return
        if self.url.startswith("sqlite"):
            # Write-ahead logging: readers never wait for the writer, and the one writer at a time
            # (Chainlit's layer and this store share the file) waits its turn instead of failing.
            # The mode is the database file's, so every later connection has it.
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        async with self.engine.begin() as conn:
            for statement in CHAINLIT_SCHEMA + APP_SCHEMA:
                await conn.execute(text(statement))
        self._ready = True

    async def _run(self, sql: str, **params) -> list[dict]:
        await self.create_schema()
        async with self.engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return [dict(r._mapping) for r in result] if result.returns_rows else []

    # -- a conversation's state ---------------------------------------------------------
    async def save_state(self, thread_id: str, user_id: str | None, state: dict) -> None:
        """The conversation's state, the question in flight cleared: one statement (SQLite and PostgreSQL upsert)."""
        await self._run("INSERT INTO householder_sessions (thread_id, user_id, state, pending, updated_at) "
                        "VALUES (:t, :u, :s, NULL, :at) ON CONFLICT (thread_id) DO UPDATE SET "
                        "user_id = excluded.user_id, state = excluded.state, pending = NULL, updated_at = excluded.updated_at",
                        t=thread_id, u=user_id, s=json.dumps(state), at=now_iso())

    # -- uploaded households: big, so written once when uploaded, not with every message -------
    async def put_upload(self, thread_id: str, user_id: str | None, *, name: str, stem: str | None, household_json: str,
                         input_warnings: list[str], keep: int) -> None:
        """Add (or replace) the household `name` uploaded into a conversation; only its newest `keep` uploads stay."""
        await self._run("DELETE FROM householder_uploads WHERE thread_id = :t AND name = :n", t=thread_id, n=name)
        await self._run("INSERT INTO householder_uploads (thread_id, name, user_id, stem, household, input_warnings, seq) "
                        "VALUES (:t, :n, :u, :stem, :h, :w, :seq)", t=thread_id, n=name, u=user_id, stem=stem,
                        h=household_json, w=json.dumps(input_warnings), seq=time.time_ns())
        old = [r["name"] for r in await self._run("SELECT name FROM householder_uploads WHERE thread_id = :t ORDER BY seq DESC",
                                                   t=thread_id)][keep:]
        for n in old:
            await self._run("DELETE FROM householder_uploads WHERE thread_id = :t AND name = :n", t=thread_id, n=n)

    async def uploads(self, thread_id: str) -> list[dict]:
        """A conversation's uploads, oldest first: {"stem", "household" (the parsed JSON), "input_warnings"}."""
        rows = await self._run("SELECT stem, household, input_warnings FROM householder_uploads WHERE thread_id = :t ORDER BY seq",
                               t=thread_id)
        return [{"stem": r["stem"], "household": json.loads(r["household"]), "input_warnings": json.loads(r["input_warnings"])} for r in rows]

    async def load_state(self, thread_id: str) -> tuple[dict | None, str | None]:
        """(state, the question in flight when the server stopped) of a conversation."""
        rows = await self._run("SELECT state, pending FROM householder_sessions WHERE thread_id = :t", t=thread_id)
        if not rows:
            return None, None
        return json.loads(rows[0]["state"]), rows[0]["pending"]

    async def set_pending(self, thread_id: str, user_id: str | None, question: str | None) -> None:
        updated = await self._run("UPDATE householder_sessions SET pending = :p, updated_at = :at WHERE thread_id = :t "
                                  "RETURNING thread_id", p=question, at=now_iso(), t=thread_id)
        if not updated and question is not None:
            await self._run("INSERT INTO householder_sessions (thread_id, user_id, state, pending, updated_at) "
                            "VALUES (:t, :u, '{}', :p, :at)", t=thread_id, u=user_id, p=question, at=now_iso())

    # -- audit ----------------------------------------------------------------------------
    async def audit(self, event: str, *, user_id: str | None, thread_id: str | None, household: str | None,
                    household_digest: str | None, tool: str | None, arguments: dict | None, result_digest: str | None,
                    solver_status: str | None, detail: str | None = None) -> None:
        await self._run(
            "INSERT INTO householder_audit (id, at, user_id, thread_id, event, household, household_digest, tool, arguments, "
            "result_digest, solver_status, detail) VALUES (:id, :at, :u, :t, :e, :h, :hd, :tool, :args, :rd, :st, :d)",
            # The id sorts in the order rows were written (several rows share one second of `at`).
            id=f"{time.time_ns():020d}-{secrets.token_hex(4)}", at=now_iso(), u=user_id, t=thread_id,
            e=event, h=household, hd=household_digest, tool=tool, args=json.dumps(arguments, sort_keys=True) if arguments is not None else None,
            rd=result_digest, st=solver_status, d=detail)

    async def audit_rows(self, user: str | None = None, since: str | None = None) -> list[AuditRow]:
        where, params = [], {}
        if user:
            where.append("user_id = :u")
            params["u"] = user
        if since:
            where.append("at >= :since")
            params["since"] = since
        sql = "SELECT at, user_id, thread_id, event, household, household_digest, tool, arguments, result_digest, solver_status, detail " \
              "FROM householder_audit" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY at, id"
        return [AuditRow(**r) for r in await self._run(sql, **params)]

    # -- downloads ------------------------------------------------------------------------
    async def put_download(self, token: str, *, thread_id: str | None, user_id: str | None, name: str, mime: str,
                           content: str, audit: dict) -> None:
        await self._run("INSERT INTO householder_downloads (token, thread_id, user_id, name, mime, content, audit, created_at) "
                        "VALUES (:tok, :t, :u, :n, :m, :c, :a, :at)", tok=token, t=thread_id, u=user_id, n=name, m=mime,
                        c=content, a=json.dumps(audit), at=now_iso())

    async def get_download(self, token: str) -> dict | None:
        rows = await self._run("SELECT thread_id, user_id, name, mime, content, audit FROM householder_downloads WHERE token = :tok", tok=token)
        return rows[0] if rows else None

    # -- logins ended by a logout ------------------------------------------------------------
    async def revoke(self, token: str, until: float) -> None:
        await self._run("DELETE FROM householder_revoked WHERE digest = :d OR until < :now", d=digest(token), now=time.time())
        await self._run("INSERT INTO householder_revoked (digest, until) VALUES (:d, :u)", d=digest(token), u=until)

    async def revoked(self) -> set[str]:
        return {r["digest"] for r in await self._run("SELECT digest FROM householder_revoked WHERE until >= :now", now=time.time())}

    async def close(self) -> None:
        await self.engine.dispose()
