"""Folding text for an 80-column terminal: words kept whole, continuations under their text,
a force's table rows left as they are."""

from __future__ import annotations

from foibot.views.text import fold

PARAGRAPH = ("Thank you for your request for information, which was received by City of London "
             "Police and has been logged under reference FOI 2026/01148.")
ROW = "2019        12                3                  1                  4                7"


def test_a_paragraph_is_folded_at_spaces_and_loses_no_word():
    lines = fold([PARAGRAPH], 80, hang=0)
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
    assert " ".join(lines).split() == PARAGRAPH.split()


def test_a_timeline_entry_continues_under_its_text_and_a_long_word_stays_whole():
    path = "/home/reporter/foibot/state/drafts/social-media/FOI-NETCN.review.eml"
    entry = f"  2027-02-02 09:30  drafted review for City of London Police: {path} (unsent)"
    lines = fold([entry], 80)
    assert lines[0].startswith("  2027-02-02 09:30  drafted review")
    assert all(line.startswith(" " * 20) and not line[20].isspace() for line in lines[1:])
    assert " " * 20 + path in lines     # longer than the room left: a line of its own, whole
    assert " ".join(lines).split() == entry.split()


def test_a_table_row_in_a_letter_is_left_as_the_force_laid_it_out():
    assert fold([ROW, PARAGRAPH], 60, hang=0, tables=True)[0] == ROW
    assert fold([ROW], 60, hang=0) != [ROW]          # our own lines have no tables
