"""The report in a real browser: headless Chromium loads the file, and what it built is checked.

``--dump-dom`` prints the document as the browser parsed it (after any script would have run),
so a subject that escaped its escaping would show up as an element, or as a changed title.
Screenshots are kept under ``test-artifacts/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import struct
import subprocess
from pathlib import Path

import pytest

from foibot.views import report
from foibot.app import App
from foibot.timeutil import parse_instant
from tests import servers
from tests.test_report import REPORT_AT, Built, built_campaign

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--hide-scrollbars", "--mute-audio")
# Would change the page's title if it ever ran; nothing in a correct report can run it.
IMG_ATTACK = "<img src=x onerror=\"document.title='pwned'\">"
TITLE = "FOI campaign sm: 32 of 44 forces responded"


@pytest.fixture(scope="module")
def built(tmp_path_factory, smtp_session, pymap_session) -> Built:
    return built_campaign(tmp_path_factory, smtp_session, pymap_session)


@pytest.fixture(scope="module")
def browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        if servers.in_ci():
            pytest.fail("chromium is not installed; CI must install it", pytrace=False)
        pytest.skip("chromium is not installed (apt install chromium)")
    return found


def run_browser(binary: str, profile: Path, *args: str, timeout: float = 90) -> str:
    """Run headless Chromium once with a fresh profile; its whole process group dies after."""
    profile.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env={**os.environ, "HOME": str(profile)},
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chromium did not finish within {timeout}s")
    try:
        os.killpg(proc.pid, signal.SIGKILL)   # helpers that outlived the browser, if any
    except ProcessLookupError:
        pass
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode("utf-8")


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def page(built, tmp_path_factory) -> Path:
    """The report of the built campaign plus one more hostile reply, written to a file."""
    root = tmp_path_factory.mktemp("browser")
    cfg = built.copy_to(root / "c")
    app = App.load(cfg)
    ref = built.refs[built.acknowledged]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FOIBOT_NOW", REPORT_AT)
        app.campaigns.append_one("sm", ref, "reply", {
            "kind": "acknowledgement", "subject": IMG_ATTACK, "from": '"<b>x</b>"@evil.example',
            "evidence": ["</span></li><script>document.title='pwned'</script>"],
            "date": "2027-01-19T08:00:00+00:00", "message": "0" * 64,
            "stated_due": "2026-12-29",      # the force's own date, shown beside the Act's
        }, now=parse_instant(REPORT_AT))
        path = root / "report.html"
        report.write(App.load(cfg), "sm", path)
    return path


def test_report_renders_in_chromium(browser, page, tmp_path):
    dom = run_browser(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    # the browser parsed our document (its DOM, not our bytes: attribute order etc. may differ)
    assert re.search(r'<h1 id="headline">\s*32 of 44 forces responded\s*</h1>', dom)
    table = dom[dom.index('<table id="forces">'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r'<tr data-force="([^"]+)" data-state="([^"]+)"', table)
    assert len(rows) == 44
    assert dict(rows)["dorset"] == "overdue" and dict(rows)["kent"] == "responded"
    chart = re.search(r'<svg id="chart".*?</svg>', dom, re.DOTALL)
    assert chart and "<polyline" in chart.group(0) and 'id="deadline-marker"' in chart.group(0)
    # nothing from an email became markup, and nothing ran
    assert f"<title>{TITLE}</title>" in dom
    assert "pwned" not in re.search(r"<title>.*?</title>", dom, re.DOTALL).group(0)
    assert "<script" not in dom and "<img" not in dom and "<b>" not in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "&lt;img src=x onerror=" in dom


def test_screenshots_are_not_blank(browser, page, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    for name, size in (("report.png", (1200, 2000)), ("report-phone.png", (390, 1600))):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        run_browser(browser, tmp_path / name, f"--screenshot={shot}",
                    f"--window-size={size[0]},{size[1]}", page.as_uri())
        assert shot.exists() and png_size(shot) == size
        # a blank white page compresses to a couple of KB; the report is text, colour, a chart
        assert shot.stat().st_size > 30_000, f"{shot} looks blank ({shot.stat().st_size} bytes)"


# Measures what the browser laid out and writes it where --dump-dom shows it. Only this test's
# copy of the page carries it (and drops the page's CSP, which rightly forbids any script).
MEASURE = """<script>addEventListener("load", () => {
  const out = {};
  for (const id of ["forces", "answers"]) {
    const table = document.getElementById(id), box = table.parentElement;
    out[id] = [box.scrollWidth, box.clientWidth, table.offsetWidth];
  }
  out.page = [document.documentElement.scrollWidth, innerWidth];
  document.body.setAttribute("data-measured", JSON.stringify(out));
});</script>"""


def test_forces_table_fits_1280_pixels_without_a_scrollbar(browser, page, tmp_path):
    html = page.read_text(encoding="utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    probe = tmp_path / "measure.html"
    probe.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = run_browser(browser, tmp_path / "profile", "--window-size=1280,1000", "--dump-dom",
                      probe.as_uri())
    found = re.search(r'data-measured="([^"]+)"', dom)
    assert found, "the measuring script did not run"
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    scroll, visible, _ = measured["forces"]
    assert scroll <= visible, f"the forces table needs {scroll}px in {visible}px: a scrollbar"
    scroll, visible, _ = measured["answers"]
    assert scroll <= visible
    assert measured["page"][0] <= measured["page"][1]     # nor does the page scroll sideways
