"""One request's story, for ``foibot show`` and the report: every event, explained.

The story is told as of "today" (``FOIBOT_NOW`` moves it): events recorded after it are not
shown, and events are in the order they happened, which is not always the order foibot heard
of them (a reply's Date header, a day given with ``record --on``).

``show`` and the web view give everything foibot knows (server replies, Message-IDs, the
classifier's evidence); :func:`plain` says the same events in words an editor reads, for the
report.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from foibot.app import App
from foibot.model import Event, Request
from foibot.rules.answers import from_event
from foibot.rules.status import RequestStatus, derive
from foibot.timeutil import LONDON, from_iso, london, london_date, short_day


def describe(event_type: str, data: dict[str, Any]) -> str:
    key = data.get("key", "")
    if event_type == "created":
        return f"request created for {data.get('email') or 'no known address'}"
    if event_type == "sending":
        return f"sending {key} to {data.get('to')} ({data.get('message_id')})"
    if event_type == "sent":
        return f"sent {key}: {data.get('response', '')}"
    if event_type == "send_failed":
        kind = "rejected" if data.get("permanent") else "temporary failure"
        return f"{key} {kind}: {data.get('response', '')}"
    if event_type == "reply":
        text = f"reply: {data.get('kind')} from {data.get('from')} — {data.get('subject')!r}"
        if data.get("sections"):
            text += f"; sections {', '.join(data['sections'])}"
        if data.get("force_reference"):
            text += f"; their ref {data['force_reference']}"
        if data.get("extension_until"):
            text += f"; extended to {data['extension_until']}"
        if data.get("stated_due"):
            text += f"; they say due {data['stated_due']}"
        if data.get("failed_recipient"):
            text += f"; failed: {data['failed_recipient']} ({data.get('bounce_reason')})"
        if data.get("needs_review"):
            text += f"; foibot is not sure ({data.get('confidence', 0):.2f}): needs review"
        return text
    if event_type == "marked":
        return f"marked {data.get('kind')} by the user {data.get('note') or ''}".strip()
    if event_type == "answer":
        return "answers: " + ", ".join(f"{k}={v}" for k, v in from_event(data).items())
    if event_type == "draft":
        return f"drafted {data.get('kind')}: {data.get('path')}"
    extra = " ".join(f"{k}={v}" for k, v in data.items() if v)
    return f"{event_type.replace('_', ' ')} {extra}".strip()


def happened(event: Event) -> datetime:
    """When an event happened: a reply at its Date header, a recorded event on the day given
    with ``--on`` (noon in London), anything else when foibot recorded it."""
    raw = event.data.get("date") if event.type in ("reply", "reply_by_post") else None
    if raw:
        try:
            when = from_iso(str(raw))
            if when.tzinfo is not None:
                return when
        except ValueError:
            pass
    on = event.data.get("on")
    if on:
        try:
            return datetime.combine(date.fromisoformat(str(on)), time(12, 0), LONDON)
        except ValueError:
            pass
    return event.at


def events_until(request: Request, today: date) -> list[Event]:
    """The events recorded by the end of ``today``, in the order they happened."""
    seen = [e for e in request.events if london_date(e.at) <= today]
    return sorted(seen, key=lambda e: (happened(e), e.seq))


_LETTERS = {"request": "Request sent", "review": "Internal review requested",
            "ico": "Complaint sent to the Information Commissioner",
            "sic": "Application sent to the Scottish Information Commissioner"}
_RECORDED = {"clarification_sent": "Clarification sent", "fee_paid": "Fee paid",
             "withdrawn": "Request withdrawn", "review_requested": "Internal review requested",
             "contest": "Answer contested"}


def _day(value: Any) -> str:
    """``2026-12-31`` as ``31 Dec 2026`` (anything else as it is)."""
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return short_day(day)


def _letter(key: str) -> str:
    if key.startswith("chaser-"):
        return f"Chaser {key.removeprefix('chaser-')} sent"
    if key.startswith("clarify"):
        return "Clarification sent"
    return _LETTERS.get(key, f"{key.replace('_', ' ').capitalize()} sent")


def plain(event_type: str, data: dict[str, Any]) -> str | None:
    """An event as an editor reads it: what happened, without server replies, Message-IDs,
    file paths or the classifier's evidence; None for bookkeeping nobody needs to see.

    >>> plain("sent", {"key": "chaser-2", "response": "250 2.0.0 OK: queued"})
    'Chaser 2 sent'
    >>> plain("reply", {"kind": "partially_successful", "sections": ["40(2)"],
    ...                 "subject": "RE: FOI", "message_id": "<x@y>"})
    'Reply: partially successful (sections 40(2)): “RE: FOI”'
    """
    key = str(data.get("key", ""))
    if event_type == "sent":
        return _letter(key)
    if event_type == "send_failed":
        what = _letter(key).removesuffix(" sent").lower()
        return (f"Could not deliver the {what}" if data.get("permanent")
                else f"Delivery of the {what} delayed; foibot tries again")
    if event_type == "reply":
        kind = str(data.get("kind") or "unknown")
        if kind == "bounce":
            return "Our letter bounced: it did not reach the force"
        if kind == "auto_reply":
            return "Automatic reply"
        text = f"Reply: {kind.replace('_', ' ')}"
        if data.get("sections"):
            text += f" (sections {', '.join(data['sections'])})"
        if data.get("subject"):
            text += f": “{data['subject']}”"
        if data.get("extension_until"):
            text += f"; extended to {_day(data['extension_until'])}"
        if data.get("stated_due"):
            text += f"; the force gives {_day(data['stated_due'])} as its due date"
        if data.get("needs_review"):
            text += " (not yet checked by a person)"
        return text
    if event_type == "reply_by_post":
        return f"Reply by post: {str(data.get('kind') or 'successful').replace('_', ' ')}"
    if event_type == "marked":
        return f"Checked by a person: {str(data.get('kind')).replace('_', ' ')}"
    if event_type == "answer":
        figures = from_event(data)
        return "Figures recorded: " + ", ".join(f"{k} {v}" for k, v in figures.items())
    if event_type == "draft":
        return f"{str(data.get('kind') or 'letter').replace('_', ' ').capitalize()} drafted"
    if event_type == "extension_agreed":
        return "Extension agreed" + (f" to {_day(data['until'])}" if data.get("until") else "")
    if event_type == "address_changed":
        return f"Address changed to {data.get('email')}"
    if event_type == "force_reference":
        return f"Their reference: {data.get('reference')}"
    if event_type in _RECORDED:
        note = f": {data['note']}" if data.get("note") else ""
        return _RECORDED[event_type] + note
    return None


def build(app: App, request: Request, today: date, *,
          status: RequestStatus | None = None) -> dict[str, Any]:
    """``foibot show --json``: where the request stands on ``today`` and its story so far.

    ``status`` is the request's already derived on ``today`` (the board has it)."""
    st = status if status is not None else derive(request, today)
    # replies are numbered in the order they were filed, as `foibot read --reply N` numbers them
    numbers = {e.seq: n for n, e in enumerate((e for e in request.events if e.type == "reply"),
                                              start=1)}
    return {
        **st.as_dict(),
        "email": request.email,
        "deadline_explanation": list(st.deadline.explain()) if st.deadline else [],
        "stated_note": st.stated_note,
        "review_due": (st.review_deadline.due.isoformat()
                       if st.review_deadline and st.review_deadline.due else None),
        "events": [
            {"seq": e.seq, "at": london(e.at).isoformat(timespec="minutes"),
             "happened": london(happened(e)).isoformat(timespec="minutes"), "type": e.type,
             "text": describe(e.type, e.data), "plain": plain(e.type, e.data),
             "evidence": e.data.get("evidence", []) if e.type == "reply" else [],
             "reply": numbers.get(e.seq)}
            for e in events_until(request, today)
        ],
    }


def story(request: Request, today: date) -> list[dict[str, str]]:
    """What happened, as an editor reads it (the report's timeline): London time it
    happened, the event's type and its plain words; bookkeeping left out."""
    found = []
    for event in events_until(request, today):
        words = plain(event.type, event.data)
        if words:
            found.append({"at": london(happened(event)).isoformat(timespec="minutes")[:16]
                          .replace("T", " "), "type": event.type, "text": words})
    return found


def render(view: dict[str, Any]) -> list[str]:
    lines = [
        f"{view['reference']}  {view['force_name']} ({view['regime'].upper()})  "
        f"campaign {view['campaign']}",
        f"state: {view['state']}   next: {view['next_action']}",
        f"sent: {view['sent'] or '-'}   due: {view['due'] or '-'}"
        + (f"   force's date: {view['stated_due']}" if view.get("stated_due") else ""),
    ]
    if view.get("stated_note"):
        lines.append(f"  note: {view['stated_note']}; foibot chases on the Act's date")
    for w in view.get("warnings", []):
        lines.append(f"  warning: {w}")
    if view["deadline_explanation"]:
        lines.append("deadline:")
        lines += [f"  {line}" for line in view["deadline_explanation"]]
    elif view["state"] == "clarification":
        lines.append("deadline: clock stopped until your clarification reaches the force "
                     "(FOIA s.1(3); a new 20 working days start then)")
    elif view["state"] == "fee":
        lines.append("deadline: clock stopped until the fee is paid (s.10(2))")
    lines.append("timeline:")
    for e in view["events"]:
        lines.append(f"  {e['happened'][:16].replace('T', ' ')}  {e['text']}")
        for ev in e["evidence"][:4]:
            lines.append(f"      evidence: {ev}")
        if e["reply"]:
            lines.append(f"      read: foibot read {view['reference']} --reply {e['reply']}")
    return lines

