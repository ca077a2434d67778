"""Reading a letter as the acts it performs, then deciding its kind from those acts.

A police FOI response is built from a few acts, whatever the house style: it confirms or
denies holding the information (s.1(1)(a)), gives what it holds (s.1(1)(b)), withholds what is
exempt or too costly (a s.17 refusal notice, naming sections and saying for which questions),
or neither confirms nor denies. Letters that are not the answer acknowledge receipt, ask the
requester to clarify, give notice of a fee or of more time, or report an internal review.
:func:`read` finds each act in the force's firm sentences (not its conditionals, not its
boilerplate), and the answers it gives question by question; :func:`decide` turns the acts
into a kind with a confidence that says how clear the letter was.

The kinds' boundaries follow WhatDoTheyKnow's states: something given and something withheld
(or not held) is ``partially_successful``; information given "as a gesture of goodwill" beside
a cost refusal is too, because the requester got figures; a refusal of everything is
``rejected``; nothing held is ``not_held``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from foibot.rules.classify import lexicon as lx
from foibot.rules.classify.text import Sentence

_TABLE_ROW = re.compile(
    r"^\s*(?:19|20)\d\d(?:[/-]\d\d(?:\d\d)?)?\*?:?\s*[-:]?[ \t]+(?:\S+[ \t]+){0,3}\xa3?\d", re.M)
# a web table flattened to one cell a line ("213,083 |"): the figures of a disclosure log
_CELL = re.compile(r"^[ \t]*\|?[ \t]*\xa3?\d[\d,.]*%?[ \t]*\|[ \t]*$", re.M)
_YEAR_VALUE = re.compile(  # "2019: 42", not the range "2018-2021"
    r"(?<![\w/-])(?:19|20)\d\d(?:/\d\d)? ?[-:] ?(?!(?:19|20)\d\d\b)\xa3?\d[\d,.]*\b(?![/-]\w)")
_FILLER = r"(?:(?!(?:or|and|to|of|in|on|at|for|by|the|a|an|per|working|calendar)\b)[a-z-]+ )"
_NOUNS = (r"officers?|staff|members|employees|incidents?|arrests?|crimes?|offences?|reports?|"
          r"cases?|vehicles?|complaints?|allegations?|dismissals?|people|persons?|individuals?|"
          r"deployments?|uses?|occasions?|times|calls|investigations?|convictions?|charges?|"
          r"devices?|cameras?|dogs|horses|sergeants|constables|inspectors|posts?|payments?|"
          r"stops?|searches|items?|victims?|suspects?|referrals?|applications?|certificates?|"
          r"licen[cs]es?|firearms?|weapons?|drones?|tasers?|discharges?|results|seizures?|"
          r"fines?|notices|penalties|journeys|attendances?|collisions|accidents|injuries|deaths")
_COUNT = re.compile(rf"(?<![\d.,/-])\b(?!(?:19|20)\d\d\b)\d[\d,]*[ \t]?{_FILLER}{{0,2}}(?:{_NOUNS})\b")
_MONEY = re.compile(r"\xa3\s?\d[\d,]*(?:\.\d\d)?")
_LIMIT_MONEY = re.compile(r"\xa3\s?(?:450|600|25)(?:\.00)?")
_COST_TALK = re.compile(r"\b(?:approximately|estimate[ds]?|would (?:take|need|require|involve)|"
                        r"each|per (?:record|case|file)|minutes?|manual|review|search(?:es|ed)?|"
                        r"retriev|locat|identify|threshold|limit|exceed|in excess|over \d|"
                        r"fee|payment|payable|disburse|charge|per hour|working days)")
_ANSWER_MARK = re.compile(
    r"^(?:answers?|response|reply)\s?\d*[a-z]?(?:\s?(?:,|and|&)\s?\d+)*\s?[:.)-]?\s+|^a\d+[:.)]?\s+|"
    r"^(?:q|qs|questions?|requests?|parts?|points?)\s?\d+[a-z]?\)?(?:\s?(?:,|and|&)\s?\d+)*\s?[:.)-]?\s+|"
    r"^\d{1,2}[a-z]?[.)]\s+|^[a-h][.)]\s+")
_QUESTION = re.compile(r"\?\s*$|^(?:how many|what|which|when|where|who|please (?:provide|state|confirm)|can you)\b")
_DATA_SUFFIXES = (".xlsx", ".xls", ".csv", ".ods", ".xlsm")
_DOC_SUFFIXES = (".pdf", ".docx", ".doc", ".odt", ".rtf", ".txt", ".htm", ".html") + _DATA_SUFFIXES


@dataclass
class Act:
    """One act found in a letter, with the words that show it."""

    name: str
    evidence: str
    part: bool = False      # said of one question or part, not the whole request
    whole: bool = False     # said of the whole request
    firm: bool = True       # said as a fact, not in a conditional ("if there are delays")


@dataclass
class Reading:
    """What a letter does, act by act."""

    acts: list[Act] = field(default_factory=list)
    figures: str | None = None          # evidence of figures given (a table, counts)
    money: str | None = None            # amounts of money given (or a fee asked)
    figure: str | None = None           # a single figure, which counts beside "it is held"
    answers: list[str] = field(default_factory=list)   # answers given question by question
    data_file: str | None = None        # a spreadsheet attached
    cover: str | None = None            # "please find attached our response" ...
    unread_document: str | None = None  # ... and a response document we could not read
    attachment_text: bool = False       # an attachment's words were read
    withheld_questions: frozenset[int] = frozenset()  # the question numbers a refusal names

    def has(self, *names: str) -> bool:
        return any(a.name in names for a in self.acts)

    def any_of(self, name: str, *, part: bool | None = None, whole: bool | None = None) -> bool:
        return any(a.name == name and (part is None or a.part == part)
                   and (whole is None or a.whole == whole) for a in self.acts)

    def evidence(self, *names: str) -> list[str]:
        seen: list[str] = []
        for act in self.acts:
            if act.name in names and act.evidence not in seen:
                seen.append(act.evidence)
        return seen


_ACTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("held_all", lx.HELD_ALL),
    ("held_part", lx.HELD_PART),
    ("partial", lx.PARTIAL),
    ("not_held", lx.NOT_HELD),
    ("ncnd", lx.NCND),
    ("disclosed", lx.DISCLOSED),
    ("goodwill", lx.GOODWILL),
    ("refused", lx.REFUSAL),
    ("cost", lx.COST),
    ("vexatious", lx.VEXATIOUS),
    ("s17", lx.S17_NOTICE),
    ("receipt", lx.RECEIPT),
    ("promise", lx.PROMISE),
    ("review_receipt", lx.REVIEW_RECEIPT),
    ("review", lx.REVIEW),
    ("clarification", lx.CLARIFICATION),
    ("clarify_ask", lx.CLARIFY_ASK),
    ("response_below", lx.RESPONSE_BELOW),
    ("fee", lx.FEE),
    ("extension", lx.EXTENSION),
    ("clarify_hold", lx.CLARIFY_HOLD),
    ("away", lx.AWAY),
)
# The s.17 preamble is itself boilerplate, but says a refusal follows.
_EVEN_IN_BOILERPLATE = {"s17"}
# Acts that are asked or announced, often in conditional words ("could you ...?", "we will
# respond by ...", "if you are out of the office ...") and count as said.
_EVEN_CONDITIONAL = {"clarify_ask", "receipt", "promise", "review_receipt", "extension", "away",
                     "s17"}
_WITHHOLDING = ("refused", "cost", "vexatious", "ncnd")
# Acts a letter can deny doing: "we have not refused", "rather than refuse", "not disclosed".
_DENIABLE = {"refused", "cost", "vexatious", "disclosed"}


def _quote(label: str, words: str) -> str:
    words = words.strip()
    if len(words) > 90:
        words = words[:87].rstrip() + "..."
    return f'{label}: "{words}"'


def read(sentences: list[Sentence], *, texts: list[tuple[str, str]],
         attachments: list[tuple[str, str | None, str | None]]) -> Reading:
    """The acts of a letter. ``texts`` are its raw sources (tables need their line breaks);
    ``attachments`` are ``(filename, text, problem)``.

    Each act's pattern runs over the sentences joined (NUL between them, which no pattern
    crosses), and only over those that could hold it (see :class:`_Joined`).
    """
    reading = Reading()
    letter = _Joined(sentences)
    starts = letter.starts
    covers: dict[int, re.Match[str]] = {}
    for found in letter.scan(lx.COVER_ONLY, boilerplate=True):
        index = bisect_right(starts, found.start()) - 1
        covers.setdefault(index, found)
    if covers:
        first = min(covers)
        reading.cover = _quote(sentences[first].source, covers[first].group(0))
    acts: dict[tuple[int, int], Act] = {}       # (sentence, act) -> the first such act
    for order, (name, pattern) in enumerate(_ACTS):
        for found in letter.scan(pattern, boilerplate=name in _EVEN_IN_BOILERPLATE):
            index = bisect_right(starts, found.start()) - 1
            if (index, order) in acts:
                continue
            sentence = sentences[index]
            at = found.start() - starts[index]
            if sentence.boilerplate and name not in _EVEN_IN_BOILERPLATE:
                continue
            if name == "disclosed" and index in covers:
                continue          # a covering note is not itself a disclosure
            if name not in _EVEN_CONDITIONAL and not sentence.firm_at(at):
                continue
            if name in _DENIABLE and sentence.negated_at(at):
                continue
            act = name
            if name in _WITHHOLDING and lx.OTHER_INFO.search(sentence.text):
                act = "other"    # "... any other information": a rider, not the answer
            whole = bool(lx.WHOLE.search(sentence.text))
            part = bool(lx.PART.search(sentence.text)) and not whole
            acts[(index, order)] = Act(act, _quote(sentence.source, found.group(0)),
                                       part=part, whole=whole, firm=sentence.firm_at(at))
    reading.acts = [acts[key] for key in sorted(acts)]
    said = [(index, act.name) for (index, _), act in sorted(acts.items())]
    reading.withheld_questions = _withheld_questions(
        sentences, [i for i, name in said if name in _WITHHOLDING],
        {i for i, name in said if name in ("refused", "ncnd")})
    reading.answers = [a for a in (_answer_given(s, sentences[i + 1] if i + 1 < len(sentences)
                                                 else None)
                                   for i, s in enumerate(sentences)) if a]
    given = figures(texts)
    reading.figures, reading.figure, reading.money = given.many, given.one, given.money
    for name, text, problem in attachments:
        lower = name.lower()
        if lower.endswith(_DATA_SUFFIXES):
            reading.data_file = f'attachment "{name}"'
        if text:
            reading.attachment_text = True
        elif lower.endswith(_DOC_SUFFIXES) or problem:
            reading.unread_document = f'attachment "{name}"' + (f" ({problem})" if problem else "")
    return reading


_QUESTION_NUMBERS = re.compile(
    r"\b(?:questions?|q|qs|parts?|points?) ?(\d{1,2})"
    r"((?:(?: ?, ?| ?& ?| and | to | ?- ?)\d{1,2})*)\b")
_HEADING = re.compile(r"^(?:questions?|q|qs|parts?) ?\d{1,2}(?:(?: ?, ?| ?& ?| and | ?- ?)\d{1,2})*"
                      r"[ :.)-]*$")


def _withheld_questions(sentences: list[Sentence], withholding: list[int],
                        exempting: set[int]) -> frozenset[int]:
    """The questions a refusal is said of: in the heading it sits under ("Questions 2, 3, 5
    & 6" above "I am not obliged to supply ..."), or in the sentence that applies an
    exemption ("the names asked for at question 2 are exempt under s.40(2)"). Not in a cost
    estimate: section 12 adds up the cost of every question, so "finding the data for
    question 3 would take 60 hours" refuses the whole request."""
    if not withholding:
        return frozenset()
    numbers: set[int] = set()
    headed = [i for i in range(withholding[0]) if _HEADING.match(sentences[i].text)]
    named = [i for i in sorted(exempting) if not lx.COST.search(sentences[i].text)]
    for index in named + headed[-1:]:
        for found in _QUESTION_NUMBERS.finditer(sentences[index].text):
            first = int(found.group(1))
            numbers.add(first)
            span = found.group(2)
            rest = [int(n) for n in re.findall(r"\d+", span)]
            if rest and re.search(r"to|-", span) and len(rest) == 1 and rest[0] > first:
                numbers.update(range(first, rest[0] + 1))      # "questions 2 to 4"
            else:
                numbers.update(rest)
    return frozenset(numbers)


class _Joined:
    """A letter's sentences joined by NUL, scanned only where a pattern could match.

    A match lies within one sentence and contains one of its pattern's required strings
    (:func:`~.lexicon.required`), so the sentences holding none of them, and the boilerplate
    that most acts ignore, are skipped: each run of the remaining sentences is scanned with
    ``finditer(joined, start, end)``, which finds exactly the matches a scan of the whole text
    finds there (lookbehinds still see the text before ``start``). Most of a letter's acts are
    absent from it, and a substring search costs far less than a scan.
    """

    def __init__(self, sentences: list[Sentence]) -> None:
        self.joined = "\x00".join(s.text for s in sentences)
        self.starts: list[int] = []
        position = 0
        for sentence in sentences:
            self.starts.append(position)
            position += len(sentence.text) + 1
        self.plain = [not s.boilerplate for s in sentences]

    def scan(self, pattern: re.Pattern[str], *, boilerplate: bool) -> Iterator[re.Match[str]]:
        joined, starts = self.joined, self.starts
        needed = _gate(pattern)
        if needed is None:
            wanted = [True] * len(starts)
        else:
            wanted = [False] * len(starts)
            for word in needed:
                at = joined.find(word)
                while at != -1:
                    index = bisect_right(starts, at) - 1
                    wanted[index] = True
                    # on to the next sentence: this one is wanted already
                    at = joined.find(word, starts[index + 1]) if index + 1 < len(starts) else -1
        if not boilerplate:
            wanted = [w and p for w, p in zip(wanted, self.plain)]
        index, count = 0, len(starts)
        while index < count:
            if not wanted[index]:
                index += 1
                continue
            first = index
            while index < count and wanted[index]:
                index += 1
            # the run's end takes in the NUL after it, as a whole scan would see it
            yield from pattern.finditer(joined, starts[first],
                                        starts[index] if index < count else len(joined))


_GATES: dict[int, tuple[re.Pattern[str], tuple[str, ...] | None]] = {}


def _gate(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """The pattern's required strings, less those that hold a shorter one ("attached " goes
    where "attached" is: a sentence with the first has the second), looked up once per
    pattern: keyed by identity because hashing a compiled pattern costs as much as a short
    scan."""
    known = _GATES.get(id(pattern))
    if known is None or known[0] is not pattern:
        needed = lx.required(pattern)
        known = (pattern, None if needed is None else tuple(sorted(
            w for w in needed if not any(o != w and o in w for o in needed))))
        _GATES[id(pattern)] = known
    return known[1]


def _answer_given(sentence: Sentence, following: Sentence | None = None) -> str | None:
    """A numbered answer that gives something ("Answer 1 42 of the 53 arrests ...",
    "Q2. 17", "1a) yes"): not a question, not a refusal, not a denial. A label on its own
    ("Q2 response:") is read with the sentence that follows it."""
    mark = _ANSWER_MARK.match(sentence.text)
    if not mark or sentence.boilerplate:
        return None
    rest = sentence.text[mark.end():].strip()
    if following is not None and _LABELLED_ANSWER.fullmatch(sentence.text.strip()):
        if following.boilerplate or _ANSWER_MARK.match(following.text):
            return None
        sentence = Sentence(sentence.source, f"{sentence.text} {following.text}", False)
        rest = f"{rest} {following.text}".strip()
    if not rest or _QUESTION.search(rest) or "[request" in rest:
        return None
    for pattern in (lx.REFUSAL, lx.COST, lx.NCND, lx.NOT_HELD, lx.VEXATIOUS, lx.CLARIFICATION,
                    lx.S17_NOTICE, lx.RECEIPT):
        if pattern.search(rest):
            return None
    plain = re.sub(r"\b(?:sections?|s\.?) ?\d+(?: ?\([0-9a-z]+\))*|\b(?:19|20)\d\d\b|"
                   r"\bfoi ?\S*\d\S*", " ", rest)
    if re.search(r"\d|\byes\b|\bno\b(?! (?:information|data|records?))", plain):
        return _quote(sentence.source, sentence.text)
    if _LABELLED_ANSWER.match(sentence.text) and len(rest.split()) >= 4:
        # "Q2 response: This was dealt with by our Legal Services Department": labelled as
        # the answer, in words, and neither a refusal nor a denial
        return _quote(sentence.source, sentence.text)
    return None


# An answer the force labels as one ("Q2 response:", "Answer 3 -", "Response to question 1:"),
# not a bare number, which may as well be the request's own item restated.
_LABELLED_ANSWER = re.compile(
    r"^(?:(?:q|qs|questions?)\s?\d+[a-z]?(?:\s?(?:,|and|&)\s?(?:q\s?)?\d+)*\s)?"
    r"(?:answers?|responses?|reply)(?:\s?(?:to (?:question |q)?)?\d+[a-z]?)?\s?[:.-]")


@dataclass(frozen=True)
class Figures:
    """Figures a letter gives, found in one pass over its texts."""

    many: str | None      # a table, or two or more counts: figures given
    one: str | None       # at least one count (it counts beside "the information is held")
    money: str | None     # amounts of money (figures, unless the letter asks a fee)


def figures(texts: list[tuple[str, str]]) -> Figures:
    """Figures given: a table by year, counts of things, amounts of money. Numbers in a
    sentence that explains a cost estimate ("approximately 1,144 records, 3 minutes each")
    describe the search, not the answer."""
    one = money = None
    for label, text in texts:
        rows = len(_TABLE_ROW.findall(text))
        if rows >= 2:
            table = f"{label}: table of figures ({rows} rows)"
            return Figures(table, table, None)
        cells = len(_CELL.findall(text))
        if cells >= 4:
            table = f"{label}: table of figures ({cells} cells)"
            return Figures(table, table, None)
        counts: list[str] = []
        amounts: list[str] = []
        for piece in _PIECE.split(text.lower()):
            if not _DIGIT.search(piece) or _COST_TALK.search(piece):
                continue
            counts += _YEAR_VALUE.findall(piece)
            counts += [m.group(0) for m in _COUNT.finditer(piece)]
            amounts += [m for m in _MONEY.findall(piece) if not _LIMIT_MONEY.fullmatch(m.strip())]
        if len(counts) >= 2:
            return Figures(_shown(label, counts), _shown(label, counts), None)
        if counts and one is None:
            one = _shown(label, counts)
        if len(counts) + len(amounts) >= 2 and money is None:
            money = _shown(label, counts + amounts)
    return Figures(None, one, money)


def _shown(label: str, found: list[str]) -> str:
    quoted = ", ".join(f'"{x.strip()}"' for x in found[:2])
    return f"{label}: figures given ({quoted})"


_PIECE = re.compile(r"(?<=[.;!?])\s+|\n")
_DIGIT = re.compile(r"\d")


# --- deciding -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    kind: str
    confidence: float
    evidence: tuple[str, ...]


def decide(r: Reading, *, auto: list[str]) -> Decision:
    """The kind of a letter from its acts; ``auto`` is the evidence that a machine sent it.

    The order is the precedence: an away message; an internal review's outcome (it decides
    again, whatever else it says); a receipt that decides nothing; more time; a fee; a
    question back to the requester; then the answer itself, by what was given and what was
    withheld or not held.
    """
    given = _given(r)
    withheld = r.has(*_WITHHOLDING)
    decided = bool(given or withheld or r.has("not_held", "held_all", "held_part", "partial"))

    if auto and r.has("away") and not r.has("receipt"):
        return Decision("auto_reply", 0.95, tuple(auto + r.evidence("away")))
    if r.has("away") and not decided and not r.has("receipt"):
        return Decision("auto_reply", 0.7, tuple(r.evidence("away")))
    if auto and not decided and not r.has("receipt", "promise", "review_receipt", "review",
                                          "extension", "fee", "clarification", "clarify_ask"):
        # an automatic reply that says nothing about the request (its subject says "Automatic
        # reply", or Auto-Submitted): not an acknowledgement, not an answer
        return Decision("auto_reply", 0.85, tuple(auto))
    if r.has("review_receipt") and not r.has("review"):
        return Decision("acknowledgement", 0.9, tuple(auto + r.evidence("review_receipt")))
    if r.has("review"):
        return Decision("review_outcome", 0.9 if decided else 0.75, tuple(r.evidence("review")))
    if auto and r.has("receipt") and not (given or withheld):
        return Decision("acknowledgement", 0.95, tuple(auto + r.evidence("receipt")))
    # "we will tell you if there are any delays", in a receipt, extends nothing
    extending = any(a.name == "extension" and (a.firm or not r.has("receipt")) for a in r.acts)
    if extending and not given and not r.has("not_held") and not _firmly_refused(r):
        # "there may be a delay in responding" warns; it extends nothing for certain
        firm = any(a.name == "extension" and a.firm for a in r.acts)
        return Decision("extension", 0.85 if firm and not withheld else 0.65,
                        tuple(r.evidence("extension")))
    if r.has("fee") and not given and not _firmly_refused(r):
        return Decision("fee", 0.85, tuple(r.evidence("fee")))
    if r.has("clarification", "clarify_ask") and _asks_first(r, given, withheld):
        # a question that also speaks of costs may be a cost refusal offering to narrow
        return Decision("clarification", 0.85 if not (given or withheld) else
                        0.65 if r.has("cost") and not r.has("clarify_hold") else 0.7,
                        tuple(r.evidence("clarification", "clarify_ask", "refused", "cost")))
    if r.has("receipt") and not decided and not r.has("response_below", "s17"):
        # "your request, received on 3 January ... please find our response set out below"
        # opens an answer: a receipt is a letter that has no response to give yet. One that
        # counts something ("14 officers were dismissed") may be an answer read short
        if r.figure:
            return Decision("acknowledgement", 0.6,
                            tuple(auto + r.evidence("receipt") + [r.figure]))
        return Decision("acknowledgement", 0.85, tuple(auto + r.evidence("receipt")))
    if r.has("promise") and not decided and not r.has("response_below", "s17", "receipt"):
        # "we will aim to send you a response within 20 working days", and nothing else
        return Decision("acknowledgement", 0.6, tuple(auto + r.evidence("promise")))
    return _answer(r, given, withheld)


def _given(r: Reading) -> list[str]:
    """Evidence that information was given."""
    found = r.evidence("disclosed")
    money = None if r.has("fee") else r.money      # a fee notice's amounts are the fee
    for extra in (r.figures, money, r.data_file):
        if extra:
            found.append(extra)
    found += r.answers[:2]
    found += r.evidence("goodwill")
    return found


def _firmly_refused(r: Reading) -> bool:
    return r.has("cost", "vexatious") or any("refusal notice" in e for e in r.evidence("refused"))


def _asks_first(r: Reading, given: list[str], withheld: bool) -> bool:
    """A clarification request, rather than an answer that also offers help to narrow."""
    if any("rather than refusing" in e or "explore with you" in e
           for e in r.evidence("clarification", "clarify_ask")):
        return True
    offered = not (r.figures or r.answers or r.data_file)    # "we can provide ..." is an offer
    if r.has("clarify_hold") and (not given or offered) and not r.has("ncnd", "vexatious") \
            and not any("refusal notice" in e for e in r.evidence("refused")):
        return True     # the clock is stopped for the answer: a question, not a decision
    direct = [e for e in r.evidence("clarify_ask") if not _quoted(e).startswith("if ")]
    if direct and not given and not r.has("refused", "s17", "ncnd", "vexatious", "held_all"):
        return True     # a direct question ("can you advise whether ..."), costs as its reason
    return not given and not withheld and not r.has("not_held")


def _unrefused_question(withheld: frozenset[int]) -> int | None:
    """A question before the last one a refusal names that it does not name, if any."""
    if not withheld:
        return None
    return next((n for n in range(1, max(withheld)) if n not in withheld), None)


def _quoted(evidence: str) -> str:
    """The words an evidence line quotes (``text: "could you clarify"`` -> could you clarify)."""
    return evidence.split(": ", 1)[-1].strip('"')


def _answer(r: Reading, given: list[str], withheld: bool) -> Decision:
    not_held = r.has("not_held")
    grounds = r.evidence(*_WITHHOLDING)
    partial_words = r.evidence("partial")
    denied = r.evidence("not_held")
    if given:
        # the s.17 notice's preamble comes only before something withheld
        if withheld or not_held or partial_words or r.has("other", "held_part", "s17"):
            explicit = bool(partial_words or r.has("held_part") or r.any_of("refused", part=True)
                            or r.any_of("cost", part=True) or r.any_of("ncnd", part=True)
                            or r.any_of("not_held", part=True) or r.has("goodwill"))
            weak_only = not (withheld or not_held or partial_words or r.has("held_part"))
            confidence = 0.65 if weak_only else 0.9 if explicit else 0.75
            return Decision("partially_successful", confidence,
                            tuple(given[:3] + partial_words + r.evidence("held_part") + grounds
                                  + denied + r.evidence("other")))
        confidence = 0.9 if (r.has("held_all") or r.figures or r.data_file or r.answers
                             or len(given) > 1) else 0.75
        return Decision("successful", confidence, tuple(r.evidence("held_all") + given))
    if r.cover and not r.attachment_text and not (withheld or not_held or partial_words):
        return _cover(r)
    if r.cover and withheld and r.any_of("refused", part=True) \
            and not r.any_of("refused", whole=True):
        # "please find attached our response for questions 1 and 3" and a refusal of part 2
        return Decision("partially_successful", 0.7, tuple([r.cover] + grounds))
    if withheld:
        grounded = (r.has("cost", "vexatious", "ncnd", "s17")
                    or any(("exempt" in e or "refusal" in e or "section" in e)
                           for e in r.evidence("refused")))
        if not_held and not grounded:
            # "we do not hold it, so we are unable to answer": a denial, not a refusal
            return Decision("not_held", 0.75, tuple(denied + grounds))
        if not_held and not r.has("refused", "cost", "vexatious"):
            # not held, and NCND about a related aspect (covert use, other information)
            return Decision("not_held", 0.7, tuple(denied + grounds))
        if partial_words:
            return Decision("partially_successful", 0.75, tuple(partial_words + grounds))
        skipped = _unrefused_question(r.withheld_questions)
        if skipped and not r.any_of("refused", whole=True) and not r.any_of("cost", whole=True):
            # "Questions 2, 3, 5 & 6: I am not obliged to supply ...": the refusal is said of
            # some questions only, so question 1 (or 4) was answered, where we cannot see
            return Decision("partially_successful", 0.65,
                            tuple([f"refusal names questions "
                                   f"{', '.join(map(str, sorted(r.withheld_questions)))}"
                                   f" only, not question {skipped}"] + grounds))
        if r.figure and not r.has("vexatious") and (r.has("cost") or any(
                a.part and not a.whole for a in r.acts if a.name in _WITHHOLDING)):
            # "14 officers were dismissed ... section 40(2) applies to their names", or "the
            # earlier years would cost too much; for 2017/18 there were 537 arrests": a count
            # given beside what is withheld
            return Decision("partially_successful", 0.6, tuple([r.figure] + grounds))
        if r.has("held_part") and not not_held and not r.has("cost", "vexatious"):
            # "some relevant information is held ... the rest is exempt" (but "held in part,
            # and finding it would cost too much" refuses everything)
            return Decision("partially_successful", 0.75,
                            tuple(r.evidence("held_part") + grounds))
        scoped = [a for a in r.acts if a.name in _WITHHOLDING]
        if scoped and all(a.part for a in scoped) and not r.has("ncnd") \
                and r.has("response_below", "held_all"):
            # "please find our response below ... the information at Q2 is not held in a
            # retrievable format": only some questions are withheld, the rest answered below
            return Decision("partially_successful", 0.6,
                            tuple(r.evidence("response_below", "held_all") + grounds))
        if r.any_of("refused", part=True) and not r.has("cost", "vexatious", "s17") \
                and not r.any_of("refused", whole=True) and not r.any_of("ncnd", part=False):
            # "questions 2, 3 and 5 are exempt", and nothing else we can read: the other
            # questions may have been answered where we cannot see
            return Decision("rejected", 0.55, tuple(grounds))
        sure = grounded and (r.any_of("refused", whole=True) or r.has("cost", "vexatious")
                             or r.any_of("ncnd", part=False) or r.has("s17")
                             or not r.any_of("refused", part=True))
        return Decision("rejected", 0.9 if sure else 0.65,
                        tuple(grounds + r.evidence("s17") + denied))
    if not_held:
        if partial_words:
            return Decision("partially_successful", 0.6, tuple(partial_words + denied))
        if r.has("held_part") or (r.figure and r.any_of("not_held", part=True)):
            # "held in part ... 1. 1,345 devices ... 2. No information held": a count beside
            # a denial is something given
            return Decision("partially_successful", 0.6,
                            tuple(r.evidence("held_part") + ([r.figure] if r.figure else [])
                                  + denied))
        return Decision("not_held", 0.9, tuple(denied))
    if partial_words:
        return Decision("partially_successful", 0.6, tuple(partial_words))
    if r.has("held_part"):
        return Decision("partially_successful", 0.5, tuple(r.evidence("held_part")))
    if r.has("held_all") and r.figure:
        # "the force holds the information you requested ... 126 officers were ..."
        return Decision("successful", 0.85, tuple(r.evidence("held_all") + [r.figure]))
    if r.has("held_all"):
        # held, and nothing else we can read: usually the answer follows (or is attached)
        return Decision("successful", 0.55, tuple(r.evidence("held_all")))
    if r.has("s17"):
        return Decision("rejected", 0.55, tuple(r.evidence("s17")))
    if r.has("response_below"):
        # "please find our response below", and nothing below it withholds or denies (that
        # we can read: after the words of a receipt, less sure)
        return Decision("successful", 0.55 if r.has("receipt") else 0.7,
                        tuple(r.evidence("response_below")))
    if r.cover or r.unread_document:
        return _cover(r)
    if r.has("other"):
        return Decision("rejected", 0.5, tuple(r.evidence("other")))
    return Decision("unknown", 0.2, ())


def _cover(r: Reading) -> Decision:
    """A covering note whose answer is in a document we could not read: an answer, most
    likely, but which kind is only in the document."""
    evidence = [e for e in (r.cover, r.unread_document) if e]
    return Decision("unknown", 0.4, tuple(evidence))
