"""Webhook notifications against a real local HTTP server: queued first, delivered once."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from foibot.service import notify
from foibot.service import schedule as scheduler
from foibot.app import App
from foibot.registry import Registry
from tests.helpers import QUESTION, cli, write_config
from tests.replies import ACK, CLARIFY, REFUSAL, reply_to
from tests.webhook_server import WebhookServer, webhook_server_fixture  # noqa: F401 (fixture)

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def hooks_config(tmp_path, *hooks: tuple[str, str], retries: int = 2, timeout: float = 2,
                 **servers) -> App:
    rows = ", ".join(f'{{ url = "{url}", format = "{fmt}" }}' for url, fmt in hooks)
    extra = f"[notify]\nwebhooks = [{rows}]\ntimeout_seconds = {timeout}\nretries = {retries}\n"
    return App.load(write_config(tmp_path, extra=extra, **servers))


def note(ref: str = "FOI-7KQ2M", text: str = "Kent Police answered FOI-7KQ2M: rejected (s.12)",
         **kw) -> notify.Notification:
    values = {"id": f"reply:{ref}:abc", "event": "reply", "campaign": "sm", "reference": ref,
              "force": "kent", "force_name": "Kent Police", "kind": "rejected", "at": AT,
              "text": text}
    values.update(kw)
    return notify.Notification(**values)


def test_formats_slack_mattermost_and_json(tmp_path, webhook_server):
    app = hooks_config(tmp_path, (webhook_server.url("/slack"), "slack"),
                       (webhook_server.url("/mm"), "mattermost"),
                       (webhook_server.url("/json"), "json"))
    text = "Kent Police answered FOI-7KQ2M: rejected (s.12) <b> & co"
    assert notify.enqueue(app, [note(text=text)]) == 1
    report = notify.deliver(app)
    assert (report.delivered, report.pending, report.failed) == (3, 0, {})
    assert webhook_server.delivered("/slack") == [
        {"text": "Kent Police answered FOI-7KQ2M: rejected (s.12) &lt;b&gt; &amp; co"}]
    assert webhook_server.delivered("/mm") == [{"text": text}]
    assert webhook_server.delivered("/json") == [{
        "id": "reply:FOI-7KQ2M:abc", "event": "reply", "campaign": "sm",
        "reference": "FOI-7KQ2M", "force": "kent", "force_name": "Kent Police",
        "kind": "rejected", "at": "2026-12-01T09:30:00+00:00", "text": text}]


def test_500_then_200_is_delivered_once(tmp_path, webhook_server):
    app = hooks_config(tmp_path, (webhook_server.url(), "json"))
    notify.enqueue(app, [note()])
    webhook_server.fail_next(1)
    report = notify.deliver(app)
    assert report.delivered == 1 and report.pending == 0
    assert [p.status for p in webhook_server.posts] == [500, 200]
    assert notify.deliver(app).delivered == 0
    assert len(webhook_server.posts) == 2 and len(webhook_server.delivered()) == 1


def test_server_down_keeps_it_queued_then_delivers_once(tmp_path, webhook_server):
    app = hooks_config(tmp_path, (webhook_server.url(), "slack"), retries=1)
    webhook_server.stop()
    notify.enqueue(app, [note(), note(ref="FOI-22222", id="reply:FOI-22222:x")])
    report = notify.deliver(app)
    assert report.delivered == 0 and report.pending == 2
    assert "ConnectError" in report.failed[f"http://127.0.0.1:{webhook_server.port}"]
    queued = notify.pending(app)
    # one failure marks the webhook dead for the run: the second notification was not tried
    assert [d["attempts"] for d in queued] == [1, 0]
    webhook_server.start()
    report = notify.deliver(app)
    assert report.delivered == 2 and report.pending == 0
    notify.deliver(app)
    assert len(webhook_server.delivered()) == 2


def test_one_dead_webhook_does_not_repeat_the_live_one(tmp_path, webhook_server):
    dead = WebhookServer().start()
    dead.stop()
    app = hooks_config(tmp_path, (webhook_server.url("/live"), "json"), (dead.url("/dead"), "json"),
                       retries=0)
    notify.enqueue(app, [note()])
    assert notify.deliver(app).pending == 1
    assert notify.deliver(app).pending == 1
    assert len(webhook_server.delivered("/live")) == 1      # not again while the other is down
    dead.start()
    try:
        assert notify.deliver(app).pending == 0
        assert len(dead.delivered("/dead")) == 1
        assert len(webhook_server.delivered("/live")) == 1
    finally:
        dead.stop()


def test_client_errors_are_not_retried_in_the_run_but_stay_queued(tmp_path, webhook_server):
    app = hooks_config(tmp_path, (webhook_server.url(), "json"), retries=3)
    notify.enqueue(app, [note()])
    webhook_server.fail_next(1, status=404)
    report = notify.deliver(app)
    assert len(webhook_server.posts) == 1 and report.pending == 1
    assert report.failed == {f"http://127.0.0.1:{webhook_server.port}":
                             f"http://127.0.0.1:{webhook_server.port}: HTTP 404"}
    assert notify.deliver(app).pending == 0


def test_a_hanging_webhook_times_out_and_keeps_the_event(tmp_path, webhook_server):
    app = hooks_config(tmp_path, (webhook_server.url(), "json"), retries=1, timeout=0.2)
    notify.enqueue(app, [note()])
    webhook_server.delay = 2.0
    started = time.monotonic()
    report = notify.deliver(app)
    assert time.monotonic() - started < 1.5
    assert report.pending == 1 and "Timeout" in next(iter(report.failed.values()))
    webhook_server.delay = 0
    assert notify.deliver(app).pending == 0
    assert len(webhook_server.delivered()) >= 1


def test_each_notification_is_produced_once(tmp_path, webhook_server):
    app = hooks_config(tmp_path, (webhook_server.url(), "json"))
    assert notify.enqueue(app, [note(), note()]) == 1
    notify.deliver(app)
    assert notify.enqueue(app, [note()]) == 0
    assert notify.pending(app) == []
    assert len(webhook_server.delivered()) == 1


def test_without_webhooks_nothing_is_queued(tmp_path):
    app = App.load(write_config(tmp_path))
    assert notify.enqueue(app, [note()]) == 1
    assert notify.pending(app) == []
    assert notify.deliver(app).delivered == 0


def test_secret_url_path_stays_out_of_state_and_messages(tmp_path, webhook_server):
    secret = webhook_server.url("/services/T000/B000/s3cr3t")
    app = hooks_config(tmp_path, (secret, "slack"), retries=0)
    webhook_server.fail_next(1)
    notify.enqueue(app, [note()])
    report = notify.deliver(app)
    assert "s3cr3t" not in str(report.failed)
    for path in app.store.root.rglob("*"):
        if path.is_file():
            assert b"s3cr3t" not in path.read_bytes(), path


def small_campaign_config(tmp_path, smtp_server, pymap_server, extra: str = "") -> App:
    keep = {"kent", "essex", "dorset", "surrey"}
    exclude = [f.id for f in Registry.from_settings().group("all") if f.id not in keep]
    extra = "[forces]\nexclude = [" + ", ".join(f'"{x}"' for x in exclude) + "]\n" + extra
    return App.load(write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                                 imap=(pymap_server.host, pymap_server.port,
                                       pymap_server.username, pymap_server.password),
                                 extra=extra))


def test_a_poll_that_files_replies_creates_notifications(tmp_path, capsys, smtp_server,
                                                         pymap_server, webhook_server):
    app = small_campaign_config(
        tmp_path, smtp_server, pymap_server,
        f'[notify]\nwebhooks = [{{ url = "{webhook_server.url()}", format = "slack" }}]\n')
    cfg = str(app.config.path)
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "send", "sm").code == 0
    reqs = {r.force.id: r for r in App.load(cfg).campaigns.requests("sm")}
    pymap_server.deliver(reply_to(reqs["kent"], REFUSAL))
    pymap_server.deliver(reply_to(reqs["surrey"], CLARIFY))
    pymap_server.deliver(reply_to(reqs["essex"], ACK.format(day="1 December 2026")))
    result = scheduler.run_job(app, "poll")
    assert result.status == "ok" and result.fields["matched"] == 3
    assert result.fields["news"] == 2                        # the acknowledgement is not news
    texts = sorted(d["notification"]["text"] for d in notify.pending(app))
    assert texts == [f"Kent Police answered {reqs['kent'].reference}: rejected (s.12)",
                     f"Surrey Police asked for clarification of {reqs['surrey'].reference}"]
    assert scheduler.run_job(app, "notify").fields == {"delivered": 2, "pending": 0}
    assert sorted(b["text"] for b in webhook_server.delivered()) == texts
    # polling again files nothing new and tells nobody twice
    assert scheduler.run_job(app, "poll").fields["news"] == 0


def test_notify_test_command(tmp_path, capsys, webhook_server):
    dead = f"http://127.0.0.1:{webhook_server.port}/x"
    app = hooks_config(tmp_path, (webhook_server.url(), "mattermost"), retries=0)
    r = cli(capsys, str(app.config.path), "notify-test")
    assert r.code == 0 and r.out.startswith("ok ")
    assert webhook_server.delivered() == [{"text": "foibot test notification: this webhook works"}]
    webhook_server.stop()
    app = hooks_config(tmp_path, (dead, "json"), retries=0)
    r = cli(capsys, str(app.config.path), "notify-test")
    assert r.code == 1 and "failed" in r.out and "/x" not in r.out
    r = cli(capsys, str(write_config(tmp_path)), "notify-test")
    assert r.code == 2 and "none configured" in r.err


@pytest.mark.parametrize("data, text", [
    ({"kind": "successful", "message": "m"}, "Kent Police answered FOI-7KQ2M: successful"),
    ({"kind": "not_held", "message": "m"}, "Kent Police answered FOI-7KQ2M: information not held"),
    ({"kind": "bounce", "message": "m", "bounce_reason": "550 5.1.1 User unknown"},
     "The letter to Kent Police for FOI-7KQ2M bounced: 550 5.1.1 User unknown"),
    ({"kind": "acknowledgement", "message": "m"}, None),
    ({"kind": "auto_reply", "message": "m"}, None),
])
def test_which_replies_are_news(data, text):
    from foibot.model import Request
    request = Request("FOI-7KQ2M", "sm", Registry.from_settings().forces["kent"])
    got = notify.from_reply(request, data, AT)
    assert (got.text if got else None) == text


def test_a_reply_filed_by_a_process_that_died_is_still_news(tmp_path, capsys, smtp_server,
                                                            pymap_server, webhook_server):
    app = small_campaign_config(
        tmp_path, smtp_server, pymap_server,
        f'[notify]\nwebhooks = [{{ url = "{webhook_server.url()}", format = "json" }}]\n')
    cfg = str(app.config.path)
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "send", "sm").code == 0
    reqs = {r.force.id: r for r in App.load(cfg).campaigns.requests("sm")}
    pymap_server.deliver(reply_to(reqs["kent"], REFUSAL))
    # `foibot poll` files the reply, but no notification is queued by it (as if the service
    # had died between filing and queuing): the next poll job finds the news in the log
    assert cli(capsys, cfg, "poll").out.startswith("1 new: 1 matched")
    assert notify.pending(app) == []
    assert scheduler.run_job(app, "poll").fields["news"] == 1
    assert scheduler.run_job(app, "notify").fields == {"delivered": 1, "pending": 0}
    assert scheduler.run_job(app, "poll").fields["news"] == 0
    assert [b["event"] for b in webhook_server.delivered()] == ["reply"]
