"""The custodian importer: a positions CSV and a targets file become a valid household, and
every bad input is a HouseholdError naming the file, row and column to fix."""
from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.household import HouseholdError, load_household
from formats.positions import REQUIRED_COLUMNS, import_positions, write_household

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HEADER = ",".join(REQUIRED_COLUMNS)

TARGETS = {
    "name": "Import test",
    "as_of": "2026-11-24",
    "tax": {"filing_status": "single", "taxable_income": 90000, "state_rate": 0.04},
    "targets": {"us_stocks": 0.6, "bonds": 0.4},
    "securities": [
        {"ticker": "VTI", "asset_class": "us_stocks", "price": 331.40},
        {"ticker": "BND", "asset_class": "bonds", "price": 74.10},
    ],
    "cash": {"brokerage": 1200.0},
}

GOOD_ROWS = [
    "brokerage,taxable,VTI,120,21000.00,2020-06-15",
    "brokerage,taxable,BND,500,40500.00,2021-09-01",
    "ira,traditional,VTI,80,,",
]


def write_pair(tmp_path: Path, rows: list[str], header: str = HEADER, targets: dict | None = None) -> tuple[Path, Path]:
    positions = tmp_path / "positions.csv"
    positions.write_text("\n".join([header, *rows]) + "\n")
    targets_path = tmp_path / "targets.json"
    targets_path.write_text(json.dumps(TARGETS if targets is None else targets))
    return positions, targets_path


def problems_of(positions: Path, targets: Path) -> list[str]:
    with pytest.raises(HouseholdError) as err:
        import_positions(positions, targets)
    return err.value.problems


def one_mentions(problems: list[str], *parts: str) -> bool:
    return any(all(p in problem for p in parts) for problem in problems)


# ---- good imports -----------------------------------------------------------------------

def test_good_import_keeps_every_row(tmp_path):
    positions, targets = write_pair(tmp_path, GOOD_ROWS)
    h = import_positions(positions, targets)
    with positions.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [a.id for a in h.accounts] == list(dict.fromkeys(r["account"] for r in rows))
    for a in h.accounts:
        mine = [r for r in rows if r["account"] == a.id]
        assert {a.kind} == {r["kind"] for r in mine}
        assert [(l.ticker, l.shares) for l in a.holdings] == [(r["ticker"], float(r["shares"])) for r in mine]
        for lot, r in zip(a.holdings, mine):
            assert lot.cost_basis == (float(r["cost_basis"]) if r["cost_basis"] else None)
            assert (lot.acquired.isoformat() if lot.acquired else "") == r["acquired"]
        assert a.cash == TARGETS["cash"].get(a.id, 0.0)
    assert h.name == TARGETS["name"] and h.targets == TARGETS["targets"]


def test_round_trip_through_write_household(tmp_path):
    positions, targets = write_pair(tmp_path, GOOD_ROWS)
    h = import_positions(positions, targets)
    out = tmp_path / "household.json"
    write_household(h, out)
    again = load_household(out)
    assert [a.model_dump() for a in again.accounts] == [a.model_dump() for a in h.accounts]
    assert again.model_dump() == h.model_dump()


def test_example_pair_imports_and_round_trips(tmp_path):
    h = import_positions(EXAMPLES / "positions.csv", EXAMPLES / "targets.json")
    with (EXAMPLES / "positions.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert sum(len(a.holdings) for a in h.accounts) == len(rows)
    # Tickers the targets file does not list are priced from the CSV's own columns.
    listed = {s["ticker"] for s in json.loads((EXAMPLES / "targets.json").read_text())["securities"]}
    for r in rows:
        if r["ticker"] not in listed:
            assert h.security(r["ticker"]).price == float(r["price"])
            assert h.security(r["ticker"]).asset_class == r["asset_class"]
    write_household(h, tmp_path / "h.json")
    assert load_household(tmp_path / "h.json").model_dump() == h.model_dump()


def test_custodian_money_format_and_header_spelling(tmp_path):
    header = "Account,Kind,Ticker,Shares,Cost Basis,Acquired"
    positions, targets = write_pair(tmp_path, ['brokerage,Taxable,VTI,"1,200","$21,000.50",2020-06-15'], header=header)
    lot = import_positions(positions, targets).account("brokerage").holdings[0]
    assert (lot.shares, lot.cost_basis) == (1200.0, 21000.5)


def test_blank_lines_are_skipped_but_keep_row_numbers(tmp_path):
    # Row numbers count every line after the header, so they match the file as the user sees it.
    positions, targets = write_pair(tmp_path, [GOOD_ROWS[0], "", "brokerage,taxable,BND,lots,40500.00,2021-09-01"])
    assert one_mentions(problems_of(positions, targets), "positions.csv row 3, column shares")


def test_unlisted_ticker_priced_by_any_of_its_rows(tmp_path):
    header = HEADER + ",price,asset_class"
    rows = [GOOD_ROWS[0] + ",,", "ira,roth,AGG,10,,,,", "ira,roth,AGG,5,,,100.35,bonds"]
    positions, targets = write_pair(tmp_path, rows, header=header)
    h = import_positions(positions, targets)
    assert h.security("AGG").price == 100.35
    assert [l.shares for l in h.account("ira").holdings] == [10.0, 5.0]


def test_lot_ids_from_optional_column(tmp_path):
    header = HEADER + ",lot_id"
    positions, targets = write_pair(tmp_path, [GOOD_ROWS[0] + ",VTI-2020", GOOD_ROWS[1] + ","], header=header)
    ids = [l.id for l in import_positions(positions, targets).account("brokerage").holdings]
    assert ids[0] == "VTI-2020" and ids[1] and ids[1] != ids[0]


# ---- bad input: one HouseholdError naming the row and column ---------------------------

BAD_ROWS = [
    # (rows after the header, parts one problem must contain)
    (["brokerage,taxable,VTI,abc,21000,2020-06-15"], ["positions.csv row 1, column shares", "not a number"]),
    (["brokerage,taxable,VTI,,21000,2020-06-15"], ["positions.csv row 1, column shares", "empty"]),
    ([GOOD_ROWS[0], "brokerage,taxable,BND,-5,400,2021-09-01"], ["positions.csv row 2, column shares", "greater than 0"]),
    ([GOOD_ROWS[0], "brokerage,taxable,BND,5,12k,2021-09-01"], ["positions.csv row 2, column cost_basis", "not a number"]),
    (["brokerage,taxable,VTI,120,21000,03/15/2021"], ["positions.csv row 1, column acquired", "YYYY-MM-DD", "2021-03-15"]),
    (["brokerage,taxable,VTI,120,21000,2021-02-30"], ["positions.csv row 1, column acquired", "no such day"]),
    (["brokerage,taxable,VTI,120,21000,2027-01-04"], ["positions.csv row 1, column acquired", "after as_of"]),
    ([GOOD_ROWS[0], "brokerage,taxable,BND,5,,2021-09-01"], ["positions.csv row 2, column cost_basis", "needs cost_basis"]),
    ([GOOD_ROWS[0], "brokerage,taxable,BND,5,400,"], ["positions.csv row 2, column acquired", "needs its acquired date"]),
    (["brokerage,ira,VTI,1,,"], ["positions.csv row 1, column kind", "taxable, traditional, roth, hsa"]),
    ([GOOD_ROWS[0], "brokerage,roth,BND,5,,"], ["positions.csv row 2, column kind", "row 1", "one kind"]),
    ([",taxable,VTI,1,1,2020-01-02"], ["positions.csv row 1, column account", "empty"]),
    ([GOOD_ROWS[0], "brokerage,taxable,,1,1,2020-01-02"], ["positions.csv row 2, column ticker", "empty"]),
    ([GOOD_ROWS[0], "ira,roth,QQQ,3,,"], ["positions.csv row 2, column ticker", "'QQQ'", "add it to securities"]),
    ([GOOD_ROWS[0], "brokerage,taxable,BND,1,200,000,2021-09-01"], ["positions.csv row 2:", "quote"]),
]


@pytest.mark.parametrize("rows, parts", BAD_ROWS, ids=[p[0] for _, p in BAD_ROWS])
def test_bad_row_names_row_and_column(tmp_path, rows, parts):
    positions, targets = write_pair(tmp_path, rows)
    problems = problems_of(positions, targets)
    assert one_mentions(problems, *parts), problems


def test_every_bad_row_is_reported_at_once(tmp_path):
    rows = ["brokerage,taxable,VTI,abc,21000,2020-06-15", GOOD_ROWS[1], "brokerage,taxable,BND,5,400,15/03/2021"]
    problems = problems_of(*write_pair(tmp_path, rows))
    assert one_mentions(problems, "row 1, column shares") and one_mentions(problems, "row 3, column acquired")
    assert not one_mentions(problems, "row 2")
    # The household check must not echo a bad cell as a missing field of the same row.
    assert sum("positions.csv row 1," in p for p in problems) == 1, problems


def test_unpriced_ticker_is_reported_once(tmp_path):
    rows = ["ira,roth,QQQ,3,,", "ira,roth,QQQ,4,,"]
    problems = problems_of(*write_pair(tmp_path, rows))
    assert sum("'QQQ'" in p for p in problems) == 1, problems


def test_conflicting_prices_for_one_ticker(tmp_path):
    header = HEADER + ",price,asset_class"
    rows = ["ira,roth,AGG,10,,,100.35,bonds", "ira,roth,AGG,5,,,99.10,bonds"]
    problems = problems_of(*write_pair(tmp_path, rows, header=header))
    assert one_mentions(problems, "positions.csv row 2, column price", "row 1"), problems


def test_bad_price_in_csv_points_at_its_row(tmp_path):
    header = HEADER + ",price,asset_class"
    rows = [GOOD_ROWS[0] + ",,", "ira,roth,AGG,10,,,0,bonds"]
    problems = problems_of(*write_pair(tmp_path, rows, header=header))
    assert one_mentions(problems, "positions.csv row 2, column price", "greater than 0"), problems


@pytest.mark.parametrize(
    "text, parts",
    [
        ("", ["positions.csv", "empty", "header"]),
        ("account,kind,ticker,shares,acquired\nbrokerage,taxable,VTI,1,2020-01-02\n", ["positions.csv", "missing column cost_basis"]),
        (HEADER + "\n", ["positions.csv", "no positions"]),
        (HEADER + ",shares\n" + GOOD_ROWS[0] + ",1\n", ["positions.csv", "'shares' appears 2 times"]),
    ],
    ids=["empty", "missing column", "header only", "duplicate column"],
)
def test_bad_file_shape(tmp_path, text, parts):
    positions, targets = write_pair(tmp_path, [])
    positions.write_text(text)
    assert one_mentions(problems_of(positions, targets), *parts)


def test_not_utf8_and_missing_file(tmp_path):
    positions, targets = write_pair(tmp_path, GOOD_ROWS)
    positions.write_bytes(b"account,kind,ticker,shares,cost_basis,acquired\nbrokerage,taxable,VT\xff,1,1,2020-01-02\n")
    assert one_mentions(problems_of(positions, targets), "positions.csv", "UTF-8")
    assert one_mentions(problems_of(tmp_path / "nope.csv", targets), "nope.csv", "cannot read")


@pytest.mark.parametrize(
    "change, parts",
    [
        (lambda t: t.update(cash={"savings": 10.0}), ["targets.json cash", "'savings'", "brokerage"]),
        (lambda t: t.update(cash={"brokerage": -10.0}), ["targets.json cash.brokerage", "greater than or equal to 0"]),
        (lambda t: t.update(targets={"us_stocks": 0.5, "bonds": 0.4}), ["targets.json targets", "sum to 0.9"]),
        (lambda t: t.update(bogus=1), ["targets.json", "unknown key 'bogus'", "the keys are"]),
        (lambda t: t.update(substitute=[]), ["targets.json", "unknown key 'substitute'", "did you mean `substitutes`?"]),
        (lambda t: t.update(accounts=[]), ["targets.json", "positions file"]),
        (lambda t: t.pop("as_of"), ["targets.json as_of"]),
        (lambda t: t.update(restrictions=[{"account": "joint", "rule": "hold"}]), ["targets.json restrictions[0].account", "no account 'joint'"]),
        (lambda t: t.update(securities={"VTI": 1}), ["targets.json securities", "list"]),
    ],
    ids=["cash unknown account", "negative cash", "targets sum", "unknown key", "typo key", "accounts key", "no as_of", "restriction account", "securities not a list"],
)
def test_bad_targets_file(tmp_path, change, parts):
    targets = json.loads(json.dumps(TARGETS))
    change(targets)
    problems = problems_of(*write_pair(tmp_path, GOOD_ROWS, targets=targets))
    assert one_mentions(problems, *parts), problems


def test_targets_not_json(tmp_path):
    positions, targets = write_pair(tmp_path, GOOD_ROWS)
    targets.write_text('{"name": "x",')
    assert one_mentions(problems_of(positions, targets), "targets.json", "not valid JSON", "line 1")


_cell = st.one_of(
    st.sampled_from(["brokerage", "ira", "taxable", "roth", "VTI", "BND", "", "1", "-1", "0", "1e400", "nan", "2020-06-15", "2020-13-01", "$1,000", "12/31/2020"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_cell, min_size=0, max_size=8), max_size=5))
def test_any_input_is_a_household_or_a_household_error(tmp_path, rows):
    positions, targets = write_pair(tmp_path, [])
    with positions.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(REQUIRED_COLUMNS)
        w.writerows(rows)
    try:
        import_positions(positions, targets)
    except HouseholdError as err:
        assert err.problems and all(p.startswith(("positions.csv", "targets.json")) for p in err.problems), err.problems


# ---- write_household ----------------------------------------------------------------------

def test_write_household_replaces_without_leftovers_and_keeps_mode(tmp_path):
    h = import_positions(*write_pair(tmp_path, GOOD_ROWS))
    out = tmp_path / "out" / "household.json"
    out.parent.mkdir()
    out.write_text("old")
    os.chmod(out, 0o640)
    write_household(h, out)
    assert os.listdir(out.parent) == ["household.json"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert load_household(out).model_dump() == h.model_dump()


def test_write_household_failure_leaves_old_file(tmp_path, monkeypatch):
    h = import_positions(*write_pair(tmp_path, GOOD_ROWS))
    out = tmp_path / "out" / "household.json"
    out.parent.mkdir()
    out.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_household(h, out)
    assert out.read_text() == "old"
    assert os.listdir(out.parent) == ["household.json"]
