"""Hostile files at every door that reads one (issue #14): each is refused with one line naming
the file and the fix, exit code 2, no traceback, no hang, and nothing written. Run through the
real CLI as a subprocess, like a user would."""
from __future__ import annotations

import codecs
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.reading import (
    MAX_FILE_BYTES,
    MAX_JSON_DEPTH,
    UnreadableFile,
    json_depth_exceeds,
    loads_user_json,
    read_user_text,
)

ROOT = Path(__file__).resolve().parents[1]
RIVERA = ROOT / "examples" / "rivera.json"


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def refused(p: subprocess.CompletedProcess, *words: str) -> str:
    """The refusal line; asserts exit 2, no traceback, one line, and the words in it."""
    assert p.returncode == 2, (p.returncode, p.stderr[-2000:])
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for w in words:
        assert w in lines[0], lines[0]
    assert p.stdout == ""
    return lines[0]


def nested(depth: int) -> str:
    return '{"name": ' + "[" * depth + "1" + "]" * depth + "}"


@pytest.mark.parametrize(
    "content, words",
    [
        (b'{"name": "Caf\xe9"}', ["not UTF-8", "offset 13", "save it as UTF-8"]),
        (bytes(range(256)) * 8, ["binary", "NUL bytes", "UTF-8"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["binary"]),
        (json.dumps({"name": "x"}).encode("utf-16-le"), ["UTF-16 without a byte-order mark"]),
        (codecs.BOM_UTF32_LE + json.dumps({"name": "x"}).encode("utf-32-le"), ["UTF-32", "save it as UTF-8"]),
        (nested(100_000).encode(), ["more than 16 deep"]),
        (nested(MAX_JSON_DEPTH).encode(), ["more than 16 deep"]),
        (b"", ["not valid JSON", "line 1"]),
    ],
    ids=["latin-1", "binary", "png", "utf-16-no-bom", "utf-32", "nested-100k", "nested-just-over", "empty"],
)
def test_hostile_household_file_is_refused_in_one_line(tmp_path, content, words):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    out = tmp_path / "orders.csv"
    line = refused(run("rebalance", str(bad), "--trades-csv", str(out)), str(bad), *words)
    assert line.startswith("householder: ")
    assert not out.exists()


def test_utf16_and_utf8_with_a_byte_order_mark_are_read(tmp_path):
    """Decision: a BOM says what the text is (Windows tools write UTF-16 with one), so it is honoured."""
    text = RIVERA.read_text()
    for encoding, bom in (("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-8", codecs.BOM_UTF8)):
        f = tmp_path / f"rivera-{encoding}.json"
        f.write_bytes(bom + text.encode(encoding))
        assert read_user_text(f) == text
    p = run("locate", str(tmp_path / "rivera-utf-16-le.json"), "--json", timeout=300)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["household"] == json.loads(text)["name"]


def test_dev_zero_is_refused_at_once():
    started = time.monotonic()
    refused(run("rebalance", "/dev/zero", timeout=30), "/dev/zero", "a device", "regular file")
    assert time.monotonic() - started < 20


def test_a_fifo_without_a_writer_does_not_hang(tmp_path):
    fifo = tmp_path / "household.json"
    os.mkfifo(fifo)
    started = time.monotonic()
    refused(run("rebalance", str(fifo), timeout=30), "a pipe", "save the household file to a file")
    assert time.monotonic() - started < 20


def test_a_folder_is_refused(tmp_path):
    refused(run("rebalance", str(tmp_path)), "is a folder")


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(tmp_path):
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(4 * MAX_FILE_BYTES)  # sparse: costs no disk
    refused(run("rebalance", str(big)), "larger than 32 MiB", "split")


def test_depth_check_matches_the_real_depth():
    """Against an independent reference: the depth of the decoded object."""
    def depth(x) -> int:
        if isinstance(x, dict):
            return 1 + max((depth(v) for v in x.values()), default=0)
        if isinstance(x, list):
            return 1 + max((depth(v) for v in x), default=0)
        return 0

    samples = [
        [], {}, [[]], [1, [2, [3]]], {"a": {"b": [{"c": "]]]]"}]}}, {"k": "[[[[[[[[[[[[[[[[[[[[[[[["},
        ["\\\"[", [["]\\\\"]]], [[], [[], [[], [[]]]]], json.loads(RIVERA.read_text()),
    ]
    for d in range(12, 20):
        samples.append(json.loads("[" * d + "]" * d))
        samples.append(json.loads('{"a":' * d + '"{{[["' + "}" * d))
    for s in samples:
        for limit in (1, 2, 3, 5, MAX_JSON_DEPTH):
            assert json_depth_exceeds(json.dumps(s), limit) == (depth(s) > limit), (s, limit)


@pytest.mark.parametrize("hostile", ["[" * 16_000_000 + "]" * 16_000_000, '""' * 16_000_000, "[}" * 16_000_000, '"' + '\\"' * 16_000_000 + '"'])
def test_depth_check_is_fast_on_the_largest_hostile_text(hostile):
    started = time.perf_counter()
    try:
        loads_user_json(hostile, "hostile.json")
    except UnreadableFile:
        pass
    assert time.perf_counter() - started < 5  # about 1 s on a quiet machine for 32 MB


# ---- the importer's two files ----

def test_import_refuses_a_binary_positions_file_and_a_deep_targets_file(tmp_path):
    positions, targets = tmp_path / "positions.csv", tmp_path / "targets.json"
    positions.write_bytes(bytes(range(256)))
    targets.write_text(nested(50))
    out = tmp_path / "household.json"
    p = run("import", str(positions), "--targets", str(targets), "-o", str(out))
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "positions.csv: the positions file is binary" in p.stderr
    assert "targets.json: the targets file nests" in p.stderr
    assert not out.exists()


def test_import_refuses_a_fifo(tmp_path):
    fifo = tmp_path / "positions.csv"
    os.mkfifo(fifo)
    p = run("import", str(fifo), "--targets", str(ROOT / "examples" / "targets.json"), timeout=30)
    assert p.returncode == 2 and "a pipe" in p.stderr and "Traceback" not in p.stderr


def test_import_reads_a_utf16_positions_export(tmp_path):
    positions = tmp_path / "positions.csv"
    positions.write_bytes(codecs.BOM_UTF16_LE + (ROOT / "examples" / "positions.csv").read_text().encode("utf-16-le"))
    p = run("import", str(positions), "--targets", str(ROOT / "examples" / "targets.json"))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["accounts"]


# ---- the batch runner's worker ----

def test_batch_worker_reports_an_unreadable_or_deep_file_as_bad_input():
    from batch.runner import UNREADABLE, solve_household

    r = solve_household("deep.json", nested(1_000), "rebalance", {})
    assert r["kind"] == "bad_input" and "nests" in r["error"]
    r = solve_household("bin.json", UNREADABLE + "bin.json: the household file is binary", "rebalance", {})
    assert r["kind"] == "bad_input" and r["error"] == "bin.json: the household file is binary"


# ---- --trades-csv ----

def test_trades_csv_onto_a_folder_or_a_missing_folder_is_refused_before_solving(tmp_path, monkeypatch, capsys):
    import engine
    from assistant import cli

    def must_not_solve(*a, **k):
        raise AssertionError("the output path must be checked before solving")

    for tool in ("rebalance", "locate", "harvest"):
        monkeypatch.setattr(engine, tool, must_not_solve)
    for tool in ("rebalance", "locate", "harvest"):
        assert cli.main([tool, str(RIVERA), "--trades-csv", str(tmp_path)]) == 2
        assert "is a folder" in capsys.readouterr().err
        assert cli.main([tool, str(RIVERA), "--trades-csv", str(tmp_path / "nope" / "orders.csv")]) == 2
        assert "does not exist" in capsys.readouterr().err
    assert cli.main(["withdraw", str(RIVERA), "--amount", "1000", "--trades-csv", str(tmp_path)]) == 2


def test_trades_csv_through_the_real_cli_onto_a_folder(tmp_path):
    refused(run("rebalance", str(RIVERA), "--trades-csv", str(tmp_path)), "--trades-csv", "is a folder", "orders.csv")


def test_rewriting_an_order_file_drops_setuid_and_execute_bits(tmp_path):
    from formats import write_atomically

    target = tmp_path / "orders.csv"
    target.write_text("old\n")
    os.chmod(target, 0o6777 | stat.S_ISVTX)
    old_umask = os.umask(0o022)
    try:
        write_atomically(target, "new\n")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        # A private file stays private: a rewrite never widens permissions.
        os.chmod(target, 0o600)
        write_atomically(target, "newer\n")
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        fresh = tmp_path / "fresh.csv"
        write_atomically(fresh, "x\n")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        os.umask(0o077)
        write_atomically(tmp_path / "private.csv", "x\n")
        assert stat.S_IMODE((tmp_path / "private.csv").stat().st_mode) == 0o600
    finally:
        os.umask(old_umask)
    assert target.read_text() == "newer\n"
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_rewrites_a_setuid_order_file_as_a_plain_one(tmp_path):
    target = tmp_path / "orders.csv"
    target.write_text("old\n")
    os.chmod(target, 0o4755)
    p = subprocess.run(
        ["sh", "-c", f"umask 022 && exec {sys.executable} -m assistant.cli locate {RIVERA} --trades-csv {target}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert target.read_text().startswith("account,ticker,action")


def test_import_warns_about_an_unpriced_substitute(tmp_path):
    targets = json.loads((ROOT / "examples" / "targets.json").read_text())
    targets["substitutes"] = targets.get("substitutes", []) + [["VTI", "SCHB"]]
    t = tmp_path / "targets.json"
    t.write_text(json.dumps(targets))
    p = run("import", str(ROOT / "examples" / "positions.csv"), "--targets", str(t))
    assert p.returncode == 0, p.stderr
    assert "warning" in p.stderr and "'SCHB'" in p.stderr
    assert ["VTI", "SCHB"] not in json.loads(p.stdout).get("substitutes", [])
