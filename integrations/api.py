"""The HTTP API for the overlay: `POST /v1/{tool}` runs one tool on a household of the book (by
name or file stem) or on a household document sent inline, and answers with the JSON that
`householder <tool> --json` prints. `GET /v1/schema` gives every schema; `/docs` the OpenAPI pages.

Doors are bounded: bodies over `max_body` bytes get 413; a solve gets at most the server's time
limit and answers with the best plan found and its gap; a request whose solve and grace time run
out gets 408, never a hung connection. Solves run in worker processes (common.Pool).
"""

import asyncio
from contextlib import asynccontextmanager
from typing import Any, Optional, Union

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, create_model

from engine.household import HouseholdError, household_schema, parse_household
from engine.results import DISCLAIMER, Result

from .common import DEFAULT_TIME_LIMIT, GRACE_SECONDS, MAX_DOCUMENT_BYTES, BodyLimit, Pool, argument_problems, payload
from .tokens import TokenEntry, TokensFile, find_token


class ApiError(Exception):
    def __init__(self, status: int, error: str, problems: list[str] | None = None, headers: dict | None = None):
        self.status, self.error, self.problems, self.headers = status, error, problems or [], headers


def _error(status: int, error: str, problems: list[str] | None = None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": error, "problems": problems or []}, status_code=status, headers=headers)


def _request_model(tool: str, args_model: type[BaseModel]) -> type[BaseModel]:
    required = any(f.is_required() for f in args_model.model_fields.values())
    options_field = (args_model, Field(...)) if required else (args_model, Field(default_factory=args_model))
    return create_model(
        f"{tool.title().replace('_', '')}Request",
        __config__=ConfigDict(extra="forbid"),
        household=(Union[str, dict[str, Any]], Field(description="a household name or file stem in the book, or a whole household document (see GET /v1/schema)")),
        options=options_field,
        time_limit=(Optional[float], Field(None, gt=0, description="seconds for the solve, at most the server's limit; the best plan found by then is answered with its gap")),
    )


def create_app(book, tokens: TokensFile | None, *, solver: str = "auto", time_limit: float = DEFAULT_TIME_LIMIT,
               max_body: int = MAX_DOCUMENT_BYTES, workers: int = 2, grace: float = GRACE_SECONDS) -> FastAPI:
    """An app over one book. tokens=None serves without auth (the CLI allows that on loopback only)."""
    from tools import ARGS

    pool = Pool(workers)

    @asynccontextmanager
    async def lifespan(app):
        yield
        pool.close()

    app = FastAPI(title="Householder API", version="1", lifespan=lifespan,
                  description=f"Household-level, tax-aware rebalancing across accounts. {DISCLAIMER}")
    bearer = HTTPBearer(auto_error=False)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, err: ApiError):
        return _error(err.status, err.error, err.problems, err.headers)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, err: RequestValidationError):
        problems = []
        for e in err.errors():
            loc = [p for p in e["loc"] if p != "body"]
            shown = e.get("input")
            got = f" (got {shown!r})" if e["type"] not in ("missing", "extra_forbidden") and not isinstance(shown, (dict, list)) else ""
            msg = "not an argument of this tool; see GET /v1/schema" if e["type"] == "extra_forbidden" else e["msg"]
            problems.append(f"{'.'.join(map(str, loc)) or 'body'}: {msg}{got}")
        return _error(422, "bad request", problems)

    def caller(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer)) -> TokenEntry | None:
        if tokens is None:
            return None
        challenge = {"WWW-Authenticate": "Bearer"}
        if credentials is None:
            raise ApiError(401, "missing bearer token; send 'Authorization: Bearer <token>'", headers=challenge)
        entry = find_token(tokens, credentials.credentials)
        if entry is None:
            raise ApiError(401, "unknown bearer token", headers=challenge)
        return entry

    def allowed(entry: TokenEntry | None) -> set[str] | None:
        """Household names this caller may use; None for all."""
        if entry is None or "*" in entry.households:
            return None
        return {h.name for h, _ in map(book.find, entry.households) if h is not None}

    def household_for(ref: str | dict, entry: TokenEntry | None):
        if isinstance(ref, dict):
            # An inline document carries its own data: any authenticated caller may send one.
            try:
                return parse_household(ref)
            except HouseholdError as err:
                raise ApiError(422, "bad household document", [f"household.{p}" for p in err.problems]) from None
        h, why = book.find(ref)
        permitted = allowed(entry)
        if h is None or (permitted is not None and h.name not in permitted):
            if h is not None:
                raise ApiError(403, f"this token may not use household {ref!r}")
            names = sorted(book.names if permitted is None else permitted)
            raise ApiError(404, f"household: no household called {ref!r} in the book; yours are: {', '.join(names) or 'none'}")
        return h

    async def run_tool(tool: str, body: BaseModel, entry: TokenEntry | None) -> JSONResponse:
        h = household_for(body.household, entry)
        arguments = body.options.model_dump(exclude_unset=True)
        arguments.pop("household", None)
        problems = argument_problems(tool, arguments)
        if problems:
            raise ApiError(422, "bad request", [f"options.{p}" for p in problems])
        limit = body.time_limit or time_limit
        if limit > time_limit:
            raise ApiError(422, "bad request", [f"time_limit: at most {time_limit:g} seconds on this server (got {limit:g})"])
        try:
            outcome = await pool.run(h, tool, arguments, solver, limit, grace)
        except asyncio.TimeoutError:
            raise ApiError(408, f"the {tool} request did not finish within {limit + grace:g} seconds; ask for a shorter time_limit or a smaller household") from None
        if outcome.error:
            raise ApiError(422, "bad request", [outcome.error])
        return JSONResponse(payload(outcome))

    for tool, args_model in ARGS.items():
        model = _request_model(tool, args_model)

        def endpoint(model=model, tool=tool):
            async def handler(body: model, entry: TokenEntry | None = Depends(caller)):  # type: ignore[valid-type]
                return await run_tool(tool, body, entry)
            return handler

        app.post(f"/v1/{tool}", summary=(args_model.__doc__ or tool).strip().splitlines()[0], tags=["tools"],
                 response_model=None, responses={200: {"description": "the Result, as `householder TOOL --json` prints it"}})(endpoint())

    @app.post("/v1/{tool}", include_in_schema=False)
    async def unknown_tool(tool: str, entry: TokenEntry | None = Depends(caller)):
        raise ApiError(404, f"tool: unknown tool {tool!r}; tools are: {', '.join(ARGS)}")

    @app.get("/v1/schema", tags=["schema"])
    async def schema(entry: TokenEntry | None = Depends(caller)):
        """Every tool's options, the household document and the Result."""
        return {"tools": {t: m.model_json_schema() for t, m in ARGS.items()}, "household": household_schema(),
                "result": Result.model_json_schema(), "time_limit": time_limit, "max_body_bytes": max_body}

    @app.get("/v1/households", tags=["schema"])
    async def households(entry: TokenEntry | None = Depends(caller)):
        """The book's households this token may use."""
        permitted = allowed(entry)
        return {"households": [n for n in book.names if permitted is None or n in permitted]}

    app.add_middleware(BodyLimit, limit=max_body)
    return app
