"""The kinds of reply foibot tells apart, how the board groups them, and the events a person
records by hand.

The kinds follow WhatDoTheyKnow's request states. They live apart from the classifier that
assigns them (and the events apart from the model) because the board, the chaser, the CLI and
the web view all speak of them without needing to read a letter or load a request.
"""

from __future__ import annotations

KINDS = (
    "acknowledgement",
    "clarification",
    "fee",
    "extension",
    "successful",
    "partially_successful",
    "not_held",
    "rejected",
    "review_outcome",
    "auto_reply",
    "bounce",
    "unknown",
)
SUBSTANTIVE = frozenset({"successful", "partially_successful", "not_held", "rejected"})
REPLIES = frozenset({"acknowledgement", "clarification", "fee", "extension",
                     "review_outcome"}) | SUBSTANTIVE
"""Kinds that answer a request: only these may be filed on the sender's domain alone."""
COARSE = {
    "successful": "answer", "partially_successful": "answer", "not_held": "answer",
    "rejected": "answer", "review_outcome": "answer",
    "acknowledgement": "interim", "extension": "interim",
    "clarification": "needs requester", "fee": "needs requester",
    "auto_reply": "not a reply", "bounce": "not a reply", "unknown": "not a reply",
}
"""The question the board asks of a reply: an answer, an interim letter, a letter that needs
the requester, or no reply at all."""

RECORDABLE = {
    "clarification_sent": "the clarification reached the force (restarts the clock)",
    "fee_paid": "the fee was paid (the clock runs again)",
    "withdrawn": "the request was withdrawn",
    "reply_by_post": "a reply arrived outside email (use --note; --kind for its kind)",
    "extension_agreed": "an extension was agreed (use --until for the new date)",
    "review_requested": "an internal review was requested by other means",
    "contest": "you contest the answer: foibot chase drafts an internal review (--note: why)",
}
"""What ``foibot record`` (and the web view) can record, each with what it means."""
