"""One request's story, for ``foibot show`` and the report: every event, explained."""

from __future__ import annotations

from datetime import date
from typing import Any

from foibot.app import App
from foibot.model import Request
from foibot.rules.status import derive
from foibot.timeutil import london


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
        return "answers: " + ", ".join(f"{k}={v}" for k, v in data.get("values", {}).items())
    if event_type == "draft":
        return f"drafted {data.get('kind')}: {data.get('path')}"
    extra = " ".join(f"{k}={v}" for k, v in data.items() if v)
    return f"{event_type.replace('_', ' ')} {extra}".strip()


def build(app: App, request: Request, today: date) -> dict[str, Any]:
    st = derive(request, today)
    return {
        **st.as_dict(),
        "email": request.email,
        "deadline_explanation": list(st.deadline.explain()) if st.deadline else [],
        "stated_note": st.stated_note,
        "review_due": st.review_deadline.due.isoformat() if st.review_deadline and st.review_deadline.due else None,
        "events": [
            {"seq": e.seq, "at": london(e.at).isoformat(timespec="minutes"), "type": e.type,
             "text": describe(e.type, e.data),
             "evidence": e.data.get("evidence", []) if e.type == "reply" else []}
            for e in request.events
        ],
    }


def render(view: dict[str, Any]) -> list[str]:
    lines = [
        f"{view['reference']}  {view['force_name']} ({view['regime'].upper()})  campaign {view['campaign']}",
        f"state: {view['state']}   next: {view['next_action']}",
        f"sent: {view['sent'] or '-'}   due: {view['due'] or '-'}"
        + (f"   force's date: {view['stated_due']}" if view.get("stated_due") else ""),
    ]
    if view.get("stated_note"):
        lines.append(f"  note: {view['stated_note']} — foibot chases on the Act's date")
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
    replies = 0
    for e in view["events"]:
        lines.append(f"  {e['at'][:16].replace('T', ' ')}  {e['text']}")
        for ev in e["evidence"][:4]:
            lines.append(f"      evidence: {ev}")
        if e["type"] == "reply":
            replies += 1     # numbered as `foibot read` numbers them
            lines.append(f"      read: foibot read {view['reference']} --reply {replies}")
    return lines
