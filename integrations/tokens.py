"""API bearer tokens: each limited to the households it may use.

Tokens are long random strings (32 bytes, from `secrets`), so a single SHA-256 of the token is
enough at rest: a slow password hash (the chat login's PBKDF2) guards guessable passwords, and
would cost every API request a tenth of a second of CPU for no gain against 256-bit secrets.

The tokens file:
    {"tokens": [{"name": "desk", "sha256": "<hex of sha256(token)>", "households": ["Rivera household"]},
                {"name": "ops", "sha256": "...", "households": ["*"]}]}

`python -m integrations.tokens NAME HOUSEHOLD...` prints a new token (shown once) and its entry.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class TokenError(ValueError):
    """A tokens file that cannot be used: the message names the field and the fix."""


class TokenEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the token")
    households: list[str] = Field(min_length=1, description="household names (or file stems) this token may use; '*' for all")


class TokensFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tokens: list[TokenEntry] = Field(min_length=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_tokens(path: str | Path) -> TokensFile:
    p = Path(path)
    try:
        return TokensFile.model_validate_json(p.read_text())
    except OSError as err:
        raise TokenError(f"--tokens: cannot read {p} ({err.strerror}); check the path") from None
    except ValidationError as err:
        e = err.errors()[0]
        where = ".".join(str(x) for x in e["loc"]) or "file"
        raise TokenError(f"--tokens: {p}: {where}: {e['msg']}; see integrations/tokens.py for the layout") from None


def find_token(tokens: TokensFile, presented: str) -> TokenEntry | None:
    wanted = digest(presented)
    found = None
    for entry in tokens.tokens:
        # compare every entry in constant time, so timing tells nothing about which one matched
        if hmac.compare_digest(entry.sha256, wanted):
            found = entry
    return found


def new_token(name: str, households: list[str]) -> tuple[str, dict]:
    token = secrets.token_urlsafe(32)
    return token, {"name": name, "sha256": digest(token), "households": households}


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print("usage: python -m integrations.tokens NAME HOUSEHOLD... ('*' for all)", file=sys.stderr)
        sys.exit(2)
    token, entry = new_token(sys.argv[1], sys.argv[2:])
    print(f"token (give it to the caller; it is not stored): {token}")
    print(json.dumps(entry))
