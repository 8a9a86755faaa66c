"""The chat front door in a real browser: the Chainlit server as a subprocess, driven by headless
Chromium through Playwright. Screenshots land in test-artifacts/.

Needs Debian's `chromium` (/usr/bin/chromium; `.ci/run` and `make test` install it). Playwright's
own browser download is never used.
"""
from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from assistant.answer import Assistant
from assistant.explain import money
from formats import ORDER_COLUMNS
from tools import HouseholdBook

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("HOUSEHOLDER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
WAIT = 30_000  # ms: generous, a loaded CI machine solves slower
DISCLAIMER = "For educational purposes only. Not investment, tax or legal advice."

expect.set_options(timeout=WAIT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`householder serve` on a free port, in its own Chainlit app root (its .files/ and
    .chainlit/ stay out of the repository, and stopping it cannot touch another server's files)."""

    def __init__(self, app_root: Path, *serve_args: str, env: dict[str, str] | None = None):
        app_root.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "chainlit.md", app_root / "chainlit.md")
        self.app_root, self.serve_args = app_root, serve_args
        # One solver process: the machine runs other tests too. The database is APP_ROOT/householder.db.
        self.env = {**os.environ, "CHAINLIT_APP_ROOT": str(app_root), "HOUSEHOLDER_SOLVE_WORKERS": "1", **(env or {})}
        self.env.pop("OPENAI_API_KEY", None)  # the offline assistant, whatever the machine has set
        self.database = f"sqlite+aiosqlite:///{app_root / 'householder.db'}"
        self.start()

    def start(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.app_root / f"server-{self.port}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "serve", "--port", str(self.port), *self.serve_args],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def _wait_ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not listen on {self.port} within {seconds:.0f} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); `make test` and .ci/run do")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    """The app as `make run` starts it: every example household, no login."""
    server = Server(tmp_path_factory.mktemp("chainlit-open"))
    yield server
    server.stop()


def _users_file(folder: Path) -> Path:
    """The example logins plus advisors the back-off and logout tests may lock or log out."""
    def hash_password(password: str, iterations: int) -> str:  # the users-file form (assistant.app.hash_password)
        salt = secrets.token_hex(16)
        return f"pbkdf2_sha256${iterations}${salt}${hashlib.pbkdf2_hmac('sha256', password.encode(), bytes.fromhex(salt), iterations).hex()}"

    users = json.loads((EXAMPLES / "login" / "users.json").read_text())
    for name in ("casey", "drew", "emery"):
        users["advisors"].append({"username": name, "password": hash_password(f"{name}-demo", iterations=1000), "households": ["rivera"]})
    path = folder / "users.json"
    path.write_text(json.dumps(users))
    return path


@pytest.fixture(scope="module")
def login_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chainlit-login")
    server = Server(folder, "--users", str(_users_file(folder)), env={"CHAINLIT_AUTH_SECRET": secrets.token_hex(32)})
    yield server
    server.stop()


def _page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(WAIT)
    return context.new_page()


def _ready(page: Page) -> None:
    """The session has started once the app's chat settings (sent from on_chat_start) show."""
    expect(page.get_by_text("Raise $50k tax-efficiently", exact=True)).to_be_visible()
    expect(page.locator("#chat-settings-open-modal")).to_be_visible()


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _assistant_messages(page: Page):
    return page.locator('[data-step-type="assistant_message"]')


def _choose(page: Page, setting: str, option: str) -> None:
    """Pick an option in the chat settings panel and confirm it."""
    _idle(page)
    page.locator("#chat-settings-open-modal").click()
    page.locator(f"#{setting}").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.locator("#confirm").click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def _setting(page: Page, setting: str) -> tuple[str, list[str]]:
    """(the value shown, every option) of a select in the chat settings panel, left unchanged."""
    page.locator("#chat-settings-open-modal").click()
    shown = page.locator(f"#{setting}").inner_text().strip()
    page.locator(f"#{setting}").click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    names = [o.strip() for o in options.all_inner_texts()]
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    return shown, names


def _idle(page: Page) -> None:
    """No task running: Chainlit shows its stop button instead of the send button until the last answer is complete."""
    expect(page.locator("#stop-button")).to_have_count(0)
    expect(page.locator("#chat-submit")).to_be_visible()


def _send(page: Page, text: str) -> None:
    _idle(page)
    box = page.locator("#chat-input")
    box.click()
    box.fill(text)
    page.keyboard.press("Enter")
    expect(page.locator('[data-step-type="user_message"]').filter(has_text=text).last).to_be_visible()


def _answer_after(page: Page, before: int, contains: str | re.Pattern):
    """The first assistant message after the `before` already shown that contains the text."""
    messages = _assistant_messages(page)
    expect(messages.nth(before)).to_be_visible()
    hit = messages.filter(has_text=contains).last
    expect(hit).to_be_visible()
    return hit


def _expected(question: str, household: str, audience: str = "advisor"):
    """The same question put to the same offline assistant without the browser: the engine's figures."""
    book = HouseholdBook.from_paths([EXAMPLES / "rivera.json", EXAMPLES / "retiree.json", EXAMPLES / "couple.json", EXAMPLES / "large.json"])
    return Assistant(book, household=household, audience=audience).ask(question)


def test_advisor_asks_downloads_switches_audience_and_uploads(browser, open_server):
    page = _page(browser)
    page.goto(open_server.url)
    _ready(page)
    for starter in ("Raise $50k tax-efficiently", "Rebalance the household", "Any tax-loss harvesting?", "How well are the assets located?"):
        expect(page.get_by_text(starter, exact=True)).to_be_visible()
    _shot(page, "01-welcome-starters")

    _choose(page, "household", "Rivera household")
    expect(page.get_by_text("Raise $50k tax-efficiently", exact=True)).to_be_visible()  # a silent switch keeps the starters

    # The starter, timed from the click to the savings figure on screen.
    expected = _expected("Raise $50k tax-efficiently", "Rivera household").result
    savings = money(expected.extra["savings_tax"])
    started = time.perf_counter()
    page.get_by_text("Raise $50k tax-efficiently", exact=True).click()
    answer = _answer_after(page, 0, f"Saves {savings} in tax")
    seconds = time.perf_counter() - started
    (ARTIFACTS / "timing.txt").write_text(f"Rivera household, 'Raise $50k tax-efficiently': {seconds:.2f} s from click to answer in the browser\n")
    print(f"question to answer in the browser: {seconds:.2f} s")

    # The tool call as a step: its name, arguments, status and time.
    step = page.locator('[data-step-type="tool"]').last
    expect(step).to_contain_text("withdraw")
    expect(step).to_contain_text('"amount": 50000')
    expect(step).to_contain_text(re.compile(r"optimal · \w+ · solve \d+\.\d\d s · answered in \d+\.\d\d s"))

    # The trades table, row for row the engine's trades, and the savings against the baseline.
    table = answer.locator("table").first
    expect(table).to_be_visible()
    header = [h.strip().lower() for h in table.locator("th").all_inner_texts()]
    assert header == ["account", "action", "ticker", "shares", "amount", "lot", "gain", "term"]
    expect(table.locator("tbody tr")).to_have_count(len(expected.trades))
    first = expected.trades[0]
    expect(table.locator("tbody tr").first).to_contain_text(money(first.amount))
    expect(answer).to_contain_text(DISCLAIMER)
    expect(answer.locator(".js-plotly-plot")).to_have_count(2)
    step.scroll_into_view_if_needed()
    _shot(page, "02-answer-step-savings-trades")
    answer.locator(".js-plotly-plot").last.scroll_into_view_if_needed()
    _shot(page, "03-answer-charts-downloads")

    # The order file: the CLI's columns, one row per trade.
    # Download links carry a token of their own, never the session id that would let anyone attach to the chat.
    for href in answer.locator("a[download]").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert re.fullmatch(r"/householder/download/[A-Za-z0-9_-]{32}", href), href
    with page.expect_download() as download:
        answer.locator('a[download^="orders-"]').click()
    orders = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert download.value.suggested_filename == "orders-rivera-withdraw.csv"
    assert list(orders[0]) == ORDER_COLUMNS
    assert [(r["account"], r["ticker"], r["action"], r["amount"]) for r in orders] == [
        (t.account, t.ticker, t.action, str(t.amount)) for t in expected.trades
    ]
    with page.expect_download() as download:
        answer.locator('a[download^="result-"]').click()
    result = json.loads(Path(download.value.path()).read_text())
    assert result["tool"] == "withdraw" and result["status"] == "optimal"
    assert result["extra"]["savings_tax"] == expected.extra["savings_tax"]

    # Client audience: the last plan rewritten as a letter, downloadable.
    shown = _assistant_messages(page).count()
    _choose(page, "audience", "Client draft (letter)")
    letter = _answer_after(page, shown, "Dear Rivera household")
    expect(letter).to_contain_text("Kind regards")
    advisor_notes = _answer_after(page, shown + 1, "For the advisor — not part of the letter")
    expect(advisor_notes.locator("table")).to_be_visible()
    with page.expect_download() as download:
        letter.locator('a[download^="letter-"]').click()
    text = Path(download.value.path()).read_text()
    assert text.startswith("Dear Rivera household") and DISCLAIMER in text
    letter.scroll_into_view_if_needed()
    _shot(page, "04-client-letter")
    _choose(page, "audience", "Advisor")

    # A what-if follow-up keeps the household and the last plan.
    shown = _assistant_messages(page).count()
    _send(page, "make it $80k")
    _answer_after(page, shown, "Raise $80,000.00 for Rivera household")

    # A request the household cannot meet: the reason, and the chat goes on.
    shown = _assistant_messages(page).count()
    _send(page, "Raise $5,000,000")
    _answer_after(page, shown, re.compile(r"at most \$[\d,]+\.\d\d can be raised"))
    _shot(page, "05-infeasible-request")

    # An invalid household upload: the validation message, and nothing else changes.
    shown = _assistant_messages(page).count()
    broken = json.loads((EXAMPLES / "rivera.json").read_text())
    broken["name"] = "Broken household"
    broken["targets"]["bonds"] = 0.9
    del broken["accounts"][0]["holdings"][0]["cost_basis"]
    page.locator("#upload-button-input").set_input_files(
        files=[{"name": "broken.json", "mimeType": "application/json", "buffer": json.dumps(broken).encode()}]
    )
    expect(page.get_by_text("broken.json")).to_be_visible()
    _idle(page)
    page.locator("#chat-submit").click()
    error = _answer_after(page, shown, "not a valid household; nothing was changed")
    expect(error).to_contain_text("cost_basis")
    expect(error).to_contain_text("targets")
    error.scroll_into_view_if_needed()
    _shot(page, "06-invalid-upload")
    shown_household, households = _setting(page, "household")
    assert shown_household == "Rivera household" and "Broken household" not in households
    shown = _assistant_messages(page).count()
    _send(page, "Rebalance the household")
    _answer_after(page, shown, "Rebalance for Rivera household")

    # A custodian CSV with its targets file becomes a household of this chat.
    shown = _assistant_messages(page).count()
    page.locator("#upload-button-input").set_input_files(files=[str(EXAMPLES / "positions.csv"), str(EXAMPLES / "targets.json")])
    expect(page.get_by_text("positions.csv")).to_be_visible()
    _send(page, "Any tax-loss harvesting?")
    _answer_after(page, shown, "Loaded Patel household")
    _answer_after(page, shown + 1, "Tax-loss harvesting for Patel household")
    expect(page.locator("#chat-settings-open-modal")).to_be_visible()
    assert _setting(page, "household")[0] == "Patel household"
    page.context.close()


def _log_in(page: Page, server: Server, username: str, password: str) -> None:
    page.goto(server.url)
    page.locator("#email").fill(username)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def test_an_advisor_cannot_open_another_advisors_household(browser, login_server):
    page = _page(browser)
    _log_in(page, login_server, "avery", "wrong password")
    expect(page.get_by_text("Unable to sign in")).to_be_visible()
    expect(page.locator("#email")).to_be_visible()
    _shot(page, "07-login-refused")

    _log_in(page, login_server, "avery", "avery-demo")
    _ready(page)
    assert sorted(_setting(page, "household")[1]) == ["Ellis household", "Rivera household"]
    _send(page, "Rebalance the Okafor-Lindqvist household")
    refusal = _answer_after(page, 0, "I don't have a household called")
    expect(refusal).not_to_contain_text("Okafor-Lindqvist household")
    expect(page.locator('[data-step-type="tool"]')).to_have_count(0)  # no tool ran
    expect(page.locator("table")).to_have_count(0)
    _shot(page, "08-other-advisors-household-refused")
    _send(page, "Rebalance the Rivera household")
    _answer_after(page, 1, "Rebalance for Rivera household")
    page.context.close()

    # The household exists on this server: its own advisor opens it by the same words.
    page = _page(browser)
    _log_in(page, login_server, "blake", "blake-demo")
    _ready(page)
    _send(page, "Rebalance the Okafor-Lindqvist household")
    _answer_after(page, 0, "Rebalance for Okafor-Lindqvist household")
    page.context.close()


# ---- origins, login back-off, logout, restart ------------------------------------------------

def _http(server: Server, method: str, path: str, body: str | None = None, headers: dict | None = None, source: str = "127.0.0.1"):
    """(status, headers, body) of one request from a chosen loopback address (Linux routes all of 127/8)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        conn.close()


def _login(server: Server, username: str, password: str, source: str = "127.0.0.1"):
    body = urllib.parse.urlencode({"username": username, "password": password})
    return _http(server, "POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"}, source)


def test_socket_io_refuses_a_foreign_origin_and_accepts_its_own(open_server):
    polling = "/ws/socket.io/?EIO=4&transport=polling"
    status, _, body = _http(open_server, "GET", polling, headers={"Origin": "http://evil.example"})
    assert status == 400 and "not an accepted origin" in body
    status, _, body = _http(open_server, "GET", polling, headers={"Origin": open_server.url})
    assert status == 200 and '"sid"' in body
    # The HTTP API's CORS answer names no foreign origin either.
    _, headers, _ = _http(open_server, "GET", "/project/settings", headers={"Origin": "http://evil.example"})
    assert headers.get("access-control-allow-origin") != "http://evil.example"


def test_failed_logins_back_off_per_user_and_per_address(login_server):
    # casey: four wrong passwords from one address, then the right one from another is still refused.
    for _ in range(4):
        assert _login(login_server, "casey", "guess", source="127.0.0.21")[0] == 401
    assert _login(login_server, "casey", "casey-demo", source="127.0.0.22")[0] == 401
    time.sleep(2.5)  # the first lock is 2 s
    assert _login(login_server, "casey", "casey-demo", source="127.0.0.22")[0] == 200
    # One address guessing many names: after four misses that address is refused even a right password,
    # and the same advisor from another address gets in.
    for name in ("nobody1", "nobody2", "nobody3", "nobody4"):
        assert _login(login_server, name, "guess", source="127.0.0.23")[0] == 401
    assert _login(login_server, "emery", "emery-demo", source="127.0.0.23")[0] == 401
    assert _login(login_server, "emery", "emery-demo", source="127.0.0.24")[0] == 200


def test_logout_revokes_the_login_token(login_server):
    status, headers, _ = _login(login_server, "drew", "drew-demo", source="127.0.0.31")
    assert status == 200
    cookie = headers["set-cookie"].split(";", 1)[0]
    assert _http(login_server, "GET", "/user", headers={"Cookie": cookie})[0] == 200
    assert _http(login_server, "POST", "/logout", headers={"Cookie": cookie})[0] == 200
    # The browser drops the cookie; whoever kept a copy of the token finds it dead.
    status, _, body = _http(login_server, "GET", "/user", headers={"Cookie": cookie})
    assert status == 401 and "logged out" in body


def test_restart_keeps_the_conversation_and_the_audit_lists_it(browser, tmp_path):
    server = Server(tmp_path / "restart", "--users", str(_users_file(tmp_path)), env={"CHAINLIT_AUTH_SECRET": secrets.token_hex(32)})
    try:
        page = _page(browser)
        _log_in(page, server, "avery", "avery-demo")
        _ready(page)
        _send(page, "Rebalance the Rivera household")
        answer = _answer_after(page, 0, "Rebalance for Rivera household")
        expect(answer.locator('a[download^="orders-"]')).to_be_visible()
        with page.expect_download():
            answer.locator('a[download^="orders-"]').click()
        _idle(page)
        _choose(page, "audience", "Support (why this plan)")
        thread_url = page.url
        assert "/thread/" in thread_url
        page.context.close()

        server.stop()
        server.start()  # a new process on a new port, the same database

        page = _page(browser)
        _log_in(page, server, "avery", "avery-demo")
        _ready(page)
        page.goto(server.url + urllib.parse.urlparse(thread_url).path)
        expect(page.get_by_text("Rebalance for Rivera household").first).to_be_visible()
        _shot(page, "09-thread-after-restart")
        # The conversation goes on where it was: the household and reader come back with the thread.
        _idle(page)
        shown = _assistant_messages(page).count()
        _send(page, "make it tighter")
        _answer_after(page, shown, "Rivera household")

        # A server stopped while a question is being answered: the reopened chat says so.
        # (Each server starts its solver process on the first solve, so this one is still cold.)
        server.stop()
        server.start()
        page.goto(server.url + urllib.parse.urlparse(thread_url).path)
        expect(page.get_by_text("Rebalance for Rivera household").first).to_be_visible()
        _idle(page)
        box = page.locator("#chat-input")
        box.fill("Any tax-loss harvesting?")
        page.keyboard.press("Enter")
        expect(page.locator('[data-step-type="user_message"]').filter(has_text="Any tax-loss harvesting?").last).to_be_visible()
        server.stop()
        server.start()
        page.goto(server.url + urllib.parse.urlparse(thread_url).path)
        expect(page.get_by_text("The answer to “Any tax-loss harvesting?” was lost")).to_be_visible()
        _shot(page, "10-answer-lost-in-restart")
        page.context.close()
    finally:
        server.stop()

    out = subprocess.run([sys.executable, "-m", "assistant.cli", "audit", "--database", server.database, "--user", "avery"],
                         check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = [ln.split("\t") for ln in out.stdout.strip().splitlines()]
    assert [r[2] for r in rows[:2]] == ["shown", "downloaded"]
    assert all(r[1] == "avery" and r[3] == "Rivera household" and r[4] == "rebalance" and r[5] == "optimal" for r in rows[:2])
    assert rows[1][-1] == "orders-rivera-rebalance.csv"
