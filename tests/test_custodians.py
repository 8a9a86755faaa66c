"""Custodian exports in: each layout read (numbers, placeholders, accounts, lots, cash), detected,
merged into one household, every skipped row reported by line, and bad files refused through the
real CLI with exit 2 and nothing written."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.household import HouseholdError
from formats.custodians import detect, import_files
from formats.custodians.common import CellError, day, number

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "examples" / "custodians"
TARGETS = FIXTURES / "targets.json"
SCHWAB = FIXTURES / "All-Accounts-Positions-2026-11-24-093012.csv"
SCHWAB_LOTS = [FIXTURES / f"{t}_Lot_Details_XXXX-4321.csv" for t in ("VTI", "VXUS", "BND")]
FIDELITY = FIXTURES / "Portfolio_Positions_Nov-24-2026.csv"
FIDELITY_LOTS = FIXTURES / "Fidelity_Lots_Z12345678.csv"
VANGUARD = FIXTURES / "OfxDownload.csv"
FLEX = FIXTURES / "Householder_Flex_Lots.xml"
ACTIVITY = FIXTURES / "U1122334_ActivityStatement_20261124.csv"
EVERY_FILE = [SCHWAB, *SCHWAB_LOTS, FIDELITY, FIDELITY_LOTS, VANGUARD, FLEX, ACTIVITY]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def accounts(imported) -> dict:
    return {a.id: a for a in imported.household.accounts}


def lots(account, ticker: str) -> list[tuple[float, float | None, str | None]]:
    return sorted((l.shares, l.cost_basis, l.acquired and l.acquired.isoformat()) for l in account.holdings if l.ticker == ticker)


def problems(paths, targets=TARGETS) -> list[str]:
    with pytest.raises(HouseholdError) as err:
        import_files(paths, targets)
    return err.value.problems


# ---- cells ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("$1,234.56", 1234.56), ("(123.45)", -123.45), ("($1,240.00)", -1240.0), ("+$12.30", 12.3),
    ("-$5.00", -5.0), ("$-125.00", -125.0), ("1,250.000", 1250.0), ("210.5", 210.5), ("-0.36%", -0.36),
    ("--", None), ("n/a", None), ("N/A", None), ("", None),
])
def test_custodian_numbers(text, value):
    assert number(text) == value


@pytest.mark.parametrize("text", ["12abc", "1,23", "$", "1.2.3", "twelve"])
def test_a_cell_that_is_not_a_number_is_refused(text):
    with pytest.raises(CellError, match="not a number"):
        number(text)


@given(st.integers(min_value=-10**11, max_value=10**11))
def test_money_as_custodians_write_it_reads_back_to_the_cent(cents):
    dollars = abs(cents) / 100
    shown = f"${dollars:,.2f}"
    assert number(f"({shown})" if cents < 0 else shown) == pytest.approx(cents / 100, abs=1e-9)
    assert number(f"{'-' if cents < 0 else '+'}{shown}") == pytest.approx(cents / 100, abs=1e-9)


@pytest.mark.parametrize("text, value", [
    ("09/12/2016", date(2016, 9, 12)), ("07/15/2024 as of 07/12/2024", date(2024, 7, 15)),
    ("2023-07-07;153946", date(2023, 7, 7)), ("20261124;093501", date(2026, 11, 24)),
    ("2020-03-23, 10:02:11", date(2020, 3, 23)), ("--", None),
])
def test_custodian_dates(text, value):
    assert day(text) == value


def test_an_impossible_day_is_refused():
    with pytest.raises(CellError, match="not a real day"):
        day("02/30/2021")


# ---- detection --------------------------------------------------------------------------

@pytest.mark.parametrize("path, key", [
    (SCHWAB, "schwab-positions"), (SCHWAB_LOTS[0], "schwab-lots"), (FIDELITY, "fidelity-positions"),
    (FIDELITY_LOTS, "fidelity-lots"), (VANGUARD, "vanguard-holdings"), (FLEX, "ibkr-flex"),
    (ACTIVITY, "ibkr-activity"), (ROOT / "examples" / "positions.csv", "generic"),
])
def test_each_layout_is_detected_by_its_header_lines(path, key):
    assert detect(path.read_text(encoding="utf-8-sig")) == key


def test_an_older_schwab_title_and_a_bom_are_still_detected():
    text = '\ufeff"Positions for account Intelligent XXXX-4321 as of 02:45 AM ET, 09/25/2020"\n\n"Symbol","Description","Quantity"\n'
    assert detect(text.lstrip("\ufeff")) == "schwab-positions"
    assert detect("date,amount\n2024-01-01,5\n") is None


# ---- each custodian ---------------------------------------------------------------------

def test_schwab_all_accounts_positions_with_lot_details():
    got = import_files([SCHWAB, *SCHWAB_LOTS], TARGETS)
    acc = accounts(got)
    assert set(acc) == {"schwab-4321", "schwab-765"}  # "...321" in positions is "XXXX-4321" in lot details
    taxable, roth = acc["schwab-4321"], acc["schwab-765"]
    assert (taxable.kind, roth.kind) == ("taxable", "roth")  # from "Individual" and "Roth Contributory IRA"
    assert lots(taxable, "VTI") == [(35.0, 11025.0, "2026-04-20"), (140.0, 17640.0, "2016-09-12")]
    assert lots(taxable, "BND") == [(50.0, 3380.0, "2026-03-02"), (100.0, 8650.0, "2021-07-19")]
    assert lots(roth, "VXUS") == [(210.5, 12630.0, None)]  # a position row, kept: no lot file for it
    assert (taxable.cash, roth.cash) == (2612.40, 1920.00)
    assert "All-Accounts-Positions-2026-11-24-093012.csv line 9: 'Account Total' total row; skipped" in got.skipped
    assert "VTI_Lot_Details_XXXX-4321.csv line 6: 'Total' row; skipped" in got.skipped


def test_fidelity_positions_and_lots_many_accounts_money_market_footer():
    got = import_files([FIDELITY, FIDELITY_LOTS], TARGETS)
    acc = accounts(got)
    assert set(acc) == {"fidelity-12345678", "fidelity-234567890"}
    ind, roth = acc["fidelity-12345678"], acc["fidelity-234567890"]
    assert (ind.kind, roth.kind) == ("taxable", "roth")
    assert (ind.cash, roth.cash) == (3410.55, 4398.21)  # SPAXX** lines, quoted "$3,410.55"
    assert lots(ind, "FXAIX") == [(60.334, 14000.0, "2026-06-01"), (150.0, 15500.0, "2019-03-15")]  # "FXAIX(315911750)"
    assert lots(roth, "FXAIX") == [(88.5, 12000.0, None)]
    name = FIDELITY.name
    assert f"{name} line 6: 'Pending Activity' (unsettled cash, not a holding); skipped" in got.skipped
    assert [s.split(":")[0] for s in got.skipped if s.startswith(name) and "footer" in s] == [f"{name} line {n}" for n in (10, 12, 14)]
    assert any("publishes no open-lots layout" in n for n in got.notes)


def test_vanguard_holdings_skip_the_transactions_and_say_there_is_no_basis():
    got = import_files([VANGUARD], TARGETS)
    (acct,) = got.household.accounts
    assert (acct.id, acct.kind, acct.cash) == ("vanguard-88776655", "traditional", 1520.33)  # kind from targets account_kinds
    assert lots(acct, "VBTLX") == [(2104.112, None, None)]
    assert [s.split(":")[0] for s in got.skipped] == [f"OfxDownload.csv line {n}" for n in (8, 9, 10, 11)]
    assert any("no cost basis" in n for n in got.notes)


def test_vanguard_account_without_a_kind_asks_for_account_kinds(tmp_path):
    targets = json.loads(TARGETS.read_text())
    del targets["account_kinds"]
    (tmp_path / "t.json").write_text(json.dumps(targets))
    (msg,) = [p for p in problems([VANGUARD], tmp_path / "t.json") if "vanguard" in p]
    assert "account_kinds" in msg and "vanguard-88776655" in msg


def test_ibkr_flex_lots_win_over_the_summary_and_other_rows_are_skipped():
    got = import_files([FLEX], TARGETS)
    (acct,) = got.household.accounts
    assert acct.id == "ibkr-7654321" and acct.cash == 1204.5  # USD line only, not BASE_SUMMARY too
    assert sorted((l.id, l.shares, l.cost_basis, l.acquired.isoformat()) for l in acct.holdings) == [
        ("1893344051", 40.0, 8420.0, "2023-07-07"), ("2440017763", 20.0, 6430.0, "2026-09-18")]
    assert [s.split(":")[0] for s in got.skipped] == [f"{FLEX.name} line {n}" for n in (6, 9, 10)]  # summary, EUR, option


def test_ibkr_activity_statement_lots_and_cash():
    got = import_files([ACTIVITY], TARGETS)
    (acct,) = got.household.accounts
    assert (acct.id, acct.kind, acct.cash) == ("ibkr-1122334", "taxable", 11200.4)  # "Account Type,Trust"
    assert lots(acct, "VXUS") == [(150.0, 10750.0, "2026-08-14"), (250.0, 13750.0, "2020-03-23")]
    assert got.skipped == [f"{ACTIVITY.name} line 10: VXUS summary row (its lots are imported); skipped"]


# ---- merging ----------------------------------------------------------------------------

def _custodian_totals() -> float:
    """Each file's own market values (the custodian's totals), summed: an independent reference."""
    schwab = 94906.40 + 17170.73  # the two "Account Total" Mkt Val cells
    fidelity = 3410.55 + 44759.08 + 16570.00 + 17784.00 + 18832.80 + 4398.21  # Current Value, Pending Activity left out
    vanguard = 1520.33 + 20451.97 + 22100.10
    flex = 13256 + 6628 + 1204.5  # the lots' positionValue and endingCash
    activity = 18112.5 + 10867.5 + 11200.4
    return schwab + fidelity + vanguard + flex + activity


def test_every_file_merges_into_one_household_worth_what_the_custodians_say():
    got = import_files(EVERY_FILE, TARGETS)
    h = got.household
    assert len(h.accounts) == 7 and h.name == "Okafor household"
    prices = {s.ticker: s.price for s in h.securities}
    value = sum(a.cash for a in h.accounts) + sum(l.shares * prices[l.ticker] for a in h.accounts for l in a.holdings)
    assert value == pytest.approx(_custodian_totals(), abs=0.05)
    assert len(got.files) == len(EVERY_FILE)
    assert got.skipped == sorted(got.skipped, key=lambda s: (s.split(" line ")[0], int(s.split(" line ")[1].split(":")[0])))


def test_the_same_positions_file_twice_is_refused(tmp_path):
    copy = tmp_path / "copy.csv"
    shutil.copy(FIDELITY, copy)
    assert any("import each positions file once" in p for p in problems([FIDELITY, copy]))


def test_a_taxable_position_without_lots_points_at_its_line():
    found = problems([SCHWAB])  # no lot detail files: the Individual account's rows have no dates
    assert any(p.startswith(f"{SCHWAB.name} line 5, acquired:") and "lot detail" in p for p in found)


def test_an_unknown_ticker_names_its_line_and_the_fix(tmp_path):
    targets = json.loads(TARGETS.read_text())
    targets["securities"] = [s for s in targets["securities"] if s["ticker"] != "VBTLX"]
    (tmp_path / "t.json").write_text(json.dumps(targets))
    assert f"{VANGUARD.name} line 3: 'VBTLX' is not in t.json securities" in " ".join(problems([VANGUARD], tmp_path / "t.json"))


# ---- the CLI ----------------------------------------------------------------------------

def test_cli_imports_several_files_and_reports_skips(tmp_path):
    out = tmp_path / "household.json"
    r = run("import", *map(str, EVERY_FILE), "--targets", str(TARGETS), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "skipped 19 rows:" in r.stdout and "OfxDownload.csv line 9: transaction row" in r.stdout
    assert r.stdout.strip().endswith("wrote " + str(out) + ": 7 accounts, 17 lots")
    assert len(json.loads(out.read_text())["accounts"]) == 7


def test_cli_generic_positions_csv_still_imports(tmp_path):
    r = run("import", "examples/positions.csv", "--targets", "examples/targets.json")
    assert r.returncode == 0, r.stderr
    assert {a["id"] for a in json.loads(r.stdout)["accounts"]} == {"joint-brokerage", "anita-ira"}


def test_cli_bad_file_exit_2_field_by_field_and_nothing_written(tmp_path):
    bad = tmp_path / "VTI_Lot_Details_XXXX-4321.csv"
    bad.write_text(SCHWAB_LOTS[0].read_text().replace('"04/20/2026","35"', '"02/30/2026","3x5"'))
    fid = tmp_path / "Portfolio_Positions.csv"
    fid.write_text(FIDELITY.read_text().replace("VTI,VANGUARD INDEX FDS TOTAL STK MKT,50,", "VTI,VANGUARD INDEX FDS TOTAL STK MKT,fifty,"))
    out = tmp_path / "household.json"
    out.write_text("old\n")
    r = run("import", str(SCHWAB), str(bad), str(fid), "--targets", str(TARGETS), "-o", str(out))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert f"{bad.name} line 5, column Open Date: '02/30/2026' is not a real day" in r.stderr
    assert f"{bad.name} line 5, column Quantity: '3x5' is not a number" in r.stderr
    assert f"{fid.name} line 4, column Quantity: 'fifty' is not a number" in r.stderr
    assert out.read_text() == "old\n"  # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".household")] == []


def test_cli_unknown_layout_names_the_layouts_it_reads(tmp_path):
    odd = tmp_path / "statement.csv"
    odd.write_text("Date,Amount\n2026-01-02,5\n")
    r = run("import", str(odd), str(FLEX), "--targets", str(TARGETS))
    assert r.returncode == 2 and "statement.csv: not a layout Householder reads; expected Schwab positions" in r.stderr
    assert r.stdout == ""


def test_an_entity_expansion_bomb_in_a_flex_file_is_refused_quickly(tmp_path):
    entities = "".join(f'<!ENTITY e{n} "{"&e%d;" % (n - 1) * 10}">' for n in range(1, 10))
    bomb = tmp_path / "flex.xml"
    bomb.write_text(f'<?xml version="1.0"?><!DOCTYPE FlexQueryResponse [<!ENTITY e0 "lol">{entities}]>'
                    f'<FlexQueryResponse><FlexStatements><FlexStatement accountId="U1">'
                    f'<OpenPosition symbol="&e9;" position="1"/></FlexStatement></FlexStatements></FlexQueryResponse>')
    found = problems([bomb])
    assert any(p.startswith("flex.xml line 1: not well-formed XML") for p in found), found


def test_older_schwab_positions_and_lowercase_fidelity_headers(tmp_path):
    old = tmp_path / "Intelligent-Positions-2020-09-25.csv"
    old.write_text('"Positions for account Intelligent XXXX-4321 as of 02:45 AM ET, 09/25/2020"\n\n'
                   '"Symbol","Description","Quantity","Price","Price Change $","Price Change %","Market Value","Day Change $","Day Change %","Cost Basis","Gain/Loss $","Gain/Loss %","Reinvest Dividends?","Capital Gains?","% Of Account","Security Type"\n'
                   '"VTI","VANGUARD TOTAL STOCK MARKET ETF","12","$331.40","$1.00","0.30%","$3,976.80","$12.00","0.30%","$2,400.00","$1,576.80","65.70%","Yes","N/A","90%","ETFs & Closed End Funds"\n'
                   '"Cash & Cash Investments","--","--","--","--","--","$441.20","--","--","--","--","--","--","--","10%","Cash and Money Market"\n'
                   '"Account Total","--","--","--","--","--","$4,418.00","--","--","--","--","--","--","--","--","--"\n')
    fid = tmp_path / "Portfolio_Positions.csv"
    fid.write_text("account number,account name,symbol,description,quantity,last price,current value,cost basis total,type\n"
                   "X55,ROLLOVER IRA,VXUS,VANGUARD TOTAL INTL,100,$72.45,\"$7,245.00\",--,Cash,\n")
    assert detect(old.read_text()) == "schwab-positions" and detect(fid.read_text()) == "fidelity-positions"
    targets = json.loads(TARGETS.read_text())
    targets["account_kinds"] = {"schwab-4321": "roth"}  # "Intelligent" reads as taxable; the targets file says otherwise
    (tmp_path / "t.json").write_text(json.dumps(targets))
    got = import_files([old, fid], tmp_path / "t.json")
    acc = accounts(got)
    assert (acc["schwab-4321"].kind, acc["schwab-4321"].cash, lots(acc["schwab-4321"], "VTI")) == ("roth", 441.20, [(12.0, 2400.0, None)])
    assert (acc["fidelity-55"].kind, lots(acc["fidelity-55"], "VXUS")) == ("traditional", [(100.0, None, None)])
    assert got.skipped == [f"{old.name} line 6: 'Account Total' total row; skipped"]


@given(st.permutations(EVERY_FILE))
@settings(max_examples=10, deadline=None)
def test_the_household_does_not_depend_on_the_order_of_the_files(order):
    def holdings(h):
        return sorted((a.id, a.kind, a.cash, l.ticker, l.shares, l.cost_basis, l.acquired) for a in h.accounts for l in a.holdings)

    assert holdings(import_files(order, TARGETS).household) == holdings(import_files(EVERY_FILE, TARGETS).household)
