"""The state dir's storage: journals, packs, the mail index, and the upgrade from schema 1."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from foibot.errors import StateError
from foibot.registry import Registry
from foibot.store import Source, Store
from foibot.store.journal import Journal
from foibot.store.mail import message_id_of

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def test_journal_appends_and_reads_incrementally(tmp_path):
    path = tmp_path / "j.jsonl"
    writer, reader = Journal(path), Journal(path)
    writer.append([{"n": 1}, {"n": 2}])
    assert reader.read_new() == (False, [{"n": 1}, {"n": 2}])
    assert reader.read_new() == (False, [])
    writer.append([{"n": 3}])                        # another process appends
    assert reader.read_new() == (False, [{"n": 3}])


def test_journal_reads_in_chunks_of_whole_records(tmp_path):
    path = tmp_path / "j.jsonl"
    records = [{"n": i, "pad": "x" * (10 if i != 5 else 500)} for i in range(12)]
    Journal(path).append(records)
    reader, chunks = Journal(path), []
    while True:
        _, got = reader.read_new(limit=100)
        if not got:
            break
        chunks.append(got)
    assert [r for chunk in chunks for r in chunk] == records
    assert len(chunks) >= 4           # the 500-byte record, over the limit, still comes back


def test_a_torn_last_line_is_ignored_then_cut_by_the_next_append(tmp_path):
    path = tmp_path / "j.jsonl"
    Journal(path).append([{"n": 1}])
    with open(path, "ab") as fh:                      # a crash in the middle of an append
        fh.write(b'{"n": 2, "da')
    assert Journal(path).read_all() == [{"n": 1}]
    Journal(path).append([{"n": 3}])
    assert Journal(path).read_all() == [{"n": 1}, {"n": 3}]
    assert path.read_bytes().count(b"\n") == 2


def test_a_corrupt_line_before_the_end_is_named_and_left_alone(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_bytes(b'{"n": 1}\n{"n": \n{"n": 3}\n')
    with pytest.raises(StateError, match=r"j.jsonl: line 2 is corrupt"):
        Journal(path).read_all()
    assert path.read_bytes() == b'{"n": 1}\n{"n": \n{"n": 3}\n'


@pytest.mark.parametrize("body, line", [
    (b'{"n": 1}\n{"n": 2}, {"n": 3}\n{"n": 4}\n', 2),      # two records on one line
    (b'{"n": 1}\n{"n": [2\n3]}\n{"n": 4}\n', 2),         # one record over two lines
])
def test_lines_that_would_read_as_valid_json_together_are_still_corrupt(tmp_path, body, line):
    """Lines are decoded in bulk for speed; that must not hide a line that is not one record."""
    path = tmp_path / "j.jsonl"
    path.write_bytes(body)
    with pytest.raises(StateError, match=rf"line {line} is corrupt"):
        Journal(path).read_all()


def test_appending_costs_the_same_at_any_size(tmp_path):
    """Recording one event writes one line: the file is never rewritten."""
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.append({"n": i, "pad": "x" * 50} for i in range(5000))
    inode, size = path.stat().st_ino, path.stat().st_size
    journal.append([{"n": 5000}])
    assert path.stat().st_ino == inode                   # the same file, appended to
    assert path.stat().st_size - size == len(b'{"n":5000}\n')


def test_mail_is_deduplicated_by_content_and_message_id(tmp_path):
    mail = Store(tmp_path).mail
    raw = b"Message-ID: <a@x>\r\nSubject: hi\r\n\r\nbody\r\n"
    relayed = b"X-Relayed: yes\r\n" + raw
    other = b"Message-ID: <b@x>\r\n\r\nother\r\n"
    first = mail.store_batch([(Source("INBOX", 7, 1), raw), (Source("INBOX", 7, 2), raw),
                              (Source("INBOX", 7, 3), relayed)], now=NOW)
    assert len(first.new) == 1 and first.duplicates == 2
    second = mail.store_batch([(Source("Police", 9, 1), relayed), (None, other)], now=NOW)
    assert len(second.new) == 1 and second.duplicates == 1
    messages = Store(tmp_path).mail.messages()
    assert [m.message_id for m in messages] == ["<a@x>", "<b@x>"]
    assert len(messages[0].sources) == 4                 # every place it was seen
    assert Store(tmp_path).mail.raw(messages[0]) == raw   # the bytes as first fetched


def test_pending_and_checkpoint(tmp_path):
    mail = Store(tmp_path).mail
    stored = mail.store_batch([(None, b"Message-ID: <%d@x>\r\n\r\n." % i) for i in range(3)],
                              now=NOW)
    assert [m.sha256 for m in mail.pending()] == [m.sha256 for m in stored.new]
    mail.record_interpretations([{"sha": stored.new[0].sha256, "kind": "unknown"}])
    assert len(mail.pending()) == 2
    mail.record_interpretations([{"sha": m.sha256, "kind": "unknown"} for m in stored.new[1:]])
    assert mail.pending() == []
    later = mail.store_batch([(None, b"Message-ID: <9@x>\r\n\r\n.")], now=NOW)
    assert [m.sha256 for m in Store(tmp_path).mail.pending()] == [later.new[0].sha256]


@pytest.mark.parametrize("head, expected", [
    (b"Message-ID: <a@b>\r\n\r\nMessage-ID: <body@b>", "<a@b>"),
    (b"message-id:\r\n  <folded@b>\r\nX: y\r\n\r\n", "<folded@b>"),
    (b"Subject: none\r\n\r\nMessage-ID: <in-body@b>", None),
])
def test_message_id_from_the_header_block_only(head, expected):
    assert message_id_of(head) == expected


def _table(rows):
    return {str(i + 1): row for i, row in enumerate(rows)}


def test_a_schema_1_state_dir_is_upgraded_without_loss(tmp_path):
    """A state dir written by the previous foibot (one TinyDB file per campaign, mail.json,
    service.json) opens with everything in place; the old files are kept as *.v1."""
    root = tmp_path / "state"
    (root / "campaigns").mkdir(parents=True)
    (root / "mail").mkdir()
    kent = Registry.from_settings().get("kent")
    request = {"reference": "FOI-7KQ2M", "campaign": "sm", "force": "kent", "name": kent.name,
               "nation": kent.nation, "regime": "foia", "email": kent.email,
               "email_source": "x"}
    events = [
        {"seq": 1, "request": "FOI-7KQ2M", "type": "created", "at": "2026-12-01T09:00:00+00:00",
         "data": {"force": "kent"}},
        {"seq": 2, "request": "FOI-7KQ2M", "type": "sending", "at": "2026-12-01T10:00:00+00:00",
         "data": {"key": "request", "message_id": "<m@x>", "path": "outbox/sm/FOI-7KQ2M.request.1.eml"}},
        {"seq": 3, "request": "FOI-7KQ2M", "type": "sent", "at": "2026-12-01T10:00:01+00:00",
         "data": {"key": "request", "message_id": "<m@x>", "response": "250 ok"}},
    ]
    (root / "campaigns" / "sm.json").write_text(json.dumps({
        "_meta": _table([{"schema": 1}]),
        "campaign": _table([{"name": "sm", "created": "2026-12-01T09:00:00+00:00",
                             "group": "default", "template": None, "variables": {"q": "x"}}]),
        "requests": _table([request]),
        "events": _table(events)}))
    (root / "outbox" / "sm").mkdir(parents=True)
    (root / "outbox" / "sm" / "FOI-7KQ2M.request.1.eml").write_bytes(b"the letter")
    raw = b"Message-ID: <r@kent>\r\n\r\nWe hold the information."
    sha = __import__("hashlib").sha256(raw).hexdigest()
    (root / "mail" / f"{sha}.eml").write_bytes(raw)
    (root / "mail.json").write_text(json.dumps({
        "_meta": _table([{"schema": 1}]),
        "messages": _table([{"sha256": sha, "message_id": "<r@kent>", "size": len(raw),
                             "received": "2026-12-02T10:00:00+00:00", "status": "triage",
                             "sources": [{"folder": "INBOX", "uidvalidity": 5, "uid": 9}],
                             "kind": "unknown", "from": "foi@kent.police.uk",
                             "subject": "x", "match": "no match"}]),
        "cursors": _table([{"account": "a", "folder": "INBOX", "uidvalidity": 5,
                            "last_uid": 9}]),
        "senders": _table([{"address": "x@kent.police.uk", "force": "kent"}])}))
    (root / "service.json").write_text(json.dumps({
        "_meta": _table([{"schema": 1}]),
        "jobs": _table([{"name": "poll", "last_run": "2026-12-02T10:00:00+00:00",
                         "status": "ok"}]),
        "notified": _table([{"id": "reply:FOI-7KQ2M:abc", "at": "2026-12-02T10:00:00+00:00"}]),
        "outbox": _table([])}))

    store = Store(root)
    (req,) = store.campaigns.requests("sm")
    assert [e.type for e in req.events] == ["created", "sending", "sent"]
    assert store.campaigns.get("sm").variables == {"q": "x"}
    assert store.campaigns.letter_bytes("sm", req.events[1].data) == b"the letter"
    (message,) = store.mail.messages()
    assert store.mail.raw(message) == raw and message.interpreted["kind"] == "unknown"
    assert store.mail.pending() == []                      # interpreted before the upgrade
    assert store.mail.cursor("a", "INBOX").last_uid == 9
    assert store.mail.learned_senders() == {"x@kent.police.uk": "kent"}
    assert set(store.service.last_runs()) == {"poll"}
    assert store.service.enqueue([("reply:FOI-7KQ2M:abc", {}, NOW)], queue=True, now=NOW) == 0
    for old in ("campaigns/sm.json", "mail.json", "service.json"):
        assert not (root / old).exists() and (root / (old + ".v1")).exists()
    # and it keeps working: a new event is one appended line
    store.campaigns.append_one("sm", "FOI-7KQ2M", "withdrawn", {}, now=NOW)
    assert Store(root).campaigns.find("foi-7kq2m").events[-1].type == "withdrawn"


def test_events_of_another_process_are_seen(tmp_path):
    first, second = Store(tmp_path), Store(tmp_path)
    forces = Registry.from_settings().group("default")[:2]
    first.campaigns.create("c", forces=forces, group="default", template=None, variables={},
                           now=NOW)
    refs = [r.reference for r in second.campaigns.requests("c")]
    first.campaigns.append_one("c", refs[0], "withdrawn", {}, now=NOW)
    assert [e.type for e in second.campaigns.find(refs[0]).events] == ["created", "withdrawn"]
    seqs = [e.seq for r in Store(tmp_path).campaigns.requests("c") for e in r.events]
    assert sorted(seqs) == [1, 2, 3]


def test_no_file_is_opened_outside_the_store(tmp_path):
    """Every module builds state paths through the store (the one owner of the state dir)."""
    package = Path(__file__).resolve().parents[1] / "foibot"
    offenders = []
    for path in package.rglob("*.py"):
        if "store" in path.relative_to(package).parts:
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("store.root /", "TinyDB(", "db.table(", ".jsonl"):
            if needle in text:
                offenders.append(f"{path.relative_to(package)}: {needle}")
    assert offenders == []


def test_state_files_are_never_world_writable(tmp_path):
    store = Store(tmp_path)
    store.mail.store_batch([(None, b"Message-ID: <a@x>\r\n\r\nx")], now=NOW)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert not os.stat(path).st_mode & 0o002, path


def test_checkpoint_follows_the_oldest_waiting_message(tmp_path):
    """A poll stores the next batch before it files this one: recording this batch must
    still move the checkpoint, or every batch re-reads the whole poll (quadratic)."""
    mail = Store(tmp_path).mail
    first = mail.store_batch([(None, b"Message-ID: <%d@x>\r\n\r\n." % i) for i in range(3)],
                             now=NOW)
    second = mail.store_batch([(None, b"Message-ID: <%d@y>\r\n\r\n." % i) for i in range(2)],
                              now=NOW)
    mail.record_interpretations([{"sha": m.sha256, "kind": "unknown"} for m in first.new])
    waiting = mail.pending()
    assert [m.sha256 for m in waiting] == [m.sha256 for m in second.new]
    assert mail._checkpoint() == waiting[0].offset > 0
    index = (tmp_path / "mail" / "index.jsonl").read_bytes()
    assert index[waiting[0].offset:].startswith(b'{"t":"m","sha":"' + second.new[0].sha256.encode())
    mail.record_interpretations([{"sha": second.new[1].sha256, "kind": "unknown"}])
    assert [m.sha256 for m in Store(tmp_path).mail.pending()] == [second.new[0].sha256]


def test_a_brief_view_keeps_what_filing_needs_and_nothing_more(tmp_path):
    store = Store(tmp_path)
    forces = Registry.from_settings().group("default")[:1]
    store.campaigns.create("c", forces=forces, group="default", template=None, variables={},
                           now=NOW)
    ref = store.campaigns.requests("c")[0].reference
    data = {"message": "a" * 64, "kind": "bounce", "bounce_reason": "no such user",
            "evidence": ["bounce: \"550 5.1.1\""], "subject": "Undeliverable", "from": "x@y"}
    store.campaigns.append_one("c", ref, "reply", data, now=NOW)
    brief = Store(tmp_path).campaigns.requests("c", brief=True)[0].events[-1].data
    assert brief == {"message": "a" * 64, "kind": "bounce", "bounce_reason": "no such user"}
    assert Store(tmp_path).campaigns.requests("c")[0].events[-1].data == data
    # filing through a brief view leaves the full events whole
    store.campaigns.transact("c", lambda view: [(ref, "reply", dict(data, message="b" * 64))],
                             now=NOW, brief=True)
    full = [e.data for e in store.campaigns.requests("c")[0].events if e.type == "reply"]
    assert [d["subject"] for d in full] == ["Undeliverable", "Undeliverable"]


def _campaign(tmp_path, forces):
    store = Store(tmp_path)
    store.campaigns.create("c", forces=Registry.from_settings().group("default")[:forces],
                           group="default", template=None, variables={}, now=NOW)
    return store, [r.reference for r in store.campaigns.requests("c")]


def _brief_state(store, name):
    view = store.campaigns.view(name, brief=True)
    return ({ref: [e.seq for e in evs] for ref, evs in view.events.items()}, view.last_seq,
            view.brief.filed, view.brief.force_refs)


def _replies(store, name, refs, start, count, *, bounce_every=0):
    store.campaigns.append(name, [
        (refs[i % len(refs)], "reply", {
            "message": f"{i:064x}", "kind": "bounce" if bounce_every and i % bounce_every == 0
            else "successful", "force_reference": f"FOI {i}/26" if i % 3 == 0 else None,
            "evidence": ["disclosed: \"x\""] * 4, "subject": "RE: request " * 5})
        for i in range(start, start + count)], now=NOW)


def test_a_brief_view_folds_replies_and_keeps_bounces(tmp_path):
    store, refs = _campaign(tmp_path, 2)
    _replies(store, "c", refs, 0, 6, bounce_every=4)
    view = Store(tmp_path).campaigns.view("c", brief=True)
    replies = [e for evs in view.events.values() for e in evs if e.type == "reply"]
    assert [e.data["message"] for e in replies] == [f"{0:064x}", f"{4:064x}"]   # bounces
    assert view.brief.filed == {refs[0]: {f"{i:064x}" for i in (0, 2, 4)},
                                refs[1]: {f"{i:064x}" for i in (1, 3, 5)}}
    assert view.brief.force_refs == {"FOI 0/26": refs[0], "FOI 3/26": refs[1]}
    assert view.last_seq == 8
    full = Store(tmp_path).campaigns.requests("c")
    assert sum(e.type == "reply" for r in full for e in r.events) == 6


def test_a_brief_snapshot_gives_the_view_the_journal_gives(tmp_path, monkeypatch):
    from foibot.store import brief

    monkeypatch.setattr(brief, "SNAPSHOT_EVERY", 2000)
    store, refs = _campaign(tmp_path, 3)
    _replies(store, "c", refs, 0, 40, bounce_every=7)
    snapshot = tmp_path / "campaigns" / "c" / "brief.cache"
    first = _brief_state(Store(tmp_path), "c")
    assert snapshot.exists()
    _replies(store, "c", refs, 40, 5)             # a tail past the snapshot
    folded = []
    fold = brief.fold
    monkeypatch.setattr(brief, "fold", lambda doc, b: folded.append(doc) or fold(doc, b))
    resumed = _brief_state(Store(tmp_path), "c")
    assert len(folded) == 5                       # only the tail was read
    monkeypatch.setattr(brief, "fold", fold)
    snapshot.unlink()
    rebuilt = _brief_state(Store(tmp_path), "c")
    assert resumed == rebuilt and resumed != first
    assert len(rebuilt[2][refs[0]]) == 15 and rebuilt[1] == 3 + 45


def test_a_brief_snapshot_of_another_journal_is_ignored(tmp_path, monkeypatch):
    from foibot.store import brief

    monkeypatch.setattr(brief, "SNAPSHOT_EVERY", 1)
    store, refs = _campaign(tmp_path, 2)
    journal = tmp_path / "campaigns" / "c" / "events.jsonl"
    before = journal.read_bytes()
    _replies(store, "c", refs, 0, 10)
    _brief_state(Store(tmp_path), "c")            # writes a snapshot of 10 replies
    # a backup copied over the journal in place: same file, other content, longer
    with open(journal, "r+b") as fh:
        fh.truncate(0)
        fh.write(before)
    _replies(Store(tmp_path), "c", refs, 100, 12)
    after = _brief_state(Store(tmp_path), "c")
    assert sorted(after[2][refs[0]]) == sorted(f"{i:064x}" for i in range(100, 112, 2))
    (tmp_path / "campaigns" / "c" / "brief.cache").write_text("{not json")
    assert _brief_state(Store(tmp_path), "c") == after


def test_a_poll_leaves_the_brief_snapshot_up_to_date(tmp_path, monkeypatch):
    """Filing batch by batch never rewrites the snapshot (that would cost the snapshot's
    size per batch); the poll's end does, once, so the next poll reads no journal."""
    from foibot.store import brief

    monkeypatch.setattr(brief, "SNAPSHOT_EVERY", 1000)
    store, refs = _campaign(tmp_path, 2)
    snapshot = tmp_path / "campaigns" / "c" / "brief.cache"
    store.campaigns.view("c", brief=True)
    for i in range(8):                            # small batches, as a poll files them
        store.campaigns.transact("c", lambda view, i=i: [
            (refs[i % 2], "reply", {"message": f"{i:064x}", "kind": "successful",
                                    "evidence": ["x" * 200]})], now=NOW, brief=True)
    assert not snapshot.exists()
    store.campaigns.save_snapshots()
    folded = []
    fold = brief.fold
    monkeypatch.setattr(brief, "fold", lambda doc, b: folded.append(doc) or fold(doc, b))
    view = Store(tmp_path).campaigns.view("c", brief=True)
    assert folded == [] and len(view.brief.filed[refs[0]]) == 4


@pytest.mark.parametrize("extra", [0, 80])      # a small batch searches the cache in place
def test_a_new_process_knows_every_stored_message_from_the_key_cache(tmp_path, extra):
    first = Store(tmp_path).mail
    raws = [b"Message-ID: <%d@x>\r\n\r\nbody %d" % (i, i) for i in range(300)]
    stored = first.store_batch([(None, raw) for raw in raws], now=NOW)
    assert (tmp_path / "mail" / "keys.cache").stat().st_size == 300 * 81
    later = Store(tmp_path).mail
    fresh = [b"Message-ID: <new%d@x>\r\n\r\nnew" % i for i in range(extra)]
    again = later.store_batch(
        [(Source("INBOX", 1, 1), raws[7]),                            # the same bytes
         (Source("INBOX", 1, 2), b"X-Relayed: 1\r\n" + raws[123]),    # the same Message-ID
         (None, b"Message-ID: <0@y>\r\n\r\nnot stored")] + [(None, r) for r in fresh],
        now=NOW)
    assert again.duplicates == 2 and len(again.new) == 1 + extra
    assert bool(later._cached) == (extra == 0)         # searched in place, or spread out
    index = Store(tmp_path).mail.messages()
    seen_again = [m.sha256 for m in index if m.sources]
    assert seen_again == [stored.new[7].sha256, stored.new[123].sha256]
    assert later.count() == Store(tmp_path).mail.count() == 301 + extra


def test_a_process_spreads_the_key_cache_after_its_first_few_messages(tmp_path):
    from foibot.store.mail import SEARCH_IN_PLACE

    Store(tmp_path).mail.store_batch(
        [(None, b"Message-ID: <%d@x>\r\n\r\nbody %d" % (i, i)) for i in range(50)], now=NOW)
    later = Store(tmp_path).mail
    for i in range(SEARCH_IN_PLACE + 1):
        stored = later.store_batch([(None, b"Message-ID: <%d@x>\r\n\r\nagain" % i),
                                    (None, b"Message-ID: <n%d@x>\r\n\r\nnew" % i)]
                                   if i == 0 else
                                   [(None, b"Message-ID: <n%d@x>\r\n\r\nnew" % i)], now=NOW)
        assert len(stored.new) == 1 and stored.duplicates == (1 if i == 0 else 0)
        # two messages, then one at a time: in place while the budget lasts, then spread once
        assert bool(later._cached) == (i < SEARCH_IN_PLACE - 1)
    assert not later._cached
    again = later.store_batch([(None, b"Message-ID: <3@x>\r\n\r\nsame id"),
                               (None, b"Message-ID: <n0@x>\r\n\r\nnew")], now=NOW)
    assert again.duplicates == 2 and not again.new
