"""The web view's routes, through Starlette's test client, over a demo-built state dir.

Each test gets its own copy of the state (see ``tests/webhelpers.py``); letters go to the
session's aiosmtpd. Pure helpers (highlighting, headers) are checked first, on their own.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from foibot.app import App
from foibot.errors import ConfigError
from foibot.mail.parse import Attachment, parse
from foibot.rules.status import derive
from foibot.timeutil import today
from foibot.views import export
from foibot.views.request import highlight, inline_type, table
from foibot.web import security
from foibot.web.app import create_app
from tests.helpers import QUESTION, cli, write_config
from tests.webhelpers import (CAMPAIGN, NOW, TRIAGE_TEXT, WebState, client, csrf_of,
                              tiny_pdf, tiny_png, web_state)
from tests.webhelpers import TestClient

TOKEN = "s3cret-token-for-tests-0123456789"


@pytest.fixture(scope="module")
def built(tmp_path_factory, smtp_session, pymap_session) -> WebState:
    return web_state(tmp_path_factory, smtp_session, pymap_session)


@pytest.fixture
def cfg(built, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    return built.copy_to(tmp_path / "copy")


@pytest.fixture
def web(cfg) -> TestClient:
    return client(cfg)


def events(cfg: Path, ref: str) -> list[str]:
    return [e.type for e in App.load(cfg).campaigns.find(ref).events]


def status_json(capsys, cfg: Path) -> dict:
    r = cli(capsys, cfg, "status", CAMPAIGN, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def post(web: TestClient, url: str, page: str, **fields: str):
    """A form posted as the browser would: with the CSRF token of the page it came from."""
    token = csrf_of(web.get(page).text)
    return web.post(url, data={"csrf": token, **fields})


# --- pure helpers ---------------------------------------------------------------------------
def test_highlight_marks_the_evidence_in_the_text():
    text = "Before we can proceed, we NEED YOU\nTO clarify. Please could you clarify."
    runs = highlight(text, ['text: "need you to clarify"', 'text: "please could you..."',
                            "header Auto-Submitted: auto-replied"])
    assert "".join(run for run, _ in runs) == text
    assert [run for run, hit in runs if hit] == ["NEED YOU\nTO clarify", "Please could you"]
    assert highlight("nothing here", ['text: "absent"']) == [("nothing here", False)]
    assert highlight("", []) == [("", False)]


def test_inline_only_for_pdf_and_raster_images_by_their_bytes():
    assert inline_type(tiny_pdf("x")) == "application/pdf"
    assert inline_type(tiny_png()) == "image/png"
    assert inline_type(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>") is None
    assert inline_type(b"<html><script>alert(1)</script>") is None


def test_spreadsheet_as_rows():
    csv = Attachment("figures.csv", None, "text/csv", 20, "", None, None)
    sheets = table(csv, b"Year,Count\r\n2015,4\r\n")
    assert sheets and sheets[0].rows == [["Year", "Count"], ["2015", "4"]]
    broken = Attachment("figures.xlsx", None, "application/octet-stream", 3, "", None, None)
    assert table(broken, b"not a zip") is None


def test_content_disposition_cannot_escape_the_header():
    value = security.content_disposition("attachment", 'evil"; filename=x.html\r\nX-A: b.pdf')
    assert "\r" not in value and "\n" not in value
    fallback = re.search(r'filename="([^"]*)"', value).group(1)
    assert fallback == "evil__ filename_x.html__X-A_ b.pdf"
    assert value.endswith("filename*=UTF-8''evil%22%3B%20filename%3Dx.html%0D%0AX-A%3A%20b.pdf")
    assert security.content_disposition("inline", "Ответ.pdf").startswith(
        'inline; filename="_____.pdf"; filename*=UTF-8\'\'%D0%9E')


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True),
                                            ("::1", True), ("127.0.0.2", True),
                                            ("0.0.0.0", False), ("192.168.1.5", False),
                                            ("example.org", False)])
def test_loopback(host, loopback):
    assert security.is_loopback(host) is loopback


# --- the board ------------------------------------------------------------------------------
def test_board_has_the_figures_of_status_json(web, cfg, built, capsys):
    page = web.get("/")
    assert page.status_code == 200
    shown = {k: int(v) for k, v in re.findall(r'<dd data-key="(\w+)">(\d+)</dd>', page.text)}
    data = status_json(capsys, cfg)
    assert shown == data["summary"]
    assert shown["total"] == 44 and shown["needs_review"] == 1 and shown["clarification"] == 1
    rows = dict(re.findall(r'<tr data-reference="([^"]+)" data-force="[^"]+" data-state="([^"]+)"',
                           page.text))
    assert rows == {r["reference"]: r["state"] for r in data["requests"]}
    for ref in rows:
        assert f'href="/r/{ref}"' in page.text
    unsure_row = page.text[page.text.index(f'data-reference="{built.unsure}"'):]
    assert "needs review" in unsure_row[:unsure_row.index("</tr>")]
    assert web.get(f"/c/{CAMPAIGN}").text == page.text


def test_board_filters_and_sorts_by_query(web, built):
    overdue = web.get(f"/c/{CAMPAIGN}?state=overdue").text
    states = re.findall(r'data-state="([^"]+)" data-part="([^"]+)"', overdue)
    assert states and all(part == "overdue" for _, part in states)
    count = re.search(r'<dd data-key="overdue">(\d+)</dd>', overdue).group(1)
    assert len(states) == int(count)
    review = web.get(f"/c/{CAMPAIGN}?state=needs_review").text
    assert re.findall(r'<tr data-reference="([^"]+)"', review) == [built.unsure]
    names = re.findall(r'<tr data-reference="[^"]+" data-force="([^"]+)"',
                       web.get(f"/c/{CAMPAIGN}?sort=reference&desc=1").text)
    refs = {v: k for k, v in built.refs.items()}
    assert [built.refs[n] for n in names] == sorted(refs, reverse=True)
    assert 'aria-sort="descending"' in web.get(f"/c/{CAMPAIGN}?sort=due&desc=1").text


def test_several_campaigns_are_listed_and_an_unknown_one_is_404(web, cfg):
    app = App.load(cfg)
    app.campaigns.create("second", forces=app.registry.group("default")[:2], group="default",
                         template=None, variables={"question": QUESTION}, now=app.now())
    home = web.get("/")
    assert 'href="/c/sm"' in home.text and 'href="/c/second"' in home.text
    assert "responded 0 · not sent 2 = 2" in home.text
    assert web.get("/c/second").status_code == 200
    missing = web.get("/c/nope")
    assert missing.status_code == 404 and "no such campaign: &#39;nope&#39;" in missing.text


# --- a request ------------------------------------------------------------------------------
def test_request_page_tells_the_story_in_order(web, built):
    page = web.get(f"/r/{built.spreadsheet}").text
    kinds = re.findall(r'<li class="entry (\w+)" data-type="', page)
    assert kinds[:2] == ["event", "letter"] and "reply" in kinds
    assert kinds.index("letter") < kinds.index("reply")
    assert "Our letter</strong> (request)" in page and QUESTION[:40] in page   # as sent
    assert "Please find attached our response" in page                      # their words
    assert 'class="sheet"' in page and "<td>Total</td>" in page              # the xlsx
    assert "Fri 25 Dec 2026: Christmas Day" in page                          # the deadline
    assert 'id="next-action"' in page
    times = re.findall(r"<time>(\w{3} \d\d \w{3} \d{4} \d\d:\d\d)</time>", page)
    assert times and times[0].startswith("Tue 01 Dec 2026")


def test_evidence_is_highlighted_and_the_question_shown_beside_the_box(web, built):
    page = web.get(f"/r/{built.clarify}").text
    assert "<mark>need you to clarify</mark>" in page
    question = page[page.index('id="question"'):page.index('id="clarify-text"')]
    assert "Could you please clarify what you mean by" in question


def test_attachments_download_and_pdf_and_images_view_in_place(web, built):
    base = f"/r/{built.unsure}/reply/1/a"
    page = web.get(f"/r/{built.unsure}").text
    assert f'href="{base}/1"' in page and f'href="{base}/1/view"' in page
    assert f'<img src="{base}/2/view" alt="photo.png">' in page
    pdf = web.get(f"{base}/1")
    assert pdf.content == tiny_pdf("Page 1")
    assert pdf.headers["content-type"] == "application/octet-stream"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="scan.pdf"')
    assert pdf.headers["x-content-type-options"] == "nosniff"
    view = web.get(f"{base}/1/view")
    assert view.headers["content-type"] == "application/pdf"
    assert view.headers["content-disposition"].startswith("inline;")
    assert "default-src 'none'" in view.headers["content-security-policy"]
    png = web.get(f"{base}/2/view")
    assert png.headers["content-type"] == "image/png" and png.content == tiny_png()
    assert web.get(f"{base}/3").status_code == 404
    assert web.get(f"/r/{built.unsure}/reply/2/a/1").status_code == 404


def test_hostile_mail_stays_text(web, built):
    pages = {url: web.get(url) for url in (f"/r/{built.hostile}", "/review",
                                           f"/m/{built.triage_hostile}")}
    for url, page in pages.items():
        assert page.status_code == 200, url
        html = page.text
        assert "<script" not in html and "<img src=x" not in html, url
        assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I)
        assert 'id="pwned"' not in html and "onerror=" not in html.replace("onerror=&#34;", "")
        assert page.headers["content-security-policy"] == security.PAGE_CSP
    assert "&lt;script&gt;document.title=" in pages[f"/r/{built.hostile}"].text
    base = f"/r/{built.hostile}/reply/1/a"
    for n in (1, 2):      # an .html and an .svg: downloads, whatever /view asks
        got = web.get(f"{base}/{n}/view")
        assert got.headers["content-type"] == "application/octet-stream"
        assert got.headers["content-disposition"].startswith("attachment;")
        assert "\n" not in got.headers["content-disposition"]


# --- safety ---------------------------------------------------------------------------------
def test_every_page_sends_the_security_headers(web, built):
    for url in ("/", "/review", "/drafts", f"/r/{built.unsure}", f"/m/{built.triage}",
                "/static/web.css", "/nope"):
        got = web.get(url)
        assert got.headers["x-content-type-options"] == "nosniff", url
        assert got.headers["cache-control"] == "no-store" or url.endswith(".css"), url
        assert "default-src 'none'" in got.headers["content-security-policy"], url
    assert "script-src" not in security.PAGE_CSP and "unsafe" not in security.PAGE_CSP


def test_gets_change_nothing(web, cfg, built):
    state = App.load(cfg).store.root

    def snapshot() -> dict[str, str]:
        return {str(p.relative_to(state)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(state.rglob("*")) if p.is_file() and p.name != ".lock"}

    before = snapshot()
    for url in ("/", f"/c/{CAMPAIGN}?state=overdue", "/review", "/drafts",
                f"/r/{built.unsure}", f"/r/{built.clarify}", f"/m/{built.triage}",
                f"/r/{built.unsure}/reply/1/a/1", f"/c/{CAMPAIGN}/download.csv",
                f"/c/{CAMPAIGN}/download.html", f"/r/{built.unsure}/mark"):
        web.get(url)
    assert snapshot() == before


def post_routes() -> list[str]:
    from foibot.web import actions, review

    return [r.path for r in (*review.routes, *actions.routes) if "POST" in (r.methods or ())]


def test_a_post_without_the_csrf_token_is_refused(web, cfg, built):
    before = events(cfg, built.unsure)
    paths = post_routes()
    assert {"/r/{ref}/mark", "/m/{id}/assign", "/r/{ref}/clarify", "/r/{ref}/record",
            "/r/{ref}/answer", "/r/{ref}/draft/{key}", "/r/{ref}/draft/{key}/send"} <= set(paths)
    for path in paths + ["/login"]:
        url = path.format(ref=built.unsure, id=built.triage, key="review")
        assert web.post(url, data={"kind": "not_held"}).status_code == 403, url
        assert web.post(url, data={"csrf": "0" * 64, "kind": "not_held"}).status_code == 403
    web.get("/")   # a session cookie, but another session's token
    stranger = client(cfg)
    token = csrf_of(stranger.get(f"/r/{built.unsure}").text)
    refused = web.post(f"/r/{built.unsure}/mark", data={"csrf": token, "kind": "not_held"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    other_site = web.post(f"/r/{built.unsure}/mark", headers={"origin": "http://evil.example"},
                          data={"csrf": csrf_of(web.get(f"/r/{built.unsure}").text),
                                "kind": "not_held"})
    assert other_site.status_code == 403
    multipart = web.post(f"/r/{built.unsure}/mark", files={"kind": ("x", b"not_held")},
                         data={"csrf": csrf_of(web.get(f"/r/{built.unsure}").text)})
    assert multipart.status_code == 415
    assert web.put(f"/r/{built.unsure}/mark").status_code == 405
    assert events(cfg, built.unsure) == before


def test_only_loopback_host_names_are_answered_without_a_token(cfg):
    rebound = TestClient(create_app(App.load(cfg), token=None), base_url="http://evil.example")
    assert rebound.get("/").status_code == 421
    for host in ("localhost:8040", "127.0.0.1", "[::1]:8040"):
        assert client(cfg).get("/", headers={"host": host}).status_code == 200, host


def test_with_a_token_every_request_needs_it(cfg, built):
    web = TestClient(create_app(App.load(cfg), token=TOKEN), base_url="http://foi.example",
                     follow_redirects=False)
    for url in ("/", f"/r/{built.unsure}", f"/r/{built.unsure}/reply/1/a/1",
                f"/c/{CAMPAIGN}/download.csv", "/static/web.css", "/nope"):
        denied = web.get(url)
        assert denied.status_code == 401, url
        assert denied.headers["www-authenticate"] == 'Bearer realm="foibot"'
        assert 'action="/login"' in denied.text and TOKEN not in denied.text
    assert web.post(f"/r/{built.unsure}/mark", data={"kind": "x"}).status_code == 401
    assert web.get("/", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert web.get("/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    # the login form: a wrong token is refused, the right one sets the cookie
    login = web.get("/login")
    wrong = web.post("/login", data={"csrf": csrf_of(login.text), "token": "nope"})
    assert wrong.status_code == 401
    ok = web.post("/login", data={"csrf": csrf_of(login.text), "token": TOKEN, "next": "/review"})
    assert ok.status_code == 303 and ok.headers["location"] == "/review"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
    assert web.get("/review").status_code == 200


def test_serve_refuses_to_listen_beyond_loopback_without_a_token(tmp_path, capsys, monkeypatch):
    cfg = write_config(tmp_path)
    r = cli(capsys, cfg, "serve", "--host", "0.0.0.0", "--port", "0")
    assert r.code == 2
    assert "serving on 0.0.0.0 (beyond this machine) needs an access token" in r.err
    cfg.write_text(cfg.read_text() + '[web]\ntoken_env = "FOIBOT_TEST_WEB_TOKEN"\n')
    monkeypatch.delenv("FOIBOT_TEST_WEB_TOKEN", raising=False)
    r = cli(capsys, cfg, "serve", "--host", "0.0.0.0", "--port", "0")
    assert r.code == 2 and "[web] token_env: environment variable" in r.err
    monkeypatch.setenv("FOIBOT_TEST_WEB_TOKEN", "short")
    r = cli(capsys, cfg, "serve", "--host", "0.0.0.0", "--port", "0")
    assert r.code == 2 and "at least 16 characters" in r.err
    both = tmp_path / "both.toml"
    both.write_text('[web]\ntoken_env = "A"\ntoken_command = "echo b"\n')
    with pytest.raises(ConfigError, match="token_env and token_command: choose one"):
        App.load(both)


def test_a_real_server_with_a_token(cfg, monkeypatch):
    import httpx

    from foibot.web import server

    cfg.write_text(cfg.read_text() + '[web]\ntoken_command = "echo ' + TOKEN + '"\n')
    running = server.start(App.load(cfg), host="127.0.0.1", port=0)
    try:
        assert httpx.get(running.url).status_code == 401
        ok = httpx.get(running.url, headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and "44" in ok.text
    finally:
        running.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(running.url, timeout=2)


# --- acting ---------------------------------------------------------------------------------
def test_mark_from_the_review_queue(web, cfg, built, capsys):
    queue = web.get("/review").text
    assert f'id="{built.unsure}"' in queue and "Confirm: unknown" not in queue
    done = post(web, f"/r/{built.unsure}/mark", "/review", kind="not_held", next="/review")
    assert done.status_code == 303 and done.headers["location"].startswith("/review?ok=marked")
    assert "Marked." in web.get(done.headers["location"]).text
    assert status_json(capsys, cfg)["summary"]["needs_review"] == 0
    assert App.load(cfg).store.examples.for_force("greater-manchester")      # it learned
    refused = post(web, f"/r/{built.unsure}/mark", "/review", kind="nonsense")
    assert refused.status_code == 400 and "kind &#39;nonsense&#39;: expected one of" in refused.text


def test_assign_a_triaged_message(web, cfg, built):
    page = web.get(f"/m/{built.triage}").text
    assert TRIAGE_TEXT.splitlines()[2][:40] in page
    likely = re.findall(r'name="reference" value="(FOI-\w+)"', page)
    assert likely[0] == built.refs["thames-valley"]
    assert "it mentions Thames Valley Police" in page
    done = post(web, f"/m/{built.triage}/assign", f"/m/{built.triage}",
                reference=built.refs["thames-valley"])
    assert done.status_code == 303
    assert done.headers["location"] == f"/r/{built.refs['thames-valley']}?ok=assigned"
    story = web.get(done.headers["location"]).text
    assert "Filed under this request." in story and "disclosure team at Thames Valley" in story
    assert f'href="/m/{built.triage}"' not in web.get("/review").text
    missing = post(web, f"/m/{built.triage}/assign", "/review", reference="")
    assert missing.status_code == 400


def test_dismiss_a_triaged_message(web, cfg, built):
    queue = web.get("/review").text
    assert f'action="/m/{built.triage}/dismiss"' in queue
    done = post(web, f"/m/{built.triage}/dismiss", "/review")
    assert done.status_code == 303 and done.headers["location"] == "/review?ok=dismissed#triage"
    after = web.get(done.headers["location"]).text
    assert "Set aside as for no request" in after and f'href="/m/{built.triage}"' not in after
    assert App.load(cfg).store.mail.get(built.triage).dismissed       # kept, set aside
    page = web.get(f"/m/{built.triage}").text        # still readable, and still fileable
    assert f'action="/m/{built.triage}/assign"' in page
    assert "Dismissed as for no request on" in page and "/dismiss" not in page


def test_clarify_shows_the_letter_then_sends_it_once(web, cfg, built, smtp_server, capsys):
    text = "I mean posts that led to a misconduct investigation, on any platform."
    preview = post(web, f"/r/{built.clarify}/clarify", f"/r/{built.clarify}", text=text)
    assert preview.status_code == 200 and "Send this clarification?" in preview.text
    assert text in preview.text and not smtp_server.messages
    token = csrf_of(preview.text)
    confirm = {"csrf": token, "text": text, "confirm": "yes"}
    sent = web.post(f"/r/{built.clarify}/clarify", data=confirm)
    assert sent.status_code == 303 and sent.headers["location"].endswith("?ok=clarified")
    again = web.post(f"/r/{built.clarify}/clarify", data=confirm)     # a double click
    assert again.status_code == 400 and "is not waiting on a clarification" in again.text
    assert len(smtp_server.messages) == 1
    assert text in parse(smtp_server.messages[0].data).text
    row = next(r for r in status_json(capsys, cfg)["requests"] if r["reference"] == built.clarify)
    assert row["state"] != "clarification"
    refused = post(web, f"/r/{built.spreadsheet}/clarify", f"/r/{built.spreadsheet}", text=text)
    assert refused.status_code == 400 and "is not waiting on a clarification" in refused.text


def test_figures_go_through_the_library_and_its_errors_are_shown(web, cfg, built):
    ref = built.spreadsheet
    ok = post(web, f"/r/{ref}/answer", f"/r/{ref}", figures="allegations=126\ndismissed=1,234\n")
    assert ok.status_code == 303
    answers = derive(App.load(cfg).campaigns.find(ref), today()).answers
    assert answers["allegations"].value == 126 and answers["dismissed"].value == 1234
    # what forces write is taken as written (the library's rules, as on the command line)
    ok = post(web, f"/r/{ref}/answer", f"/r/{ref}", figures="dismissed=<5\nretired=not held")
    assert ok.status_code == 303
    answers = derive(App.load(cfg).campaigns.find(ref), today()).answers
    assert (str(answers["dismissed"]), answers["dismissed"].kind) == ("<5", "suppressed")
    assert "<code>dismissed=&lt;5</code>" in web.get(f"/r/{ref}").text
    for value, why in (("-3", "cannot be negative"), ("lots", "the value must be a number")):
        refused = post(web, f"/r/{ref}/answer", f"/r/{ref}", figures=f"dismissed={value}")
        assert refused.status_code == 400
        assert why in refused.text
        assert f"dismissed={value}" in refused.text     # kept in the box


def test_record_an_event(web, cfg, built):
    ref = built.refs["thames-valley"]
    ok = post(web, f"/r/{ref}/record", f"/r/{ref}", event="extension_agreed", on="2027-02-01",
              until="2027-03-01", note="by phone", kind="")
    assert ok.status_code == 303 and events(cfg, ref)[-1] == "extension_agreed"
    future = post(web, f"/r/{ref}/record", f"/r/{ref}", event="fee_paid", on="2027-03-01")
    assert future.status_code == 400 and "that is in the future" in future.text
    assert post(web, f"/r/{ref}/record", f"/r/{ref}", event="").status_code == 400


def test_a_draft_is_edited_then_sent_once(web, cfg, built, smtp_server):
    ref = built.refs["north-wales"]
    listed = web.get("/drafts").text
    assert f'href="/r/{ref}/draft/review"' in listed
    page = web.get(f"/r/{ref}/draft/review").text
    assert "internal review" in page and 'id="body"' in page
    body = "Dear FOI team,\n\nPlease review how this request was handled.\n\nJane"
    saved = post(web, f"/r/{ref}/draft/review", f"/r/{ref}/draft/review", body=body)
    assert saved.status_code == 303 and "Draft saved." in web.get(saved.headers["location"]).text
    confirm = post(web, f"/r/{ref}/draft/review/send", f"/r/{ref}/draft/review")
    assert confirm.status_code == 200 and "Please review how this request" in confirm.text
    assert not smtp_server.messages
    data = {"csrf": csrf_of(confirm.text), "confirm": "yes", "anyway": ""}
    sent = web.post(f"/r/{ref}/draft/review/send", data=data)
    assert sent.status_code == 303 and sent.headers["location"] == f"/r/{ref}?ok=sent"
    again = web.post(f"/r/{ref}/draft/review/send", data=data)
    assert again.status_code == 409
    assert len(smtp_server.messages) == 1
    assert "Please review how this request was handled." in parse(smtp_server.messages[0].data).text
    edit_late = post(web, f"/r/{ref}/draft/review", f"/r/{ref}", body="changed")
    assert edit_late.status_code == 400 and "can no longer be edited" in edit_late.text


def test_exports_download_from_the_board(web, cfg):
    board = web.get("/").text
    app = App.load(cfg)
    expected = export.build(app, CAMPAIGN)
    for kind in ("csv", "json", "ics", "html"):
        assert f'href="/c/{CAMPAIGN}/download.{kind}"' in board
        got = web.get(f"/c/{CAMPAIGN}/download.{kind}")
        assert got.status_code == 200
        assert got.headers["content-disposition"].startswith("attachment;")
    assert web.get(f"/c/{CAMPAIGN}/download.csv").content == export.to_csv(expected)
    assert json.loads(web.get(f"/c/{CAMPAIGN}/download.json").content)["rows"] == \
        json.loads(export.json_bytes(expected))["rows"]
    assert web.get(f"/c/{CAMPAIGN}/download.ics").content.startswith(b"BEGIN:VCALENDAR")
    assert b"of 44 forces responded" in web.get(f"/c/{CAMPAIGN}/download.html").content
    assert web.get(f"/c/{CAMPAIGN}/download.exe").status_code == 404


def test_errors_are_one_line_pages(web):
    missing = web.get("/r/FOI-ZZZZZ")
    assert missing.status_code == 404 and "no such request: &#39;FOI-ZZZZZ&#39;" in missing.text
    assert "Traceback" not in missing.text
    assert web.get("/m/ffffffffffff").status_code == 404
    assert web.get("/no/such/page").status_code == 404


def test_the_clock_is_foibot_now(web, monkeypatch):
    monkeypatch.setenv("FOIBOT_NOW", "2027-03-01T09:00:00+00:00")
    assert "Mon 01 Mar 2027, Europe/London" in web.get("/").text


def test_the_view_sees_what_other_processes_write(web, cfg, built, capsys):
    before = web.get(f"/r/{built.refs['west-yorkshire']}").text
    assert 'id="state">overdue' in before
    r = cli(capsys, cfg, "record", built.refs["west-yorkshire"], "withdrawn", "--note", "no")
    assert r.code == 0, r.err
    assert 'id="state">withdrawn' in web.get(f"/r/{built.refs['west-yorkshire']}").text
    assert re.search(r'<dd data-key="withdrawn">1</dd>', web.get("/").text)
