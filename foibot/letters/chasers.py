"""Carrying out the chase policy: chasers sent, reviews and complaints drafted.

``run_chase`` is what ``foibot chase`` and the scheduler call. For each request it asks the pure
policy (:mod:`foibot.rules.policy`) what to do today, then:

- sends chasers through the exactly-once outbox (letter keys ``chaser-1``, ``chaser-2``, ...),
  with the decision taken again under the state lock just before the letter is claimed, so a
  reply filed a second earlier, a second process or a restart never yields a second chaser;
- drafts internal review requests and complaints to the regulator as ``.eml`` files under
  ``state/drafts/<campaign>/<ref>.<key>.eml`` with a ``draft`` event (once per key), for the
  user to read, edit and send with ``foibot send-draft REF KEY``; or sends them at once when
  ``[chase] auto_send_drafts = true``.

Regulator letters go to the regulator (not threaded to the force) with copies of the
correspondence attached, since both regulators ask for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from foibot.app import App
from foibot.errors import MailError, UsageError
from foibot.letters import followup
from foibot.letters.drafts import editable, latest_draft, list_drafts
from foibot.letters.regulators import REGULATORS, attach_correspondence
from foibot.letters.render import long_date
from foibot.mail.outbox import Outgoing, Report
from foibot.mail.review import unfiled_from_forces
from foibot.mail.smtp import message_bytes
from foibot.model import Event, Request
from foibot.rules import clock
from foibot.rules import policy as chase
from foibot.rules.letter_state import letter_state
from foibot.rules.policy import Decision
from foibot.rules.status import RequestStatus, derive, replies
from foibot.settings import ChaseSettings
from foibot.store import atomic_write_bytes
from foibot.timeutil import london_date

RESULTS = ("none", "planned", "sent", "drafted", "skipped", "failed", "deferred", "uncertain")


@dataclass(frozen=True)
class ChaseOutcome:
    """One decision of a run and what came of it.

    ``result``: ``none`` (nothing to do), ``planned`` (a dry run), ``sent``, ``drafted``,
    ``skipped`` (already done, or no longer due when checked under the lock), ``failed``
    (rejected by the mail server), ``deferred`` (a temporary failure: tried again next run)
    or ``uncertain`` (a crash interrupted an earlier attempt).
    """

    campaign: str
    decision: Decision
    result: str
    detail: str = ""
    path: str | None = None

    @property
    def acted(self) -> bool:
        """Did this run change anything the user should hear about?"""
        return self.result in ("sent", "drafted")

    @property
    def trouble(self) -> bool:
        return self.result in ("failed", "deferred", "uncertain")

    def as_dict(self) -> dict[str, Any]:
        return {"campaign": self.campaign, **self.decision.as_dict(), "result": self.result,
                "detail": self.detail, "path": self.path}

    def line(self) -> str:
        d = self.decision
        what = f"{self.result} {d.key}" if d.key else self.result
        text = f"{d.force_name or d.force} {d.reference}: {what} — {d.reason}"
        return f"{text} ({self.detail})" if self.detail else text


# How the requests a run leaves alone are summed up, by the state they are in.
QUIET_WORDS = {"responded": "answered", "awaiting": "waiting",
               "clarification": "clarification asked",
               "fee": "fee asked", "review": "in internal review", "failed": "delivery failed",
               "unsent": "not sent"}


def shown(outcome: ChaseOutcome) -> bool:
    """Is this outcome worth a row of its own (something is or would be done, or went wrong)?"""
    return outcome.decision.acts or outcome.result not in ("none", "planned")


def quiet_line(outcomes: list[ChaseOutcome]) -> str | None:
    """One line for every request with nothing to do today, by what it is waiting for:
    ``38 forces: nothing to do (answered 32, waiting 6)``; None when there are none.

    >>> d = lambda state: Decision("FOI-A", "kent", "none", None, None, "", None, state=state)
    >>> quiet_line([ChaseOutcome("c", d("responded"), "none"),
    ...             ChaseOutcome("c", d("awaiting"), "none")])
    '2 forces: nothing to do (answered 1, waiting 1)'
    """
    quiet = [o for o in outcomes if not shown(o)]
    if not quiet:
        return None
    counts: dict[str, int] = {}
    for o in quiet:
        word = QUIET_WORDS.get(o.decision.state, o.decision.state.replace("_", " ") or "other")
        counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    noun = "forces" if len({o.campaign for o in outcomes}) == 1 else "requests"
    if len(quiet) == 1:
        noun = noun.removesuffix("s")
    parts = ", ".join(f"{word} {n}" for word, n in ranked)
    return f"{len(quiet)} {noun}: nothing to do ({parts})"


def drafts_waiting(app: App, campaign: str | None = None) -> int:
    """How many drafts (internal reviews, complaints) wait for the user to send them: not
    sent, and not overtaken by an answer or a withdrawal."""
    return sum(1 for d in list_drafts(app) if not d.stale
               and (campaign is None or d.campaign == campaign))


# --- the run ---------------------------------------------------------------------------------
def run_chase(app: App, campaign: str | None = None, *, send: bool) -> list[ChaseOutcome]:
    """Decide, for every request of ``campaign`` (None: every campaign), what to do today; with
    ``send``, do it. Returns one outcome per decision (requests needing nothing included:
    filter on ``.acted`` for what changed)."""
    names = [campaign] if campaign else app.campaigns.names()
    today = london_date(app.now())
    pol = app.config.chase
    outcomes: list[ChaseOutcome] = []
    for name in names:
        outcomes += _run_campaign(app, name, today, pol, send=send)
    return outcomes


def _run_campaign(app: App, name: str, today: date, pol: ChaseSettings, *,
                  send: bool) -> list[ChaseOutcome]:
    requests = app.campaigns.requests(name)
    held = unfiled_from_forces(app, requests)
    planned = [(r, d) for r in requests
               for d in chase.plan(r, today, pol, held=held.get(r.reference))]
    if not send:
        return [ChaseOutcome(name, d, "planned" if d.acts else "none") for _, d in planned]
    # Render every letter before anything is written or sent: a broken template stops the run.
    letters = {(r.reference, d.key): _outgoing(app, r, d, today, pol)
               for r, d in planned if d.acts}
    results: dict[tuple[str, str | None], ChaseOutcome] = {}
    guard = still_due(today, pol)
    for request, decision in planned:
        if decision.acts and decision.action != "chaser" and not pol.auto_send_drafts:
            out = letters[(request.reference, decision.key)]
            results[(request.reference, decision.key)] = _write_draft(
                app, name, out, decision, guard)
    to_send = [(d, letters[(r.reference, d.key)]) for r, d in planned
               if d.acts and (d.action == "chaser" or pol.auto_send_drafts)]
    if to_send:
        for decision, outcome in _send(app, name, to_send, guard):
            results[(decision.reference, decision.key)] = outcome
    return [results.get((r.reference, d.key)) or ChaseOutcome(name, d, "none")
            for r, d in planned]


def still_due(today: date, pol: ChaseSettings) -> Callable[[Request, Outgoing], str | None]:
    """The decision taken again on the request as it is under the lock: None if the letter is
    still due, else why not (answered meanwhile, sent by another process, ...)."""

    def check(current: Request, out: Outgoing) -> str | None:
        decisions = chase.plan(current, today, pol)
        if any(d.acts and d.key == out.key for d in decisions):
            return None
        return decisions[0].reason

    return check


def _send(app: App, name: str, letters: list[tuple[Decision, Outgoing]],
          guard: Callable[[Request, Outgoing], str | None]) -> list[tuple[Decision, ChaseOutcome]]:
    done: list[tuple[Decision, ChaseOutcome]] = []
    with app.outbox(name, guard=guard) as outbox:
        for decision, out in letters:
            report = Report()
            try:
                result = outbox.send_one(out, resend_uncertain=False, report=report)
            except MailError as exc:
                # the server cannot be reached: nothing was claimed; the next run tries again
                done += [(d, ChaseOutcome(name, d, "deferred", str(exc)))
                         for d, _ in letters[len(done):]]
                break
            if result == "skipped" and report.uncertain:
                result = "uncertain"
            detail = next((why for _, why in report.skipped + report.failed + report.deferred
                           + report.uncertain), "")
            done.append((decision, ChaseOutcome(name, decision, result, detail)))
    return done


# --- letters ---------------------------------------------------------------------------------
def _outgoing(app: App, request: Request, decision: Decision, today: date,
              pol: ChaseSettings) -> Outgoing:
    assert decision.kind is not None and decision.key is not None
    status = derive(request, today)
    extra = letter_context(request, status, decision, pol, today)
    if decision.action != "regulator":
        return followup.build(app, request, decision.kind, decision.key, extra)
    regulator = REGULATORS[decision.key]
    out = followup.build(app, request, decision.kind, decision.key, extra, to=regulator.address)
    message = out.message
    # a letter to the regulator starts its own conversation
    del message["In-Reply-To"]
    del message["References"]
    attach_correspondence(app, request, message)
    return Outgoing.of(request, decision.key, message)


def letter_context(request: Request, status: RequestStatus, decision: Decision,
                   pol: ChaseSettings, today: date) -> dict[str, Any]:
    """What the chaser, review, ico and sic templates can use beyond ``followup.build``'s."""
    events = request.events
    sent = {e.data.get("key"): london_date(e.at) for e in events if e.type == "sent"}
    chaser_days = [day for key, day in sorted(sent.items(), key=lambda kv: kv[1])
                   if str(key).startswith("chaser-")]
    all_replies = [r for r in replies(events) if r.kind != "auto_reply"]
    review_outcome = next((r for r in reversed(all_replies) if r.kind == "review_outcome"), None)
    after = (review_outcome.event.seq if review_outcome and decision.action == "regulator"
             else status.outcome.event.seq if status.outcome else 0)
    contest = next((e for e in reversed(events) if e.type == "contest" and e.seq > after), None)
    if decision.action == "regulator":
        basis = "review_contested" if review_outcome and contest else "review_overdue"
    else:
        basis = "contested" if status.outcome is not None else "no_response"
    review_day = status.review_requested
    regulator = REGULATORS.get(decision.key or "")
    return {
        "step": decision.step or 0,
        "final": bool(decision.step and decision.step >= pol.max_chasers),
        "chaser_dates": [long_date(d) for d in chaser_days],
        "chaser_dates_text": _and([long_date(d) for d in chaser_days]),
        "last_chaser_date": long_date(chaser_days[-1]) if chaser_days else None,
        "basis": basis,
        "grounds": (contest.data.get("note") or "").strip() if contest else "",
        "outcome_date": long_date(status.outcome.day) if status.outcome else None,
        "sections_text": _and([str(x) for x in status.outcome.event.data.get("sections", [])])
        if status.outcome else "",
        "review_requested": long_date(review_day) if review_day else None,
        "review_days": pol.review_overdue_working_days,
        "review_days_passed": (clock.working_days_between(
            review_day, today, request.force.regime)  # type: ignore[arg-type]
            if review_day else 0),
        "review_outcome_date": long_date(review_outcome.day) if review_outcome else None,
        "regulator": regulator.name if regulator else None,
        "regulator_address": regulator.address if regulator else None,
        "force_email": request.email,
    }


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}" \
        if items else ""


def contest(app: App, reference: str, note: str = "") -> Event:
    """Record that the user contests the latest answer (or review outcome): the next run
    drafts an internal review request (or a complaint to the regulator)."""
    request = app.campaigns.find(reference)
    if letter_state(request, "request").state != "sent":
        raise UsageError(f"{request.reference}: the request was never sent; nothing to contest")
    return app.campaigns.append_one(request.campaign, request.reference, "contest",
                                    {"note": note}, now=app.now())


def _write_draft(app: App, name: str, out: Outgoing, decision: Decision,
                guard: Callable[[Request, Outgoing], str | None]) -> ChaseOutcome:
    """Write the draft and its ``draft`` event in one locked step, once per key."""
    ref, key = out.request.reference, out.key
    path = app.store.draft_path(name, ref, key)
    verdict: list[ChaseOutcome] = []
    message = out.message
    del message["Message-ID"]  # the outbox gives it one when it is sent

    def decide(view: Any) -> list[tuple[str, str, dict[str, Any]]]:
        current = view.get(ref)
        earlier = latest_draft(current, key)
        if earlier is not None:
            verdict.append(ChaseOutcome(name, decision, "skipped",
                                        f"already drafted on {london_date(earlier.at)}",
                                        str(app.store.resolve(earlier.data.get("path", "")))))
            return []
        why = guard(current, out)
        if why:
            verdict.append(ChaseOutcome(name, decision, "skipped", f"not drafted: {why}"))
            return []
        atomic_write_bytes(path, message_bytes(editable(message)))
        verdict.append(ChaseOutcome(name, decision, "drafted", str(path), str(path)))
        return [(ref, "draft", {"key": key, "kind": decision.kind,
                                "path": app.store.relative(path),
                                "subject": str(message["Subject"]), "to": out.to})]

    app.campaigns.transact(name, decide, now=app.now())
    return verdict[0]
