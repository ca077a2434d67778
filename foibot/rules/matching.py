"""Matching a reply to its request: pure rules over a parsed message and an index.

In order of certainty:

1. the per-request reply address (``jane+foi-7kq2m@...``) in To/Cc/Delivered-To/X-Original-To;
2. In-Reply-To/References (or, in a bounce, the returned headers) naming a Message-ID foibot sent;
3. the reference (``FOI-7KQ2M``) in the subject or the new text, tolerant of case, spacing and
   the usual mis-typings (O/0, I/1/l);
4. the force's own reference (``FOI 2026/01234``) recorded from an earlier reply;
5. the sender's domain (or an address learned by ``assign``) belongs to exactly one force with
   exactly one open request, *and* the message reads as a reply to a request: a newsletter or
   a press release from a force's domain must not become a request's latest reply.

Anything else goes to triage, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from foibot.model import REF_PREFIX, Request

_REF_RE = re.compile(r"(?<![A-Za-z0-9])F[O0o][IiLl1]\s*[-_:.]?\s*([0-9A-Za-z]{5})(?![A-Za-z0-9])")
_TRANSLATE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise_reference(text: str) -> str:
    return REF_PREFIX + text.upper().translate(_TRANSLATE)


def references_in(text: str) -> list[str]:
    """Every string in ``text`` that reads as a foibot reference, normalised."""
    return [normalise_reference(m.group(1)) for m in _REF_RE.finditer(text or "")]


@dataclass(frozen=True)
class Match:
    reference: str | None
    rule: str              # plus-address | message-id | reference | force-reference | domain | none
    detail: str


@dataclass
class MatchIndex:
    """What matching needs to know about every request, built from the campaigns."""

    requests: dict[str, Request]
    open_refs: set[str]
    sent_ids: dict[str, str] = field(default_factory=dict)           # Message-ID -> reference
    force_refs: dict[str, str] = field(default_factory=dict)         # force reference -> ref
    learned: dict[str, str] = field(default_factory=dict)            # sender address -> force id
    reply_pattern: re.Pattern[str] | None = None
    force_domains: dict[str, list[str]] = field(default_factory=dict)  # domain -> force ids

    @classmethod
    def build(
        cls,
        requests: Iterable[Request],
        *,
        open_refs: set[str],
        reply_to: str | None,
        forces_by_domain: dict[str, list[str]],
        learned: dict[str, str] | None = None,
        force_refs: Iterable[tuple[str, str]] = (),
    ) -> "MatchIndex":
        """``force_refs``: (reference, the force's reference) pairs learned from replies that
        the requests' events no longer carry (a brief view folds replies)."""
        by_ref = {r.reference: r for r in requests}
        index = cls(by_ref, open_refs, learned=dict(learned or {}),
                    force_domains=forces_by_domain)
        for req in by_ref.values():
            for event in req.events:
                if event.type == "sending" and event.data.get("message_id"):
                    index.sent_ids[event.data["message_id"].strip()] = req.reference
                ref = event.data.get("force_reference") if event.type in ("reply", "force_reference") else None
                if event.type == "force_reference":
                    ref = event.data.get("reference")
                if ref:
                    index.force_refs[_norm_force_ref(ref)] = req.reference
        for reference, ref in force_refs:
            if reference in by_ref:
                index.force_refs[_norm_force_ref(ref)] = reference
        if reply_to:
            local, _, domain = reply_to.partition("@")
            pattern = re.escape(local).replace(re.escape("{ref}"), r"(?P<ref>[0-9a-zA-Z-]+)")
            index.reply_pattern = re.compile(rf"^{pattern}@{re.escape(domain)}$", re.I)
        return index


    def learn(self, reference: str, force_reference: str | None) -> None:
        """A reply just filed taught us the force's own reference for this request."""
        if force_reference:
            self.force_refs[_norm_force_ref(force_reference)] = reference


def _norm_force_ref(ref: str) -> str:
    return re.sub(r"\s+", " ", ref.strip().upper())


def match(
    *,
    recipients: Iterable[str],
    in_reply_to: str | None,
    references: Iterable[str],
    subject: str,
    text: str,
    sender: str,
    quoted_ids: Iterable[str] = (),
    force_reference: str | None,
    index: MatchIndex,
    reads_as_reply: bool = True,
) -> Match:
    # 1. per-request reply address
    if index.reply_pattern is not None:
        for addr in recipients:
            m = index.reply_pattern.match(addr.strip())
            if m:
                ref = normalise_reference(m.group("ref").upper().removeprefix("FOI-"))
                if ref in index.requests:
                    return Match(ref, "plus-address", f"sent to {addr}")
    # 2. a Message-ID foibot sent
    for mid in [in_reply_to or "", *references]:
        sent_ref = index.sent_ids.get(mid.strip())
        if sent_ref:
            return Match(sent_ref, "message-id", f"in reply to {mid.strip()}")
    for mid in quoted_ids:
        if mid in index.sent_ids:
            return Match(index.sent_ids[mid], "message-id", f"quotes our Message-ID {mid}")
    # 3. our reference in subject or text
    for where, source in (("subject", subject), ("text", text)):
        for ref in references_in(source):
            if ref in index.requests:
                return Match(ref, "reference", f"{ref} in the {where}")
    # 4. the force's own reference, known from an earlier reply
    if force_reference:
        known = index.force_refs.get(_norm_force_ref(force_reference))
        if known:
            return Match(known, "force-reference", f"force reference {force_reference}")
    # 5. the sender belongs to one force with one open request
    sender = sender.strip().lower()
    force_ids = forces_of_sender(sender, index)
    if len(force_ids) != 1:
        why = "sender's domain belongs to no known force" if not force_ids else \
            f"sender's domain belongs to {len(force_ids)} forces"
        return Match(None, "none", why)
    candidates = [r for r in index.requests.values()
                  if r.force.id == force_ids[0] and r.reference in index.open_refs]
    if len(candidates) == 1 and not reads_as_reply:
        return Match(None, "none", f"from {force_ids[0]}'s domain, but it does not read as a "
                                   f"reply to a request (no reference, no thread)")
    if len(candidates) == 1:
        return Match(candidates[0].reference, "domain",
                     f"from {sender}: the only open request to {force_ids[0]}")
    return Match(None, "none",
                 f"from {force_ids[0]} but {len(candidates)} open requests to it: cannot tell which")


def forces_of_sender(sender: str, index: MatchIndex) -> list[str]:
    """The forces an address belongs to: the one ``assign`` learned for it, else those whose
    domain it is."""
    sender = sender.strip().lower()
    if sender in index.learned:
        return [index.learned[sender]]
    return _forces_for_domain(sender.rpartition("@")[2], index.force_domains)


def _forces_for_domain(domain: str, by_domain: dict[str, list[str]]) -> list[str]:
    domain = domain.lower()
    if not domain:
        return []
    found: list[str] = []
    for own, ids in by_domain.items():
        if domain == own or domain.endswith("." + own) or _core(domain) == _core(own):
            found.extend(i for i in ids if i not in found)
    return found


def _core(domain: str) -> str:
    if domain.endswith("police.uk"):
        return domain.removesuffix(".pnn.police.uk").removesuffix(".police.uk").rsplit(".", 1)[-1]
    return domain
