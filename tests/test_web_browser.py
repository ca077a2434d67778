"""The web view in headless Chromium, driven by Selenium, as a journalist uses it.

The server is the real one (uvicorn in a thread, ``foibot.web.server``) over a copy of the
demo-built state; letters go to the session's aiosmtpd. Chromium and chromedriver are Debian's
(``apt install chromium chromium-driver``): missing, these tests are skipped, except under CI,
where that fails. Screenshots are kept under ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from foibot.app import App
from foibot.mail.parse import parse
from foibot.views.request import reply_attachment
from foibot.web import server
from tests import servers
from tests.test_browser import FLAGS
from tests.webhelpers import NOW, PWNED, WebState, web_state

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TOKEN = "a-browser-token-0123456789abcdef"


@dataclass(frozen=True)
class Served:
    cfg: Path
    url: str


@pytest.fixture(scope="module")
def built(tmp_path_factory, smtp_session, pymap_session) -> WebState:
    return web_state(tmp_path_factory, smtp_session, pymap_session)


@pytest.fixture(scope="module")
def binaries() -> tuple[str, str]:
    chromium = next((p for name in ("chromium", "chromium-browser") if (p := shutil.which(name))),
                    None)
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        missing = "chromium" if chromium is None else "chromedriver"
        if servers.in_ci():
            pytest.fail(f"{missing} is not installed; CI must install it", pytrace=False)
        pytest.skip(f"{missing} is not installed (apt install chromium chromium-driver)")
    return chromium, driver


@pytest.fixture
def downloads(tmp_path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(binaries, tmp_path, downloads) -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    chromium, driver = binaries
    options = Options()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1500"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    service = Service(executable_path=driver, log_output=str(tmp_path / "chromedriver.log"),
                      env={**os.environ, "HOME": str(tmp_path)},
                      popen_kw={"start_new_session": True})
    chrome = webdriver.Chrome(service=service, options=options)
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        pid = service.process.pid if service.process else None
        chrome.quit()
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)     # any helper that outlived the browser
            except ProcessLookupError:
                pass


@pytest.fixture
def served(built, tmp_path, monkeypatch) -> Iterator[Served]:
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    cfg = built.copy_to(tmp_path / "copy")
    running = server.start(App.load(cfg), host="127.0.0.1", port=0)
    try:
        yield Served(cfg, running.url)
    finally:
        running.stop()


def shot(browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    assert browser.save_screenshot(str(path)), name
    assert path.stat().st_size > 10_000, f"{path} looks blank"


def follow(browser, element) -> None:
    """Click something that loads a page (a link, a form's button) and wait for the new page:
    a click returns before the browser has navigated."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element("tag name", "html")
    element.click()

    def gone(_: object) -> bool:
        # mid-navigation, chromedriver may report the old page's node as "not belonging to
        # the document" rather than stale: either way the old page has gone
        try:
            page.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(browser, 15).until(gone)
    WebDriverWait(browser, 15).until(
        lambda b: b.execute_script("return document.readyState") == "complete")


def text_of(browser) -> str:
    return browser.find_element("tag name", "body").text


def figure(browser, key: str) -> int:
    return int(browser.find_element("css selector", f'dd[data-key="{key}"]').text)


def row_state(browser, reference: str) -> str:
    return browser.find_element("css selector", f'tr[data-reference="{reference}"]') \
        .get_attribute("data-state")


def row_part(browser, reference: str) -> str:
    return browser.find_element("css selector", f'tr[data-reference="{reference}"]') \
        .get_attribute("data-part")


def wait_for_file(folder: Path, suffix: str, timeout: float = 15) -> Path:
    """The finished download: Chromium may show the file under its name before its bytes are
    written, so wait until nothing is still downloading and its size has settled."""
    deadline = time.monotonic() + timeout
    last: tuple[Path, int] | None = None
    while time.monotonic() < deadline:
        names = list(folder.iterdir())
        done = [p for p in names if p.name.endswith(suffix)]
        busy = any(p.name.endswith(".crdownload") for p in names)
        if done and not busy:
            size = done[0].stat().st_size
            if size and last == (done[0], size):
                return done[0]
            last = (done[0], size)
        time.sleep(0.1)
    raise AssertionError(f"no finished {suffix} download in {folder}: {list(folder.iterdir())}")


def test_a_journalists_morning(browser, served, built, downloads, smtp_server):
    b, url = browser, served.url
    b.get(url)
    assert figure(b, "needs_review") == 1 and figure(b, "clarification") == 1
    assert row_state(b, built.clarify) == "clarification"
    shot(b, "web-board.png")

    # open a request from the board and read the force's reply, spreadsheet and all
    follow(b, b.find_element("link text", built.spreadsheet))
    assert b.current_url.endswith(f"/r/{built.spreadsheet}")
    page = text_of(b)
    assert "Please find attached our response" in page and "Total" in page
    assert b.find_elements("css selector", "#reply-2 table.sheet td")
    shot(b, "web-request.png")

    # download its attachment: the bytes the force sent
    link = b.find_element("css selector", "#reply-2 a.download")
    name = link.text
    link.click()
    saved = wait_for_file(downloads, ".xlsx")
    assert saved.name == name
    _, data = reply_attachment(App.load(served.cfg), built.spreadsheet, 2, 1)
    assert saved.read_bytes() == data

    # correct a classification foibot was unsure of
    b.get(url + "review")
    shot(b, "web-review.png")
    item = b.find_element("id", built.unsure)
    from selenium.webdriver.support.ui import Select

    Select(item.find_element("css selector", "form.correct select")).select_by_value("not_held")
    follow(b, item.find_element("css selector", "form.correct button"))
    assert "Marked." in b.find_element("id", "notice").text
    assert not b.find_elements("id", built.unsure)

    # file a triaged message under the request it names
    triage = b.find_element("css selector", f'[data-message="{built.triage}"]')
    follow(b, triage.find_element("css selector", "form.assign button"))
    assert b.current_url.endswith(f"/r/{built.refs['thames-valley']}?ok=assigned")
    assert "disclosure team at Thames Valley Police" in text_of(b)

    # answer a clarification: the question beside the box, the letter shown, sent once
    b.get(url + f"r/{built.clarify}")
    assert "Could you please clarify" in b.find_element("id", "question").text
    answer = "By offensive I mean any post that led to a misconduct investigation."
    b.find_element("id", "clarify-text").send_keys(answer)
    shot(b, "web-clarify.png")
    follow(b, b.find_element("css selector", "#clarify button"))
    assert answer in b.find_element("id", "letter").text and not smtp_server.messages
    follow(b, b.find_element("css selector", "#confirm button"))
    assert "Your clarification was sent" in b.find_element("id", "notice").text
    assert len(smtp_server.messages) == 1
    assert answer in parse(smtp_server.messages[0].data).text

    # and the board has changed
    b.get(url)
    assert figure(b, "clarification") == 0
    assert row_state(b, built.clarify) == "awaiting"
    assert row_part(b, built.unsure) == "responded"
    # the message just filed is unknown to foibot too: it waits for a look in its place
    assert row_part(b, built.refs["thames-valley"]) == "needs_review"
    assert figure(b, "needs_review") == 1
    shot(b, "web-board-after.png")


def test_hostile_mail_runs_nothing(browser, served, built, downloads):
    b, url = browser, served.url
    b.get("data:text/html,<title>t</title><script>document.title='" + PWNED + "'</script>")
    assert b.title == PWNED          # the check below would see a script that ran
    for path in (f"r/{built.hostile}", "review", f"m/{built.triage_hostile}"):
        b.get(url + path)
        assert PWNED not in b.title, path
        assert not b.find_elements("id", PWNED), path
        assert not b.find_elements("tag name", "script"), path
        assert not b.find_elements("css selector", "img:not([src$='/view'])"), path
        assert not b.find_elements("css selector", "[href^='javascript'], [onerror]"), path
        assert "<script>document.title='pwned'" in text_of(b), path
    b.get(url + f"r/{built.hostile}")
    shot(b, "web-hostile.png")
    # the HTML "attachment", asked to be viewed, is only ever a download
    b.get(url + f"r/{built.hostile}/reply/1/a/1/view")
    saved = wait_for_file(downloads, ".html")
    assert "<script>" in saved.read_text()
    assert PWNED not in b.title


def test_a_token_server_asks_for_the_token_first(browser, served, built, tmp_path):
    cfg = served.cfg
    cfg.write_text(cfg.read_text() + f'[web]\ntoken_command = "echo {TOKEN}"\n')
    running = server.start(App.load(cfg), host="127.0.0.1", port=0)
    try:
        browser.get(running.url + f"r/{built.unsure}")
        assert "needs its access token" in text_of(browser)
        field = browser.find_element("name", "token")
        field.send_keys("wrong")
        follow(browser, browser.find_element("css selector", "#login button"))
        assert "That is not the access token." in text_of(browser)
        browser.find_element("name", "token").send_keys(TOKEN)
        follow(browser, browser.find_element("css selector", "#login button"))
        assert browser.current_url.endswith(f"/r/{built.unsure}")
        assert "We have looked into this matter" in text_of(browser)
        cookie = browser.get_cookie("foibot_auth")
        assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert TOKEN not in cookie["value"]
    finally:
        running.stop()
