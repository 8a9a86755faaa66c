"""Bounded reading of the files users hand us: household JSON, targets JSON, positions CSV.

Every door (CLI, chat upload, batch, importer) reads user files through `read_user_text`,
so one set of limits holds everywhere: at most `MAX_FILE_BYTES` read, regular files only
(a FIFO or /dev/zero would hang or never end), text decoded as UTF-8 (a UTF-8 or UTF-16
byte-order mark is honoured), and JSON no deeper than `MAX_JSON_DEPTH` before the decoder
recurses into it. Each refusal is one line naming the file and the fix.
"""

from __future__ import annotations

import codecs
import json
import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 32 * 1024 * 1024  # 32 MiB: a 100,000-lot household written with indent=2 is about 17 MiB
MAX_JSON_DEPTH = 16  # a household nests 5 deep (household > accounts > [i] > holdings > [j])


class UnreadableFile(ValueError):
    """A user file we refuse to read; the message is one line naming the file and the fix."""


# Longest BOM first: UTF-32-LE's BOM starts with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, None),
    (codecs.BOM_UTF32_BE, None),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def read_user_text(path: str | Path, *, what: str = "file", limit: int = MAX_FILE_BYTES) -> str:
    """The text of a user's file, or UnreadableFile. `limit` is in bytes."""
    return decode_user_bytes(read_user_bytes(path, what=what, limit=limit), str(path), what)


def read_user_bytes(path: str | Path, *, what: str = "file", limit: int = MAX_FILE_BYTES) -> bytes:
    """At most `limit` bytes of a regular file, or UnreadableFile (folders, pipes, devices, too big)."""
    p = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise UnreadableFile(f"{p}: cannot read the {what} ({err.strerror}); check the path") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableFile(f"{p}: is a folder, not a {what}; give the path of the file inside it")
        if not stat.S_ISREG(mode):
            kind = "a pipe" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"
            raise UnreadableFile(f"{p}: is {kind}, not a regular file; save the {what} to a file and give its path")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            # One byte past the limit tells "exactly at the limit" from "over it"; files under
            # /proc report size 0, so the size is read, not trusted from fstat.
            data = f.read(limit + 1)
    except OSError as err:
        raise UnreadableFile(f"{p}: cannot read the {what} ({err.strerror}); check the path") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise UnreadableFile(f"{p}: the {what} is larger than {_size(limit)}, the most Householder reads; split the household or trim the file")
    return data


def decode_user_bytes(data: bytes, name: str, what: str = "file") -> str:
    """Bytes of a user file as text: UTF-8 (BOM optional) or UTF-16 with its BOM."""
    encoding = "utf-8"
    for bom, enc in _BOMS:
        if data.startswith(bom):
            if enc is None:
                raise UnreadableFile(f"{name}: the {what} is UTF-32 text; save it as UTF-8")
            encoding, data = enc, data[len(bom) :]
            break
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        if b"\x00" in data[:4096]:
            raise UnreadableFile(_nul_problem(name, what)) from None
        raise UnreadableFile(f"{name}: the {what} is not {encoding.upper()} text (byte 0x{data[err.start]:02x} at offset {err.start}); save it as UTF-8") from None
    if "\x00" in text:
        raise UnreadableFile(_nul_problem(name, what))
    return text


def _nul_problem(name: str, what: str) -> str:
    return f"{name}: the {what} is binary or UTF-16 without a byte-order mark (it holds NUL bytes), not text; save it as UTF-8"


# Only brackets and quotes matter for nesting; {} folds onto [] (a depth is a depth).
_KEEP_NESTING = bytes.maketrans(b"{}", b"[]")
_NOT_NESTING = bytes(b for b in range(256) if b not in b'[]{}"')


def json_depth_exceeds(text: str, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """True when the JSON text nests arrays/objects deeper than `max_depth`.

    Never recurses and never loops per character in Python: escapes go, then everything but
    brackets and quotes, then string contents; then innermost empty pairs are peeled
    `max_depth` times. Every step is a bytes method at memchr speed, so hostile input costs
    O(max_depth * size). Brackets that do not pair up are left to the decoder, which reports
    the syntax error (and guards its own recursion)."""
    b = text.encode("utf-8", "surrogatepass").replace(b"\\\\", b"").replace(b'\\"', b"")
    b = b.translate(_KEEP_NESTING, _NOT_NESTING)
    # Adjacent quotes are an empty string or the seam between two strings: dropping them keeps
    # the open/close alternation and leaves one quote per string boundary that holds brackets.
    b = b.replace(b'""', b"")
    if b'"' in b:
        b = b"".join(b.split(b'"')[::2])
    too_deep = b"[" * (max_depth + 1)
    for _ in range(max_depth):
        if not b:
            return False
        if too_deep in b:
            return True
        peeled = b.replace(b"[]", b"")
        if len(peeled) == len(b):
            return False
        b = peeled
    return bool(b)


def loads_user_json(text: str, name: str, what: str = "file", max_depth: int = MAX_JSON_DEPTH) -> object:
    """Decode JSON text from a user, refusing deep nesting before the decoder recurses."""
    if json_depth_exceeds(text, max_depth):
        raise UnreadableFile(f"{name}: the {what} nests arrays or objects more than {max_depth} deep; a household needs at most 5")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise UnreadableFile(f"{name}: not valid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    except RecursionError:  # a backstop; the depth check above should have refused it
        raise UnreadableFile(f"{name}: the {what} nests too deep to read") from None


def read_user_json(path: str | Path, *, what: str = "file", limit: int = MAX_FILE_BYTES) -> object:
    """`read_user_text` then `loads_user_json`."""
    return loads_user_json(read_user_text(path, what=what, limit=limit), str(path), what)


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 and n % (1024 * 1024) == 0 else f"{n:,} bytes"
