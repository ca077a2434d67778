"""The words of the field: what police FOI letters say when they do something.

Most forces write from the same national templates (the NPCC's FOI manual): the section 1(1)(a)
confirmation ("I can confirm that the information you have requested is held"), the decision
("I have decided to disclose the located information to you"), the section 17 refusal notice
("this letter acts as a Refusal Notice"), the cost limit ("above the amount to which we are
legally required to respond"), neither confirm nor deny, and the acknowledgement and review
letters around them. Each pattern below stands for one such act, and :mod:`.letter` reads a
letter as the acts it performs. Patterns run on normalised text (see :func:`.text.normalise`):
lower case, plain quotes and hyphens, whitespace collapsed.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any


def words(*patterns: str) -> re.Pattern[str]:
    """One pattern matching any of ``patterns``, tried in order.

    Runs of patterns that start at a word boundary share one ``\\b``: the engine then
    tests the boundary once at each position instead of once per pattern, which made the
    scan of a letter several times faster. The order of the alternatives, and so which
    one matches, is unchanged."""
    runs: list[list[str]] = []
    for p in patterns:
        bounded = p.startswith(r"\b")
        if runs and bounded and runs[-1][0] == r"\b":
            runs[-1].append(p[2:])
        elif bounded:
            runs.append([r"\b", p[2:]])
        else:
            runs.append(["", p])
    return re.compile("|".join(
        rf"\b(?:{'|'.join(f'(?:{p})' for p in run[1:])})" if run[0] else f"(?:{run[1]})"
        for run in runs))


@cache
def required(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains, or None if none can be
    named. A letter holding none of them cannot match, so its scan is skipped: most of a
    letter's acts are absent from it, and a substring test costs far less than the scan.

    Read from ``gates.json`` beside this module (:func:`write_gates`; a test keeps it in step
    with the patterns), since deriving them costs as much as compiling the lexicon again;
    derived for a pattern it does not know.
    """
    shipped = _shipped()
    key = _key(pattern)
    if key in shipped:
        found = shipped[key]
        return frozenset(found) if found is not None else None
    return derive(pattern)


def derive(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """:func:`required`, read from the pattern's syntax tree (the standard library's own
    parser); a pattern it cannot read is simply never skipped."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        from re import _constants as sre, _parser  # type: ignore[attr-defined]

        return _required(_parser.parse(pattern.pattern, pattern.flags).data, sre)
    except Exception:  # noqa: BLE001 - a parser change must only cost speed
        return None


GATES = Path(__file__).with_name("gates.json")


def _key(pattern: re.Pattern[str]) -> str:
    return hashlib.sha256(f"{pattern.flags}:{pattern.pattern}".encode()).hexdigest()[:20]


@cache
def _shipped() -> dict[str, list[str] | None]:
    try:
        data = json.loads(GATES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def gates() -> dict[str, list[str] | None]:
    """The required strings of every pattern of the lexicon, as ``gates.json`` holds them."""
    found = {}
    for value in globals().values():
        if isinstance(value, re.Pattern):
            needed = derive(value)
            found[_key(value)] = sorted(needed) if needed is not None else None
    return dict(sorted(found.items()))


def _required(items: Any, sre: Any) -> frozenset[str] | None:
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append(frozenset(["".join(run)]))
            run = []
        found: frozenset[str] | None = None
        if op is sre.SUBPATTERN and not av[1] & re.IGNORECASE:   # av: group, flags on, off, body
            found = _required(av[-1].data, sre)
        elif op is sre.BRANCH:
            each = [_required(sub.data, sre) for sub in av[1]]
            if all(each):
                found = frozenset[str]().union(*each)  # type: ignore[arg-type]
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, _, sub = av
            if low >= 1:
                found = _required(sub.data, sre)
        if found:
            candidates.append(found)
    if run:
        candidates.append(frozenset(["".join(run)]))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(map(len, c)), -len(c)))


FORCE = r"(?:the force|the constabulary|the service|we|i|(?:[a-z&'-]+ ){0,4}(?:police|constabulary|service|psni|mdp|cnc|btp|force))"
INFO = r"(?:the |this |some |any |all |that |relevant |recorded |requested |such |further )*(?:information|data|details|figures|records?|statistics|documents?|material)"

# --- the section 1(1)(a) duty: what is held ---------------------------------------------------
HELD_ALL = words(
    r"\bconfirm(?:s|ed)? (?:that )?(?:the |all (?:of )?the )?(?:information|data) (?:that )?(?:you (?:have )?(?:requested|asked for|seek)|requested|sought|relevant to your request) (?:is|are) held\b",
    rf"\b{FORCE} (?:does |do )?holds? (?:the|all the|all of the) (?:information|data) (?:that )?(?:you (?:have )?(?:requested|asked for|seek)|requested)\b",
    r"\b(?:the )?(?:information|data) (?:you (?:have )?requested|requested) is held by\b",
    # not "confirm or deny whether it holds the information"
    r"\bconfirm (?:that )?(?:we|the force|(?:(?!or deny|nor deny|whether |if )[a-z&' -]){2,40}) (?:does )?holds? (?:the |this )?information\b",
    r"\b(?:does|do) hold (?:the|this|all the) information\b",
)
HELD_PART = words(
    r"\bholds? some (?:of the )?(?:relevant |requested )?information\b",
    r"\bsome (?:relevant |of the requested |of the )?information (?:is|was) held\b",
    r"\b(?:is|are) held,? in part\b",
    r"\bholds? (?:some |part of the )?information (?:in relation|relating|relevant) to (?:part|some|certain)\b",
)
PARTIAL = words(
    r"\bnot (?:possible|able) to (?:meet|answer|provide|comply with) (?:your (?:requirements|request)|the request) in full\b",
    r"\bnot obliged to (?:supply|provide) (?:all of |all )?the information (?:that )?you (?:have )?requested in full\b",
    r"\bpartial (?:response|disclosure|release|answer)\b",
    r"\bpartially (?:disclos|answer|releas|provid)",
    r"\bprovide (?:you with )?(?:some|part) of the (?:requested )?information\b",
    r"\b(?:some|part) of the (?:requested )?information (?:is|has been|can be|will be) (?:provided|disclosed|released|given)\b",
    r"\bsome of this is being provided\b",
    r"\bwhere no exemption applies,? the information has been (?:provided|disclosed)\b",
    r"\b(?:withhold|withholding|withheld) (?:some|part|parts) of the (?:requested )?information\b",
    r"\b(?:able|been able) to provide some of\b",
    r"\bdecision:? (?:partial(?:ly)?|part) (?:disclos|releas)",
    r"\bs\.? ?12 plus information\b",     # a disclosure log's outcome: over the cost limit, some given
    # "not all information requested is deemed suitable for disclosure"
    r"\bnot all (?:of )?(?:the )?(?:information|data) (?:you have |you )?(?:requested |sought )?(?:is|can be|has been|will be|was) (?:deemed |considered )?(?:suitable|disclosed|released|provided|disclosable)\b",
    r"\bsome of the (?:requested |relevant )?information (?:you (?:have )?requested )?(?:is|was) (?:not|exempt)\b",
    r"\b(?:majority|remainder|rest) of the (?:requested |relevant )?information (?:is|has been|will be) (?:attached|provided|disclosed|released|enclosed)\b",
    r"\b(?:response|information) (?:in relation to|for|to) the (?:remainder|rest) of the (?:requested )?information\b",
    r"\bfor part of (?:question|your request|the request)\b",
    r"\brefusal notice (?:to|for|in respect of|in relation to) (?:those|some|certain|the relevant|other) (?:aspects|parts|elements|questions) of (?:your|the|this) request\b",
    r"\bthe (?:requested )?information that has not been (?:released|disclosed|provided)\b",
    # a refusal said of one part ("... if one part exceeds the limit, s12 applies to the
    # whole request" refuses everything)
    r"\b(?:refusal(?: notice)?|exemption is applicable|exemption applies) (?:for|to) this part of (?:the|your|this) request\b(?![^\x00]{0,100}\bwhole request)",
    # a document disclosed with parts removed: "please find attached a redacted document",
    # "the redacted information is exempt", a file "entitled 'Emails redacted'" (not "each
    # document would need to be redacted", which is a cost estimate)
    r"\b(?:a|the) redacted (?:document|copy|version|parts?|information|sections?|e-?mails?|report|file)s?\b",
    r"\b(?:entitled|titled|named|called) ['\"][^'\"\x00]{0,60}\bredacted\b",
    r"\bwith (?:some |minor |the following )?redactions?\b",
    # "above is all the information we hold; for anything else we rely on the following"
    r"\bfor anything (?:else|further) (?:we|the force|i) (?:would |will |must )?rel(?:y|ies) on\b",
)
NOT_HELD = words(
    # not "does not hold all the information in a format that allows it to be retrieved"
    r"\b(?:does|do|did) not (?:hold|record|retain|capture|collate|keep)\b(?![^\x00.]{0,60}\b(?:format|retriev))",
    r"\b(?:is|are|was|were) not (?:held|recorded|retained|captured|collated)\b(?! (?:in (?:a|an|the) |statistically|centrally|in a format))",
    r"\bno (?:recorded |relevant |such |further )?(?:information|records?|data|documents?|documentation) (?:is |are |was |were )?(?:held|recorded|exists?|located|found)\b",
    r"\bno information held\b",
    r"\bhold(?:s)? no (?:recorded |relevant |such )?(?:information|records?|data)\b",
    r"\bnot held\b(?! (?:in (?:a|an|the) |statistically|centrally))",
    r"\bzero results\b",
    r"\bno (?:such )?(?:information|records?|data) (?:exists?|could be located)\b",
    r"\b(?:information|data) (?:is|are) not (?:available|recorded) (?:centrally|in the format)\b",
)
NCND = words(
    r"\bneither confirm(?:s|ing)? n?or den(?:y|ies|ying)\b",
    r"\bncnd\b",
    r"\bcan ?not confirm or deny\b",
    r"\brefus(?:e|ing) to confirm or deny\b",
    r"\b(?:unable|not able) to confirm or deny\b",
)
OTHER_INFO = re.compile(r"\bany (?:other|further|additional) (?:relevant )?(?:information|data)\b")

# --- the section 1(1)(b) duty: what is given ----------------------------------------------------
DISCLOSED = words(
    r"\b(?:am|are|is) (?:now )?(?:able|pleased|happy) to (?:disclose|provide|release|supply|confirm the following)\b",
    r"\b(?:have|has) (?:today )?decided to disclose\b",
    r"\bdecision:? (?:is to )?(?:fully )?disclose(?:d)?\b",
    r"\b(?:these|the) (?:data|figures) should be (?:interpreted|treated|used) with caution\b",
    r"\bthe (?:figures|data|statistics) (?:presented|provided|supplied|shown) (?:above|below|here|in)\b",
    r"\bdisclose the (?:located|requested|following) information\b",
    rf"\b{INFO} (?:is|are|has been|have been) (?:being )?(?:provided|disclosed|released|supplied) (?:to you|below|above|in full|as follows|in the|with|within|on the)\b",
    rf"\b{INFO} (?:[a-z0-9/ ]{{0,30}} )?(?:have|has) (?:also )?been (?:provided|included|supplied|given|extracted)\b",
    r"\bthe (?:table|data|figures|spreadsheet|attachment)s? (?:below |above |attached )?(?:provides?|shows?|gives?|presented|contains?|lists?)\b",
    r"\b(?:is|are) being provided to you\b",
    r"\b(?:please )?(?:find|see) (?:attached|enclosed|herewith)\b(?! (?:our|the|a|my) (?:refusal|decision))",
    rf"\b(?:please )?(?:find|see) (?:the |our |a copy of (?:the|our) )?(?:requested |relevant )?(?:{INFO}|answers?|response|reply|spreadsheet|table|breakdown) (?:below|attached|enclosed|as follows|in the attach)",
    r"\b(?:have|has) (?:been )?attached\b",
    r"\b(?:find|see) (?:the |our )?attached (?:document|spreadsheet|file|data|information|table|figures|list|breakdown|copy)",
    r"\b(?:we|i) (?:have )?attached\b",
    r"\bsee (?:the )?attached\b",
    r"\bthe table below\b",
    rf"\b{INFO} (?:is |are )?(?:shown|set out|listed|detailed|provided) (?:in the table )?below\b",
    r"\b(?:information|figures|data|answers?|details) (?:is |are )?as follows\b",
    r"\b(?:can|able to) confirm the following\b",
    r"\b(?:answers?|responses?) to (?:your )?(?:questions?|q) ?\d",
    r"\bin response to (?:question|q|point|part) ?\d",
    r"\banswers? (?:below|provided below|to your questions)\b",
    r"\b(?:i|we) (?:have )?supplied (?:the )?information\b",
    r"\bfound on page \d+\b",
    r"\benclos(?:e|ed|ing) (?:a |the |an |copies |a copy |a photocopy )",
    r"\b(?:i|we) can (?:however )?provide (?:you with )?(?:the following|some|information|the total|figures|a breakdown|details)\b",
    r"\b(?:is|are) available (?:on|at|via) (?:our|the) (?:website|following link|link)\b",
    # "the Operations Department have provided the following information", "... who have
    # provided the below response", "the below figures relate only to voluntary referrals"
    r"\b(?:have|has) provided (?:the |us with the )?(?:below|following) (?:information|figures|data|response|answers?|details|statistics)\b",
    r"\bthe (?:below|above|following) (?:figures|data|statistics|numbers) (?:relate|relates|show|shows|are|were|cover|covers|include|includes)\b",
)
RESPONSE_BELOW = words(
    r"\b(?:please )?(?:find|see) (?:below|overleaf) (?:our|the) (?:response|reply|answers?)\b",
    r"\b(?:please )?(?:find|see) (?:our|the) (?:[a-z]+ ){0,3}(?:response|reply|answers?) (?:(?:is )?(?:set out|provided|detailed|given|shown) )?(?:below|overleaf)\b",
    r"\bour (?:response|reply|answers?) (?:is|are) (?:provided|set out|shown|detailed|as follows|below)\b",
    r"\b(?:response|reply|answers?) (?:is |are )?(?:provided|set out|detailed) below\b",
    r"\bbelow is (?:our|the) (?:response|reply)\b",
    r"\bresponse to your (?:request|questions?) (?:is|are) (?:as follows|below)\b",
)
GOODWILL = words(
    r"\bgesture of goodwill\b",
    r"\bgoodwill\b",
    r"\boutside (?:of )?the (?:act|foia|freedom of information act)\b",
    r"\bdiscretionary (?:disclosure|release)\b",
    r"\bto be of (?:some )?(?:assistance|help)\b[^\x00]{0,40}\b(?:following|below|attached|provide|information)\b",
    # s.16 beside a cost refusal: "a duty to provide advice and assistance ... and can provide
    # the information requested for questions 1 and 2"
    r"\badvice and assistance\b[^\x00]{0,80}\bcan (?:however )?provide (?:you with )?(?:the |some |relevant )?(?:information|figures|data|numbers?|details|a breakdown)\b",
)
COVER_ONLY = words(
    r"\bplease (?:find|see) attached (?:the |our |my )?(?:[a-z' ]{0,60} )?(?:response|reply|letter|decision)\b",
    r"\bplease see attached our response\b",
    r"\bour (?:response|reply) is attached\b",
)

# --- the refusal: what is withheld ------------------------------------------------------------
REFUSAL = words(
    r"\brefusal notice\b",
    r"\bnot obliged to (?:supply|provide|release|disclose|comply|confirm)\b(?![^.;]{0,40}\buntil\b)",
    r"\b(?:is|are|be) (?:therefore )?exempt(?:ed)? (?:from disclosure |information )?(?:by virtue of|under|as|because|from)\b",
    r"\bexempt by virtue\b",
    r"\bexempt pursuant to\b",
    r"\b(?:i|we) have (?:however |also )?exempted\b",
    # s.21: pointed elsewhere rather than given
    r"\b(?:is|are) (?:already )?(?:publicly available|reasonably accessible)\b",
    r"\bexemptions? (?:applies|apply|is engaged|are engaged|has been applied|have been applied|has been engaged|to (?:this|your) request)\b",
    r"\bexemptions? applicable to (?:the|this|your) (?:information|request)\b",
    r"\bthe following exemptions? (?:applies|apply|is|are)\b",
    r"\b(?:we|i) (?:are|am|will be|have) (?:therefore )?(?:withholding|refusing|declining)\b",
    r"\b(?:withhold|withholding|withheld)\b",
    r"\b(?:unable|not able|not in a position) to (?:comply|provide|disclose|release|supply|answer|confirm)\b",
    r"\b(?:can ?not|could not|can't|will not|won't) (?:provide|disclose|release|supply|answer|comply)\b",
    r"\b(?:refuse|refusing|decline|declining) (?:your|this|the) request\b",
    r"\b(?:this|your) request is refused\b",
    r"\bfull refusal\b",
    r"\bbalance (?:lies|falls) in (?:favour of )?(?:withholding|non-disclosure|not disclosing)\b",
    r"\bwould not (?:provide|disclose|release) (?:these|this|those) details\b",
    r"\b(?:can ?not|could not|can't|will not|won't|is not to|are not to) be (?:disclosed|provided|released|supplied|answered)\b",
    r"\b(?:i am|we are) exempting\b",
    r"\bexempt(?:ion)? (?:under|by virtue of) (?:section|s\.?) ?\d",
    r"\bthe following exemption\b",
    r"\bunable to (?:provide|give) (?:a|you with a|any) response\b",
    r"\bnot a valid (?:freedom of information )?request\b",
    # "section 40(2) applies to the names" (not the duties of s.1, not s.17's notice; s.12
    # is the cost limit's own act)
    r"\b(?:section|s\.?) ?(?!1\b|1 ?\(|12\b|12 ?\(|17\b)\d+(?: ?\(\d+\))?(?: ?\([a-z]\))? (?:of the (?:act|foia|freedom of information act(?: 2000)?) )?(?:applies|has been applied|is applied|is being applied)\b",
    r"\b(?:is|are) exempt (?:personal )?(?:data|information)\b",
    # "Exemption 21 (information accessible by other means) is engaged", the public interest
    # test of a qualified exemption
    r"\b(?:exemption|section|s\.?) ?\d+(?: ?\(\d+\))?(?: ?\([a-z]\))?[^\x00.;]{0,70}\b(?:is|are|has been|have been) engaged\b",
    r"\b(?:factors|considerations|arguments) (?:favouring|in favour of|against) (?:non-?disclosure|disclosure)\b",
)
COST = words(
    r"\bexceed(?:s|ed|ing)? (?:the|that|this) [\"']?(?:appropriate|cost|costs|fees?)(?: costs?)? (?:limit|level|threshold)\b",
    r"\b(?:appropriate|cost|fees) limit (?:would be|is) exceeded\b",
    r"\b(?:above|exceeds?|over) the amount to which (?:we|the force|they) (?:are|is) (?:legally )?required to respond\b",
    r"\bexceed(?:s|ed)? the ['\"]?appropriate level\b",
    r"\bcost of compliance\b[^\x00]{0,80}\b(?:exceed|above)",
    r"\bexceed(?:s|ed)? (?:the )?(?:permitted )?(?:18|eighteen|24|twenty four)[ -]hours?\b",
    r"\b(?:permitted|stipulated) (?:18|eighteen|24)[ -]hours?\b",
    r"\b(?:18|eighteen|24)[ -]hours? (?:threshold|limit|time limit)\b",
    r"\b(?:would|will) take (?:over|more than|in excess of|approximately|around|at least) \d[\d,]* hours\b",
    r"\bin excess of \d[\d,]* hours\b",
    r"\b(?:section|s\.?) ?12 ?(?:\(\d\) ?)?(?:of the [a-z() ]{3,60}act(?: \d{4})? )?(?:would |will |does |therefore )?(?:apply|applies|is engaged|has been applied)\b",
    r"\b(?:would|will) (?:require|need|involve|entail) (?:a |the )?manual(?:ly)? (?:search|review|trawl|examination|interrogation|reading|check)",
    r"\b(?:too|prohibitively) costly\b",
    r"\bcosts? (?:more than|over|in excess of|above) \xa3 ?\d+",
    r"\bcost threshold\b",
    r"\b(?:section|s\.?) ?12 ?(?:\(\d\) ?)?(?:applies|exemption|is engaged|refusal|excess cost)\b",
    r"\bexcess cost\b",
    r"\bnot (?:available|held|recorded|kept|stored)? ?in (?:a|an) (?:readily |easily )?(?:retrievable|searchable) (?:format|form|way)\b",
    r"\bnot (?:held|recorded) in a format that (?:allows|would allow)\b",
)
VEXATIOUS = words(r"\bvexatious\b", r"\brepeated request\b", r"\b(?:section|s\.?) ?14 ?\(\d\)")
WHOLE = words(
    r"\bwhole of (?:your|the|this) request\b",
    r"\bwhole of the (?:requested )?information\b",
    r"\b(?:applies|apply) to the whole\b",
    r"\brequest as a whole\b",
    r"\b(?:all|any) of the (?:requested )?information\b",
    r"\ball of (?:the information|it) (?:you requested )?(?:is|are) (?:withheld|exempt)\b",
    r"\bfull refusal\b",
    r"\bnot providing any information\b",
    r"\bfor the (?:entire|whole) request\b",
)
PART = words(
    r"\b(?:questions?|q|qs|requests?|parts?|points?|items?) ?\(?\d+[a-z]?\)?(?:,? ?(?:and|&|to|-) ?\(?\d+[a-z]?\)?)*\b",
    r"\b(?:questions?|requests?|parts?|points?) [a-h]\b",
    r"\bsome of the (?:requested |relevant )?(?:information|data|details)\b",
    r"\bcertain (?:information|details|elements|parts)\b",
    r"\bremainder of (?:the|your) request\b",
    r"\bparts? of (?:this|your|the) request\b",
    r"\bfor this (?:part|particular request|element)\b",
    r"\bfurther (?:information|details)\b",
    r"\b(?:the )?(?:names?|addresses|locations?|identities|personal (?:data|information))\b",
    r"\bprior to \d{4}\b",
    r"\bthe rest of\b",
)
S17_NOTICE = words(
    r"\bsection 17 of the freedom of information act(?: 2000)? requires\b",
    r"\bs ?17 of foia requires\b",
    r"\bwhen refusing (?:to provide )?such information\b",
    r"\bwhere exemptions are relied upon\b",
    # the two duties of s.1, quoted by a force only before it relies on an exemption
    r"\bplaces two duties\b",
)

# --- letters that are not the answer ----------------------------------------------------------
RECEIPT = words(
    r"\backnowledge(?:s|d)? (?:the )?receipt\b",
    r"\bconfirm(?:ing)? (?:the )?receipt\b",
    r"\b(?:we|i) (?:have|has) (?:now )?received your (?:freedom of information |foi |information |internal review |review )?(?:request|e-?mail|application|correspondence|letter)\b",
    r"\byour (?:e-?mail|request|message|correspondence) (?:has been|was) received\b",
    r"\byour (?:freedom of information |foi |information |internal review )?(?:request|e-?mail|application|enquiry|correspondence) (?:has been|was|is being|will be) (?:received|logged|registered|recorded|passed|allocated|assigned|dealt with|considered)\b",
    r"\b(?:has|have) (?:now )?been logged\b",
    r"\byour (?:[a-z/-]+ )?(?:[a-z-]+/)?(?:request|e-?mail|correspondence|application)(?: for information)? (?:was |which was )?received (?:on |by )?\d",
    r"\byou have contacted the (?:freedom of information|foi|disclosure)\b",
    r"\blogged (?:under|with) (?:the )?(?:above )?reference\b",
    r"\b(?:is|are) being (?:processed|dealt with|handled)\b",
    r"\bwill be dealt with\b",
    r"\b(?:aim|endeavour|expect|strive) to (?:respond|reply|provide a response|get back to you)\b",
    r"\bwill (?:respond|reply|provide (?:you with )?a response|receive a response|be answered|get back to you)(?: to (?:you|your request))?(?: promptly and)?(?: in due course and)?(?: in any case)? (?:within|by|no later than|as soon as)\b",
    r"\brequired to (?:reply|respond) within 20 working days\b",
    r"\bstatutory timescale of (?:twenty|20) working days\b",
    r"\b(?:has been|was) passed to (?:a|the) (?:case officer|disclosure|freedom of information|foi|relevant)\b",
    r"\bresponse (?:is )?due\b",
    r"\bdue date\b",
    r"\baccept this (?:auto-?response|automated (?:response|reply|e-?mail)|e-?mail) as (?:a |an )?(?:formal )?acknowledgement\b",
    r"\bthank you for (?:your|submitting your) (?:freedom of information |foi |information |internal review )?(?:request|e-?mail|enquiry)\b[^\x00]{0,80}\b(?:received|logged)\b",
    r"\bwill receive attention\b",
    r"\backnowledg(?:e|ing|es) (?:your|the) (?:freedom of information |foi |information )?(?:request|e-?mail|correspondence|application|enquiry)\b",
    r"\b(?:will|is going to) be (?:handled|processed|considered|looked at) (?:under|in accordance|within|as soon)\b",
    r"\b(?:deadline|date) for (?:our |a |your )?(?:response|reply)\b",
    r"\byou (?:can|should|will) (?:expect|receive) (?:to receive )?(?:a|our) (?:response|reply)\b",
    r"\blogged your (?:request|e-?mail|enquiry|application)\b",
    r"\breceipt of your (?:request|e-?mail|enquiry|application|correspondence)\b",
    r"\ballow (?:up to )?(?:20|twenty) working days\b",
    r"\b(?:requires|obliges) (?:us|the force|the constabulary|public authorities) to (?:respond|reply)(?: to (?:your|a) request)? within\b",
)
PROMISE = words(
    # a response promised, not given: what a receipt says, in words too plain to be sure of
    r"\bwithin (?:the )?(?:statutory )?(?:period of |timescale of )?(?:20|twenty) working days\b",
    r"\b(?:please )?quote (?:this|the above|the|our) reference\b",
    r"\b(?:aim|endeavour|expect|strive|hope|intend) to (?:provide|send|give) (?:you )?(?:with )?(?:a|our|the|your) (?:response|reply|answer|decision)\b",
    r"\b(?:a |our |the )?(?:response|reply|decision) (?:will|should) be (?:provided|sent|issued|given|with you) (?:to you )?(?:within|by|no later than|as soon as|in due course)\b",
    r"\b(?:may|might|will) (?:experience|be) (?:some )?(?:delays?|delayed) (?:with|in|to) (?:the|our|a) (?:response|reply)\b",
)
REVIEW_RECEIPT = words(
    r"\b(?:request|application) for an internal review\b[^\x00]{0,120}\b(?:received|logged|acknowledge|will be (?:dealt|considered|conducted))\b",
    r"\b(?:acknowledge|received|logged)\b[^\x00]{0,80}\b(?:request for an internal review|internal review request)\b",
)
REVIEW = words(
    r"\boutcome of (?:the|your|this|my) (?:internal )?review\b",
    r"\binternal review (?:has been|was|is now) (?:completed|concluded|conducted|carried out|undertaken)\b",
    r"\b(?:i|we) (?:have|has) (?:now )?(?:completed|concluded|conducted|carried out|undertaken) (?:an|the|your|a) (?:internal )?review\b",
    r"\breview(?:ing)? officer\b",
    r"\b(?:original|initial) (?:decision|response) (?:is|was|has been|should be) (?:upheld|overturned|partially upheld|varied|amended|reversed|disregarded)\b",
    r"\b(?:uphold|overturn|partially uphold) (?:the )?(?:original|initial) (?:decision|response)\b",
    r"\b(?:decision|complaint|review) (?:is|was|has been) (?:not |partially )?upheld\b",
    r"\bresult of (?:the|your) internal review\b",
    r"\binternal review (?:decision|outcome|response)\b",
    r"\b(?:ir|internal review) decision\b",
    r"\b(?:i|we) have (?:now )?reviewed (?:the|your) (?:original )?(?:request|response|decision|handling)\b",
    r"\bsatisfied that the (?:original|initial) (?:response|decision)\b",
    r"\bhaving (?:now )?(?:carried out|conducted|completed|undertaken) (?:the|an|this|your) internal review\b",
)
CLARIFY_ASK = words(
    r"\b(?:please|kindly) (?:could you )?(?:clarify|specify|confirm (?:exactly |precisely )?(?:what|which|whether|the))\b",
    r"\b(?:could|can|would) you (?:please )?(?:clarify|specify|confirm (?:exactly |precisely )?(?:what|which|whether|the)|narrow|refine|provide (?:me |us |this office )?(?:with )?(?:further|more|additional|some) (?:details|information|clarification))\b",
    r"\b(?:can|could) you clarify\b",
    r"\b(?:are you|do you mean|did you mean) (?:referring|seeking|asking)\b",
    r"\bare you referring to\b",
    r"\bdoes (?:this|your) request (?:solely |only )?relate to\b",
    r"\bif you (?:could|would|can) (?:please )?(?:clarify|specify|confirm|narrow|refine|provide (?:further|more|additional|some))\b",
    r"\bplease (?:provide|send) (?:us |me )?(?:with )?(?:further|more|additional) (?:details|information|clarification)\b",
    r"\b(?:please )?(?:can|could|would) you (?:please )?(?:advise|let (?:us|me) know) (?:whether|which|what|if)\b",
    r"\bplease (?:advise|let (?:us|me) know|confirm) (?:if|whether) you (?:wish|would like|want) (?:us|me) to (?:progress|proceed|continue)\b",
)
CLARIFICATION = words(
    r"\b(?:seek|require|request|need) (?:further |some )?clarification\b",
    r"\bclarification (?:is|will be) (?:required|needed)\b",
    r"\b(?:until|once|when) (?:we|the force) (?:receive|have received) (?:your |this |the )?(?:clarification|response|reply)\b",
    r"\b(?:upon|on) receipt of (?:your|the|this) clarification\b",
    r"\bsection 1 ?\(3\)",
    r"\b(?:request|clock|timescale|time ?limit) (?:has been|is|will be|is now) (?:put |placed )?(?:on hold|paused|stopped|suspended)\b",
    r"\bon hold (?:until|pending)\b",
    r"\bclock (?:has )?(?:stopped|paused)\b",
    r"\bto enable us to (?:meet|deal with|process|locate|answer|respond to) your request\b",
    r"\bwe are not clear (?:what|which|whether)\b",
    r"\brather than refusing your request outright\b",
    r"\bexplore with you how\b",
    r"\bneed you to (?:clarify|specify|confirm)\b",
)
FEE = words(
    r"\bfees? notice\b",
    r"\b(?:pay|payment of) (?:a |the )?(?:fee|charge|sum|amount)\b",
    r"\bfee of \xa3",
    r"\bpayment (?:of \xa3[\d.,]+ )?(?:is )?(?:required|due|must be (?:made|received))\b",
    r"\bonce (?:the )?(?:fee|payment) (?:has been|is) (?:paid|received)\b",
    r"\bcheques? (?:should|made) payable\b",
    r"\bdisbursement",
    r"\b(?:section|s\.?) ?9 ",
)
EXTENSION = words(
    r"\b(?:further|additional|more|extra) time (?:is needed |is required |needed |required )?to consider (?:the )?public interest\b",
    r"\bextend(?:ed|ing)? (?:the )?(?:time|deadline|response time|time ?limit|time for response|date)\b[^\x00]{0,120}\bpublic interest\b",
    r"\bpublic interest\b[^\x00]{0,200}\b(?:extend|extension|further time|additional time|beyond the 20|beyond 20|more time)\b",
    r"\bsection 10 ?\(3\)",
    r"\bs\.? ?10 ?\(3\)",
    r"\b(?:not|unable to) (?:be able to )?(?:respond|reply|provide a response)(?: to your request)? within (?:the )?(?:statutory|20 working day|twenty working day|20 day)",
    r"\bfurther delay in (?:the )?(?:processing|response)\b",
    r"\bnew (?:response|target|due) date\b",
    r"\b(?:require|need|needs|requires) (?:further|additional|more|extra) time (?:to (?:respond|consider|complete|deal)|in order)\b",
    r"\b(?:now )?expect to (?:respond|provide (?:a|our) response|reply) (?:to you )?by\b",
    r"\b(?:have not|haven't) (?:yet )?been able to (?:respond|complete|finali[sz]e|provide (?:a|our|you with a) response)\b",
    r"\bapologi[sz]e (?:for|that) (?:the|this|any) delay\b",
    r"\b(?:still|currently) (?:working on|processing|considering|dealing with) your request\b",
    r"\b(?:response|reply) (?:will be|is|has been) delayed\b",
    r"\bdelay(?:s|ed)? in (?:responding|our response|processing|the processing)\b",
)
AWAY = words(
    r"\bout of (?:the )?office\b",
    r"\bi am (?:currently )?(?:away|out|off|absent|not in|on leave|working remotely)\b",
    r"\bi'm (?:currently )?(?:away|out|off|on leave)\b",
    r"\bon (?:annual|maternity|paternity|parental|sick|study|long[- ]term) leave\b",
    r"\baway from (?:the|my) (?:office|desk)\b",
    r"\b(?:limited|no) access to (?:my )?e-?mails?\b",
    r"\bback in the office\b",
    r"\buntil my return\b",
    r"\bon my return\b",
    r"\bno longer (?:work|working|employed) (?:for|at|with)\b",
    r"\b(?:mailbox|inbox|e-?mail address|account) (?:is )?(?:no longer|not) (?:monitored|in use|active|being monitored)\b",
    r"\bno longer in use\b",
    r"\bthis (?:mailbox|inbox|e-?mail address|account) is (?:only )?(?:for|used for|not for)\b",
)

# --- sentences that are the Act's mechanics, not the force's act ------------------------------
BOILERPLATE = words(
    r"\bplaces two duties\b",
    r"\bthe (?:first|second) duty (?:at|under) s(?:ection|ec)? ?1\b",
    r"\bunless exemptions apply\b",
    r"\bpurpose of the act is to allow\b",
    r"\bsubject to certain limitations and exemptions\b",
    r"\bblind (?:to|as to) the identity\b",
    r"\bregarded as being published\b",
    r"\bpublic domain without caveat\b",
    r"\b(?:if|should) you (?:are|feel) (?:dissatisfied|unhappy|not happy|not satisfied)\b",
    r"\bright (?:to|of) (?:complain|appeal|request an internal review)\b",
    r"\bcomplaint rights\b",
    r"\byou (?:may|can|have the right to) (?:request|ask for|apply for) an internal review\b",
    r"\bwithin (?:40|forty) working days\b",
    r"\binformation commissioner'?s? office\b[^\x00]{0,60}\b(?:wycliffe|cheshire|sk9|helpline|www\.ico|ico\.org)\b",
    r"\bexplanatory notes? (?:are|is) shown here\b",
    r"\bthis communication is intended for the addressee\b",
    r"\bthis e-?mail (?:and any|is intended|contains)\b",
    r"\bconfidential or privileged\b",
    r"\bwe are committed to\b",
    r"\b(?:states|specifies) (?:that fact|the exemption)\b",
    r"\bis (?:to any extent )?relying on a claim\b",
    r"\bmust,? within the time for complying\b",
)
NEGATION = re.compile(r"\b(?:not|never|rather than|instead of|without|nor)\b|n't\b")
CLARIFY_HOLD = words(
    r"\bsection 1 ?\(3\)",
    r"\b(?:on hold|paused|stopped|suspended) (?:until|pending)\b",
    r"\b(?:until|once|when) (?:we|the force) (?:receive|have received|hear)\b",
    r"\buntil (?:this|your|the) clarification is received\b",
    r"\b(?:period|clock) will (?:begin again|restart|start again)\b",
    r"\bwe have not refused\b",
)
CONDITIONAL = re.compile(
    r"\b(?:if|where|should|may|might|unless|whether|in (?:some|certain) cases|in the event"
    r"|can apply|could apply|would apply)\b"
)
REQUEST_START = re.compile(
    r"\b(?:you asked|you requested|your request|request details|request|i note you seek|"
    r"you (?:have )?(?:requested|seek)|you wrote|the request)(?: (?:was|is|reads))?(?: (?:for|the following|access to the following)(?: information)?)? ?:"
)
RESPONSE_START = re.compile(
    r"\b(?:in response|our response|response|answer|decision|reply|in reply)\b ?:?"
)



def write_gates() -> Path:
    """Rewrite ``gates.json`` after changing a pattern (a test says when it is needed)."""
    GATES.write_text(json.dumps(gates(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return GATES
