"""All-or-nothing file writes: nothing a command writes is ever left half-way."""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomically(path: str | Path, text: str) -> None:
    """Write all or nothing: a temp file in the same folder, flushed to disk, then one rename.
    A rewrite keeps the old file's permissions."""
    p = Path(path)
    if p.exists() and not p.is_file():
        # A device or pipe (say /dev/stdout): renaming over it would replace it, so write through.
        with p.open("w", newline="") as f:
            f.write(text)
        return
    fd, tmp = tempfile.mkstemp(dir=p.parent if str(p.parent) else ".", prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IMODE(p.stat().st_mode) if p.exists() else 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
