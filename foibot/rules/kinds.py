"""The kinds of reply foibot tells apart, and how the board groups them.

The kinds follow WhatDoTheyKnow's request states. They live apart from the classifier that
assigns them because the board, the chaser, the CLI and the web view all speak of kinds
without needing to read a letter.
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
