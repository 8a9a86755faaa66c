"""All-or-nothing file writes: nothing a command writes is ever left half-way."""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

# rw for whoever the umask lets read and write; never execute, setuid, setgid or sticky.
NEW_FILE_MODE = 0o666


def write_atomically(path: str | Path, text: str) -> None:
    """Write all or nothing: a temp file in the same folder, flushed to disk, then one rename.

    The file is created as a new file, 0666 less the umask (0644 under the usual 022). A
    rewrite never gains permissions the old file lacked (a 0600 file stays 0600) and never
    keeps its execute, setuid, setgid or sticky bits: the result is an order file, not a program."""
    p = Path(path)
    if p.exists() and not p.is_file() and not p.is_dir():
        # A device or pipe (say /dev/stdout): renaming over it would replace it, so write through.
        with p.open("w", newline="") as f:
            f.write(text)
        return
    if p.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(p))
    folder = p.parent if str(p.parent) else Path(".")
    tmp = folder / f".{p.name}.{secrets.token_hex(6)}.tmp"
    # O_EXCL: never write through a file (or link) someone planted under the temp name; the
    # kernel applies the umask to NEW_FILE_MODE, so no racy os.umask() read is needed.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), NEW_FILE_MODE)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            if p.exists():
                old = stat.S_IMODE(p.stat().st_mode)
                os.fchmod(f.fileno(), stat.S_IMODE(os.fstat(f.fileno()).st_mode) & old & NEW_FILE_MODE)
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
