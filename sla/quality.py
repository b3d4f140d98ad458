"""Is an agent's reply generic? Pure, offline, explained.

A reply is generic when it would not count as an answer: stock phrases with nothing of the
case in them, a courteous reply to a different question, a catch-all template reused on
tickets whose questions differ, a repeat of the previous reply, or a request for something
the ticket already contains. Each signal gives a strength in 0..1 and, when it fires, a
reason that quotes what triggered it; the score is their noisy-OR (1 - Π(1 - strength)) and
the reply is generic from ``GENERIC_THRESHOLD``.

Key terms are weighted like IDF without a corpus: function words weigh 0, the vocabulary of
every support conversation ("order", "help", "issue", "team") 0.3, other words 1, and
identifiers (model numbers, order and case ids) and product-category words are *anchors*:
they tie a reply to the ticket but echoing them answers nothing. Light stemming and a small
synonym table make "disabled"/"disable" and "sofa"/"couch" meet.

Thresholds were tuned on ``tests/data/reply_quality/tuning.jsonl`` only; the held-out part
measures them (``tests/sla/test_quality_eval.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from sla.fingerprints import Fingerprint, reply_body, reply_fingerprint, shingles, similarity

__all__ = [
    "GENERIC_THRESHOLD",
    "Assessment",
    "RecentReply",
    "assess_reply",
]

GENERIC_THRESHOLD: Final = 0.5
TEMPLATE_SIMILARITY: Final = 0.5
REPEAT_SIMILARITY: Final = 0.5
SAME_QUESTION: Final = 0.3
LONG_REPLY_WORDS: Final = 30
MAX_CHARS: Final = 20_000
"""Longer questions and replies are read up to here (quoted threads, pasted logs)."""
QUESTIONS_COMPARED: Final = 12
"""Distinct questions of reuses read per call; the share of misfits extrapolates the rest."""


@dataclass(frozen=True, slots=True)
class RecentReply:
    """A reply sent on other tickets: its text, the question it answered, how many times.

    ``fingerprint``, when the database layer has it stored, spares re-reading the text: the
    reply is then compared by MinHash signature (a few microseconds) instead of shingles.
    """

    text: str
    question: str = ""
    count: int = 1
    fingerprint: Fingerprint | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    """The verdict: ``score`` 0..1 (higher is more generic), ``generic`` from
    ``GENERIC_THRESHOLD``, and the reasons an agent reads, strongest first."""

    generic: bool
    score: float
    reasons: list[str] = field(default_factory=list)


# --- vocabulary ---------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS: Final = _words(
    """a about above after again against all almost along already also although always am
    among an and another any anybody anymore anyone anything anyway anywhere are aren't
    around as at be because been before being below besides between both but by can can't
    cannot could couldn't did didn't do does doesn't doing don't done down during each
    either else enough etc even ever every except few for from further had hadn't has hasn't
    have haven't having he her here hers herself him himself his how however i i'd i'll i'm
    i've if in into is isn't it it's its itself just least less let let's many may maybe me
    might mine more most much must mustn't my myself neither no nor not of off often on once
    one only onto or other others otherwise our ours ourselves out over own per perhaps quite
    rather re really same shall she should shouldn't since so some somebody someone
    something sometimes somewhat soon still such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those
    though through thus to too toward towards under until up upon us very via was wasn't we
    we'd we'll we're we've were weren't what what's whatever when where whether which while
    who whom whose why will with within without won't would wouldn't yet you you'd you'll
    you're you've your yours yourself yourselves hi hello hey dear thanks thank please pls
    ok okay yes yeah yep no nope sure lol fw fwd hey ah oh"""
)
_LOW_VALUE: Final = _words(
    """order orders ordered product products item items help helps helped issue issues
    problem problems question questions support customer customers service services team
    request requests contact contacted contacting information info detail details time times
    day days week weeks month months year years thing things way ways work works worked
    working use used using buy bought buying purchase purchased new old again last first
    second message messages email e-mail mail reply replied answer answered case ticket
    today yesterday tomorrow now ago ever never always really good bad great fine happy
    know knew get gets got getting make makes made want wants wanted need needs needed like
    liked tell told say said see seen look looked find found try tried trying able possible
    anything everything nothing website site shop store company people lot bit little
    thanks kind regards best wish hope hoping come came go going went give gave take took
    put set keep kept let call called write wrote send sent receive received check checked
    still already also understand experience feedback concern inquiry enquiry query matter
    department specialist specialists patience understanding apology apologies inconvenience
    sorry appreciate value valued thank assist assistance update updates soon shortly asap
    possible able number account accounts two three four five six seven eight nine ten
    several"""
)
_CATEGORY: Final = _words(
    """kettle kettles robot robots vacuum vacuums headphone headphones earbud earbuds router
    routers watch phone tablet laptop device devices machine appliance washer mesh app
    coffee"""
)
_SYNONYMS: Final = {
    "couch": "sofa",
    "settee": "sofa",
    "shipping": "deliver",
    "shipment": "deliver",
    "ship": "deliver",
    "ships": "deliver",
    "shipped": "deliver",
    "delivery": "deliver",
    "delivered": "deliver",
    "dispatch": "deliver",
    "dispatched": "deliver",
    "package": "parcel",
    "packages": "parcel",
    "guarantee": "warranty",
    "guaranty": "warranty",
    "picture": "photo",
    "pictures": "photo",
    "pic": "photo",
    "pics": "photo",
    "image": "photo",
    "images": "photo",
    "photograph": "photo",
    "defective": "broken",
    "faulty": "broken",
    "broke": "broken",
    "damaged": "broken",
    "cancellation": "cancel",
    "cancelled": "cancel",
    "canceled": "cancel",
    "connection": "connect",
    "pairing": "connect",
    "pair": "connect",
    "paired": "connect",
    "e-mail": "email",
    "e-mails": "email",
    "emails": "email",
    "wi-fi": "wifi",
    "wlan": "wifi",
    "wireless": "wifi",
    "colour": "color",
    "colours": "color",
    "cost": "price",
    "costs": "price",
    "fee": "price",
    "fees": "price",
    "television": "tv",
    "refunded": "refund",
    "reimburse": "refund",
    "signin": "login",
    "mobile": "phone",
    "reset": "restart",
    "cellphone": "phone",
    "reboot": "restart",
    "rebooted": "restart",
    "unsubscribed": "unsubscribe",
}
_STOCK_PHRASES: Final = (
    r"thank(?:s| you)(?: (?:so|very) much)?(?: again)? for (?:contacting|reaching out(?: to)?"
    r"|getting in touch(?: with)?|writing(?: to)?|your (?:message|e-?mail|inquiry|enquiry"
    r"|question|patience|understanding|feedback|interest|order|purchase|report|request|review"
    r"|kind words|loyalty|business|time)|choosing|shopping with|being a)(?: us| our \w+)?",
    r"we (?:have |'ve )?(?:forwarded|passed|escalated|shared|referred|sent|transferred|noted)"
    r"(?: on)? (?:your|the) (?:request|case|message|inquiry|enquiry|concern|ticket|feedback"
    r"|comments?|query|question|claim)(?: on)?(?: to)?(?: (?:the|our) (?:\w+ ){0,2}"
    r"(?:department|team|specialists|colleagues))?",
    r"(?:your|the) (?:request|case|message|inquiry|enquiry|concern|ticket|feedback|comments?"
    r"|query|question|claim) (?:has|have) been (?:forwarded|passed|escalated|shared|noted"
    r"|received|sent)(?: on)?(?: to (?:the |our )?(?:\w+ ){0,2}(?:department|team|specialists"
    r"|colleagues))?",
    r"(?:and )?(?:they|we|someone|a member of (?:our|the) team)(?: will|'ll) (?:get back to you"
    r"|contact you|be in touch|update you|respond|reply|let you know|inform you|notify you"
    r"|review your (?:case|request))(?: (?:again|shortly|soon|as soon as possible|asap"
    r"|with (?:an update|more information)|within \d+(?:-\d+)? (?:business |working )?"
    r"(?:hours|days)))*",
    r"as soon as (?:possible|we (?:have|receive) (?:more information|an update)|there is an"
    r" update)",
    r"(?:we )?(?:sincerely |do )?apologi[sz]e for (?:any|the) (?:inconvenience|trouble|delay"
    r"|confusion|frustration)(?: (?:this|that) (?:may have|has|might have) caused(?: you)?"
    r"| caused)?",
    r"(?:we are|we're|i am|i'm) (?:so |very |really )?sorry (?:to hear (?:about (?:this|that"
    r"|the \w+)|that|this|you(?:'re| are)|of)|for (?:any|the) (?:inconvenience|trouble|delay"
    r"|confusion))",
    r"we value (?:your|all) (?:feedback|business|opinion|comments?|input)",
    r"we (?:truly )?appreciate (?:your|you) (?:patience|understanding|feedback|business"
    r"|loyalty|taking the time|reaching out|being a)",
    r"(?:thank you for|we appreciate) your (?:patience|understanding)(?: and (?:patience"
    r"|understanding))?",
    r"please allow \d+(?:-\d+)? (?:business |working )?(?:hours|days)",
    r"(?:please )?(?:do not|don't|never) hesitate to (?:contact|reach out to|get in touch with)"
    r" us",
    r"(?:if you have|should you have|for) any (?:other|further|more|additional) (?:questions"
    r"|concerns)",
    r"(?:feel free|please) (?:to )?(?:contact|reach out to|let) us(?: know)?(?: again)?",
    r"have a (?:great|nice|wonderful|lovely|good) (?:day|weekend|evening)",
    r"we(?: are|'re)(?: always)? (?:happy|glad|here) to (?:help|assist)",
    r"your satisfaction is (?:our|very)(?: (?:top|highest|number one|first|main))?"
    r"(?: priority| important(?: to us)?)?",
    r"rest assured(?: that)?",
    r"we take (?:all|every|your) (?:feedback|comments?|reports?|concerns?|complaints?)"
    r"(?: (?:very )?seriously)?",
    r"(?:our|the) (?:\w+ )?(?:team|specialists|department|technicians?) (?:is|are) (?:currently )?"
    r"(?:looking into|reviewing|investigating|working on) (?:this|it|your (?:case|request)"
    r"|the matter|the issue)",
    r"we understand (?:how (?:frustrating|important|inconvenient)|your frustration)(?: [^.!]"
    r"{0,40})?",
    r"we (?:hope|trust) (?:this|that) (?:helps|information helps)",
    r"(?:we )?look forward to (?:hearing from you|serving you|your (?:reply|order))(?: again)?",
    r"hope to see you again(?: soon)?",
    r"we(?: are|'re) (?:always )?(?:constantly )?(?:working|looking for ways|striving) to"
    r" (?:improve|provide)(?: [^.!]{0,40})?",
    r"(?:our )?(?:customer )?(?:service|support|care) (?:team )?is available (?:from )?\w+"
    r" to \w+(?: from [\d:]+ to [\d:]+)?",
    r"(?:please )?(?:refer to|check|read|see|visit) (?:the|our) (?:user )?(?:manual|website"
    r"|faq|help (?:centre|center)|product page|terms(?: of service)?|guidelines"
    r"|community guidelines|privacy policy|shipping information page)(?: for (?:more|further)"
    r" (?:information|details))?",
    r"for more information",
    r"thank you for your (?:cooperation|time)",
    r"we(?: are|'re) sorry (?:to hear )?(?:that )?(?:you(?:'re| are) (?:having|experiencing)"
    r"|your experience)(?: [^.!]{0,40})?",
    r"(?:i|we) (?:have )?checked your request and escalated it to our specialists",
    r"thank(?:s| you) for (?:sharing|upgrading|subscribing|signing up|joining|purchasing"
    r"|your kind words)(?: your (?:review|feedback|thoughts|experience))?",
    r"your (?:opinion|feedback|privacy|satisfaction) (?:matters|is important|is very important)"
    r"(?: to us)?",
    r"we appreciate (?:the time you took|you taking the time)(?: to [^.!]{0,30})?",
    r"we (?:hope|trust) you (?:will )?(?:enjoy|continue to enjoy|love)(?: [^.!]{0,40})?",
    r"(?:due to|for) (?:privacy|data protection|security|confidentiality) reasons(?:,? we"
    r" (?:cannot|can't|are unable to|are not able to) (?:share|disclose|provide) [^.!]{0,60})?",
    r"we are committed to (?:protecting|providing|ensuring)(?: [^.!]{0,60})?",
    r"(?:we|i) understand (?:your (?:concern|frustration)|how you feel)",
    r"(?:our )?(?:team|moderators|agents) (?:reviews?|checks?) (?:every|each|all) (?:report"
    r"|review|request|case)s? carefully",
    r"(?:we|and) (?:will )?take appropriate action(?: where necessary| if needed)?",
    r"(?:we|i) (?:have )?received your (?:message|e-?mail|request|inquiry)",
    r"(?:we are|we're) (?:thrilled|delighted|happy|glad) to hear(?: that)?",
    r"(?:thank you for being|as) a (?:valued|loyal) customer",
    r"(?:we )?wish you a (?:great|nice|lovely|wonderful) day(?: as well)?",
)
_STOCK: Final = re.compile(
    "(?:" + "|".join(f"(?:{phrase})" for phrase in _STOCK_PHRASES) + r")\b", re.IGNORECASE
)
_STOCK_FIRST_WORDS: Final = _words(
    """a and apologise apologize as care check customer do don't due feel for have hope i i'm
    if look never our please read refer rest see service should sincerely someone support
    thank thanks the they visit we we're we've wish your"""
)
"""Every word a stock phrase can start with: the phrase regex is tried only there."""
_LETTERS: Final = re.compile(r"[A-Za-z']+")

_WORD: Final = re.compile(r"#?[^\W_]+(?:['\u2019./:-][^\W_]+)*")
_SENTENCES: Final = re.compile(r"(?<=[.!?])\s+|\n+")
_ASK_START: Final = re.compile(
    r"^(?:please|can you|could you|would you|i want|i'd like|i would like|i need|how|what"
    r"|why|where|when|which|who|is|are|do|does|did|can|could|will|would|should|help)\b",
    re.IGNORECASE,
)
_YES_NO_QUESTION: Final = re.compile(
    r"(?:^|[.!?\n]\s*)(?:and |so |but )?(?:do|does|did|is|are|was|were|can|could|will|would"
    r"|should|has|have|may|isn't|doesn't|won't)\b[^.!?\n]*(?:\?|$)",
    re.IGNORECASE | re.MULTILINE,
)
_QUANTITY_QUESTION: Final = re.compile(
    r"\b(?:how (?:long|many|much|often|far|big|soon|old|loud|heavy)|what (?:size|time|date)"
    r"|what is the (?:minimum|maximum|price|limit)|when|which day|by when)\b",
    re.IGNORECASE,
)
_HOW_TO_QUESTION: Final = re.compile(
    r"\b(?:how (?:do|can|could|should) (?:i|we)|how to|where (?:do|can|is|are)|what (?:do|"
    r"should|can) (?:i|we) do|is (?:it|there) (?:possible|a way)|can i)\b",
    re.IGNORECASE,
)
_WHY_QUESTION: Final = re.compile(
    r"\b(?:why|what (?:does|is|do) \S+(?: \S+)? mean|what (?:is|are) (?:this|that|it)\b"
    r"|what does (?:it|this|that) mean)",
    re.IGNORECASE,
)
_WHERE: Final = re.compile(r"\bwhere\b", re.IGNORECASE)
_YES_NO_ANSWER: Final = re.compile(
    r"^\W*(?:yes|no|yep|nope|sure|unfortunately|sadly|correct|not|never|only|absolutely"
    r"|definitely|indeed|of course|yes and no)\b",
    re.IGNORECASE,
)
_QUANTITY_ANSWER: Final = re.compile(
    r"(?<![A-Za-z-])\d|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tonight"
    r"|tomorrow|today|next (?:week|month)|hours?|minutes?|days?|weeks?)\b",
    re.IGNORECASE,
)
_STEP_ANSWER: Final = re.compile(
    r">|(?:^|[.:;!]\s+|\n)(?:go to|open|tap|click|press|hold|select|choose|enable|disable|turn"
    r"|switch|set|use|add|remove|print|log in|enter|scan|unplug|plug|fill|clean|send|reply"
    r"|verify|pick|delete|install|download)\b",
    re.IGNORECASE,
)
_WHY_ANSWER: Final = re.compile(
    r"\b(?:because|since|due to|that's why|this is why|means|is caused|happens when|reason"
    r"|so that)\b|=",
    re.IGNORECASE,
)
_WHERE_ANSWER: Final = re.compile(
    r"\b(?:under|behind|inside|beneath|below|above|next to|on the|in the|at the|at any)\b|>"
    r"|https?://|\b[\w-]+\.(?:com|org|net)\b",
    re.IGNORECASE,
)


# --- terms --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Term:
    key: str
    surface: str
    weight: float
    anchor: bool


def _stem(word: str) -> str:
    word = _SYNONYMS.get(word, word)
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement, minimum in (
        ("ies", "y", 5),
        ("sses", "ss", 5),
        ("ing", "", 6),
        ("ed", "", 5),
        ("es", "", 5),
        ("s", "", 4),
        ("ly", "", 5),
    ):
        if word.endswith(suffix) and len(word) >= minimum and not word.endswith("ss"):
            word = word[: len(word) - len(suffix)] + replacement
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2]:
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return _SYNONYMS.get(word, word)


_DIGIT: Final = re.compile(r"\d")
_ORDINAL: Final = re.compile(r"^(\d{1,3})(?:st|nd|rd|th)$")
_NEGATION_PREFIXES: Final = ("un", "in", "dis", "non", "re")


@lru_cache(maxsize=16384)
def _term(token: str) -> _Term | None:
    surface = token.strip("#.:-'\u2019")
    lowered = surface.lower().replace("\u2019", "'")
    if _DIGIT.search(lowered):
        ordinal = _ORDINAL.match(lowered)
        key = ordinal.group(1) if ordinal else re.sub(r"[^0-9a-z]", "", lowered)
        if key.isdigit() and len(key) <= 3:
            return _Term(key, surface, 0.8, anchor=False)
        return _Term(key, surface, 1.0, anchor=True)
    shouted = len(surface) >= 2 and surface.isupper() and surface.isalpha()
    if len(lowered) < 2 or (lowered in _STOPWORDS and not shouted):
        return None
    key = _stem(lowered)
    if lowered in _CATEGORY or key in _CATEGORY:
        return _Term(key, surface, 0.6, anchor=True)
    if lowered in _LOW_VALUE or key in _LOW_VALUE:
        return _Term(key, surface, 0.3, anchor=False)
    if len(lowered) <= 2 and not shouted:
        return _Term(key, surface, 0.5, anchor=False)
    return _Term(key, surface, 1.0, anchor=False)


_PHRASES: Final = re.compile(
    r"\b(?:(?P<return>sen(?:d|t|ding) (?:\w+ )?back)|(?P<refund>money back)"
    r"|(?P<login>(?:log(?:ged|ging)?|sign(?:ed|ing)?) ?(?:in|on))"
    r"|(?P<restart>(?:off and (?:on|back on)|on and off)(?: again)?))\b",
    re.IGNORECASE,
)
"""Phrases that mean one word: "send it back" is "return", "off and on again" "restart"."""


def _terms(text: str) -> list[_Term]:
    lowered = text.lower()
    if "back" in lowered or "log" in lowered or "sign" in lowered or " off " in lowered:
        text = _PHRASES.sub(lambda match: str(match.lastgroup), text)
    out: list[_Term] = []
    for token in _WORD.findall(text):
        out += _token_terms(token)
    return out


@lru_cache(maxsize=16384)
def _token_terms(token: str) -> tuple[_Term, ...]:
    """Terms of one token: a hyphenated word ("BPA-free") gives its parts."""
    if "-" in token and token.lower() not in _SYNONYMS and not _DIGIT.search(token):
        return tuple(term for part in token.split("-") if (term := _term(part)) is not None)
    term = _term(token)
    return (term,) if term is not None else ()


@lru_cache(maxsize=16384)
def _variants(key: str) -> frozenset[str]:
    """The key and the key without a negating prefix: 'invalid' also meets 'valid'."""
    return frozenset(
        [key]
        + [
            key[len(prefix) :]
            for prefix in _NEGATION_PREFIXES
            if key.startswith(prefix) and len(key) - len(prefix) >= 4
        ]
    )


@dataclass(frozen=True, slots=True)
class _Question:
    terms: dict[str, _Term]
    focus: dict[str, float]
    asked: frozenset[str]
    """Substantial terms of the asking sentences of the body (not the subject)."""
    body: str
    yes_no: bool
    quantity: bool
    how_to: bool
    why: bool
    where: bool
    content_words: int


@lru_cache(maxsize=2048)
def _question(text: str) -> _Question:
    """Key terms of what the customer wrote.

    Terms of the subject line and of the asking sentences (those ending in "?", else those
    opening with "please", "how", "can you", ...) weigh in full; the rest of the message is
    context and weighs half, unless the asking sentences hold no substantial term of their
    own ("Where is my order 55012?") and the context is what says what is wrong.
    """
    subject, _, rest = text.partition("\n")
    body = reply_body(rest) if rest.strip() else ""
    sentences = [sentence for sentence in _SENTENCES.split(body) if sentence.strip()]
    asking = [s for s in sentences if s.rstrip().endswith("?")] or [
        s for s in sentences if _ASK_START.match(s.strip())
    ]
    parsed = [(sentence, _terms(sentence)) for sentence in [subject, *sentences]]
    substantial = any(
        term.weight >= 0.8 and not term.anchor
        for sentence, found in parsed
        if sentence in asking
        for term in found
    )
    asked = frozenset(
        term.key
        for sentence, found in parsed[1:]
        if sentence in asking
        for term in found
        if term.weight >= 0.8 and not term.anchor
    )
    terms: dict[str, _Term] = {}
    focus: dict[str, float] = {}
    for index, (sentence, found) in enumerate(parsed):
        factor = 1.0 if not substantial or not index or sentence in asking else 0.5
        for term in found:
            terms.setdefault(term.key, term)
            focus[term.key] = max(focus.get(term.key, 0.0), term.weight * factor)
    body = f"{subject}\n{body}" if body else subject
    return _Question(
        terms=terms,
        focus=focus,
        asked=asked,
        body=body,
        yes_no=bool(_YES_NO_QUESTION.search(body)),
        quantity=bool(_QUANTITY_QUESTION.search(body)),
        how_to=bool(_HOW_TO_QUESTION.search(body)),
        why=bool(_WHY_QUESTION.search(body)),
        where=any(
            _WHERE.search(sentence)
            for sentence in [subject, *sentences]
            if sentence.rstrip().endswith("?")
        ),
        content_words=sum(1 for term in terms.values() if term.weight >= 0.8),
    )


def _key_terms_label(question: _Question, limit: int = 4, exclude: Sequence[str] = ()) -> str:
    """The question's strongest terms, adjacent ones joined into phrases: 'report button'."""
    candidates = [
        term
        for term in question.terms.values()
        if not term.anchor and term.weight >= 0.8 and term.key not in exclude
    ]
    keys = {term.key for term in candidates if question.focus[term.key] >= 0.8} or {
        term.key for term in candidates
    }
    phrases: list[str] = []
    current: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in _WORD.finditer(question.body):
        gap = question.body[position : match.start()]
        position = match.end()
        if current and (gap.strip() or "\n" in gap):
            phrases.append(" ".join(current))
            current = []
        found = _token_terms(match.group())
        for term in found:
            if term.key in keys and term.key not in seen:
                current.append(term.surface)
                seen.add(term.key)
            elif current:
                phrases.append(" ".join(current))
                current = []
        if not found and current:
            phrases.append(" ".join(current))
            current = []
    if current:
        phrases.append(" ".join(current))
    return ", ".join(f"'{phrase}'" for phrase in phrases[:limit])


# --- the reply ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reply:
    body: str
    words: int
    stock_share: float
    stock_quotes: tuple[str, ...]
    remainder: str
    terms: tuple[_Term, ...]
    said: frozenset[str]
    """Keys of the non-stock terms and their variants."""


@lru_cache(maxsize=2048)
def _reply(text: str) -> _Reply:
    body = reply_body(text)
    words = len(_WORD.findall(body))
    quotes: list[str] = []
    pieces: list[str] = []
    position = 0
    for word in _LETTERS.finditer(body):
        if word.start() < position or word.group().lower() not in _STOCK_FIRST_WORDS:
            continue
        if word.start() and body[word.start() - 1].isalnum():
            continue
        match = _STOCK.match(body, word.start())
        if match is None:
            continue
        pieces += [body[position : match.start()], " | "]
        position = match.end()
        phrase = match.group().strip().lower()
        if phrase not in quotes:
            quotes.append(phrase)
    remainder = "".join([*pieces, body[position:]])
    remaining = len(_WORD.findall(remainder))
    terms = tuple(_terms(remainder))
    return _Reply(
        body=body,
        words=words,
        stock_share=1.0 - remaining / words if words else 0.0,
        stock_quotes=tuple(quotes),
        remainder=remainder,
        terms=terms,
        said=frozenset().union(*(_variants(term.key) for term in terms)),
    )


def _answer_shape(question: _Question, reply: _Reply) -> str | None:
    """What the non-stock part of a reply looks like an answer to, if anything.

    A long reply counts only when the shape is in its first sentence ("Usually 7-10 days
    door to door. ..."): a number somewhere in a long text proves nothing.
    """
    remainder = reply.remainder.strip(" |\n.!,")
    if question.yes_no and _YES_NO_ANSWER.match(remainder):
        return "yes_no"
    if reply.words >= LONG_REPLY_WORDS:
        sentences = [s for s in _SENTENCES.split(remainder) if len(_WORD.findall(s)) >= 3]
        remainder = sentences[0] if sentences else ""
    if question.quantity and _QUANTITY_ANSWER.search(remainder):
        return "quantity"
    if question.how_to and _STEP_ANSWER.search(remainder):
        return "steps"
    if question.why and _WHY_ANSWER.search(remainder):
        return "reason"
    if question.where and _WHERE_ANSWER.search(remainder):
        return "place"
    return None


def _novel_weight(question: _Question, reply: _Reply) -> float:
    return sum(term.weight for term in reply.terms if term.key not in question.terms)


# --- signals ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Coverage:
    strength: float
    reason: str | None
    share: float
    """Weighted share of the asking terms that the reply takes up, 0..1: the terms of the
    body's asking sentences, else all terms of full focus."""
    partial: tuple[str, ...] | None
    """When the reply takes up a key term but at most half of the asking ones: those it
    takes up (the reason is worded only when needed)."""


def _coverage(question: _Question, reply: _Reply) -> _Coverage:
    """Does the reply take up the question's key terms? Only its non-stock part counts.

    "Thank you for reaching out" does not address "can I reach my home network".
    """
    focus = {k: w for k, w in question.focus.items() if not question.terms[k].anchor}
    if not any(question.terms[key].weight >= 0.8 for key in focus):
        return _Coverage(0.0, None, 1.0, None)
    said = reply.said
    matched = [key for key in focus if not _variants(key).isdisjoint(said)]
    asking = {key: focus[key] for key in question.asked} or {
        key: weight for key, weight in focus.items() if weight >= 0.8
    }
    share = sum(asking[key] for key in matched if key in asking) / sum(asking.values())
    novel = _novel_weight(question, reply)
    shape = _answer_shape(question, reply)
    if any(focus[key] >= 0.8 for key in matched):
        if shape or share > 0.5:
            return _Coverage(0.0, None, share, None)
        partial = tuple(matched)
        if reply.stock_share >= 0.1:
            strength = min(0.7, 0.45 + reply.stock_share)
            return _Coverage(strength, _partial_reason(question, partial), share, partial)
        if share < 0.12 and reply.words >= LONG_REPLY_WORDS and novel >= 8:
            return _Coverage(0.35, _partial_reason(question, partial), share, partial)
        return _Coverage(0.0, None, share, partial)
    label = _key_terms_label(question)
    reason = f"Shares no key term with the question: {label}" if label else None
    if shape == "yes_no" and reply.words >= LONG_REPLY_WORDS:
        return _Coverage(min(0.7, 0.45 + reply.stock_share), reason, share, None)
    if shape:
        return _Coverage(0.1, None, share, None)
    if reply.words >= LONG_REPLY_WORDS:
        return _Coverage(0.8, reason, share, None)
    if novel >= 3:
        return _Coverage(0.55, reason, share, None)
    return _Coverage(0.7, reason, share, None)


def _partial_reason(question: _Question, matched: Sequence[str]) -> str | None:
    missing = _key_terms_label(question, exclude=matched)
    if not missing:
        return None
    strong = [key for key in matched if question.terms[key].weight >= 0.8] or matched
    echoed = ", ".join(f"'{question.terms[key].surface}'" for key in strong[:3])
    return f"Touches the question only through {echoed}; leaves out {missing}"


def _stock_signal(question: _Question, reply: _Reply) -> tuple[float, str | None]:
    if not reply.stock_quotes or reply.words < 4:
        return 0.0, None
    novel = _novel_weight(question, reply)
    share = reply.stock_share
    if share >= 0.35 and novel <= 2.0:
        strength = 0.85
    elif (share >= 0.5 and novel <= 4.0) or (share >= 0.25 and novel <= 1.0):
        strength = 0.6
    else:
        return 0.0, None
    if _answer_shape(question, reply) and novel >= 1.0:
        strength -= 0.4
    quotes = ", ".join(
        f"'{quote if len(quote) <= 60 else quote[:57].rsplit(' ', 1)[0] + '…'}'"
        for quote in reply.stock_quotes[:3]
    )
    return strength, f"Mostly stock phrases: {quotes}"


def _repeat_signal(reply: str, previous: Sequence[str]) -> tuple[float, str | None]:
    if not previous:
        return 0.0, None
    body = shingles(reply)
    best, position = 0.0, 0
    for index, earlier in enumerate(reversed(previous)):
        other = shingles(earlier)
        if not body or not other:
            continue
        common = len(body & other)
        alike = common / (len(body) + len(other) - common)
        if alike > best:
            best, position = alike, index
    if best < REPEAT_SIMILARITY:
        return 0.0, None
    which = "the previous reply" if position == 0 else "an earlier reply"
    if best >= 0.9:
        return 0.9, f"Same as {which} on this ticket"
    return 0.8, f"Nearly the same as {which} on this ticket ({round(best * 100)} % alike)"


def _question_overlap(first: _Question, second: _Question) -> float:
    """Weighted Jaccard similarity of the two questions' substantial terms, 0..1."""
    a = {k: first.focus[k] for k, t in first.terms.items() if t.weight >= 0.8 or t.anchor}
    b = {k: second.focus[k] for k, t in second.terms.items() if t.weight >= 0.8 or t.anchor}
    if not a or not b:
        return 0.0
    common = sum(min(a[k], b[k]) for k in a.keys() & b.keys())
    return common / (sum(a.values()) + sum(b.values()) - common)


_RAW_WORD: Final = re.compile(r"[a-z]{3,}")


@lru_cache(maxsize=8192)
def _raw_words(text: str) -> frozenset[str]:
    """Lower-case words of a whole message: a cheap first look before shingling it."""
    return frozenset(_RAW_WORD.findall(text.lower()))


def _overlap(first: frozenset[str], second: frozenset[str]) -> float:
    return len(first & second) / (len(first | second) or 1)


def _fits(question: _Question, said: frozenset[str]) -> bool:
    """Whether a reply takes up at least one substantial term of a question."""
    return any(
        not _variants(key).isdisjoint(said)
        for key, term in question.terms.items()
        if term.weight >= 0.8 and not term.anchor
    )


def _template_signal(
    question: _Question,
    reply: str,
    parsed: _Reply,
    recent: Sequence[str | RecentReply],
    coverage: _Coverage,
) -> tuple[float, str | None]:
    """A template is generic when it was sent to questions it has nothing to do with.

    A reuse counts against the template when the other ticket's question differs from this
    one *and* the template takes up none of its key terms (a catch-all). A topical template
    (the warranty text sent to warranty questions) is judged by how well it covers this
    question: reused widely and touching this question only at its edge, it is generic too.
    """
    if not recent or not parsed.words:
        return 0.0, None
    body = shingles(reply)
    own: Fingerprint | None = None
    alike: list[tuple[int, str]] = []
    for candidate in recent:
        if isinstance(candidate, str):
            candidate = RecentReply(candidate)
        if candidate.fingerprint is not None:
            own = own or reply_fingerprint(reply)
            similar = similarity(own, candidate.fingerprint)
        elif _overlap(_raw_words(reply), _raw_words(candidate.text)) < 0.25:
            continue
        else:
            other = shingles(candidate.text)
            common = len(body & other)
            similar = common / (len(body) + len(other) - common) if other else 0.0
        if similar >= TEMPLATE_SIMILARITY:
            alike.append((max(1, candidate.count), candidate.question.strip()))
    alike.sort(key=lambda pair: -pair[0])
    misfits = fits = unknown = rest = 0
    compared: set[str] = set()
    for count, text in alike:
        if not text:
            unknown += count
        elif len(compared) >= QUESTIONS_COMPARED and text not in compared:
            rest += count
        else:
            compared.add(text)
            theirs = _question(text)
            if _question_overlap(question, theirs) < SAME_QUESTION and not _fits(
                theirs, parsed.said
            ):
                misfits += count
            else:
                fits += count
    if rest:
        extra = round(rest * misfits / (misfits + fits))
        misfits, fits = misfits + extra, fits + rest - extra
    if misfits and misfits * 2 >= fits:
        strength = min(0.75, 0.45 + 0.1 * math.log2(misfits))
        strength *= 1.0 - min(1.0, coverage.share) * 0.8
        noun = "ticket" if misfits == 1 else "tickets"
        return strength, f"Reused on {misfits} other {noun} with different questions"
    reused = misfits + fits + unknown
    partial = _partial_reason(question, coverage.partial) if coverage.partial else None
    if reused >= 3 and partial:
        return 0.55, f"Reused on {reused} other tickets; {partial[0].lower()}{partial[1:]}"
    if unknown and coverage.share < 0.15:
        noun = "ticket" if unknown == 1 else "tickets"
        return min(0.6, 0.3 + 0.1 * math.log2(unknown + 1)), f"Reused on {unknown} other {noun}"
    return 0.0, None


_REQUEST: Final = re.compile(
    r"\b(?:please|could you|can you|would you|kindly|we need|we'll need|we will need|need you"
    r"|let us know|tell us|send|provide|share|confirm|reply with|include|attach|give us"
    r"|so (?:that )?we can|in order to)\b",
    re.IGNORECASE,
)
_GIVEN: Final = (
    (
        "the order number",
        re.compile(r"\border (?:number|no\b|id\b|reference)|\border #", re.I),
        re.compile(
            r"\b(?i:order|bestellung)\s*(?i:number|no\.?|nr\.?|id|#)?\s*[:#]?\s*"
            r"(#?[A-Z]{0,3}-?\d[\d-]{3,}\d)|(#[A-Z]{1,3}-?\d{4,})"
        ),
    ),
    (
        "a photo",
        re.compile(r"\b(?:photos?|pictures?|images?|screenshots?|pics?|video)\b", re.I),
        re.compile(
            r"((?:photos?|pictures?|images?|screenshots?|pics|video)\b[^.!?\n]{0,30}\battached"
            r"|\battach\w*\b[^.!?\n]{0,30}\b(?:photos?|pictures?|images?|screenshots?|pics"
            r"|video)\b|\bsent (?:you )?(?:the )?(?:photos|pictures|pics|screenshots)\b"
            r"[^.!?\n]{0,15}|\b\w+\.(?:jpe?g|png|heic)\b)",
            re.I,
        ),
    ),
    (
        "the serial number",
        re.compile(r"\bserial(?: number)?\b", re.I),
        re.compile(
            r"\b(?i:serial(?:\s*(?:number|no\.?|nr\.?))?|s/n|sn)\b[^:\n]{0,30}?[:#]?\s*"
            r"([A-Z0-9]*\d[A-Z0-9-]{3,})"
        ),
    ),
    (
        "the e-mail address",
        re.compile(r"\be-?mail address\b|\baddress (?:of|on|registered)", re.I),
        re.compile(r"\b([\w.+-]+@[\w-]+(?:\.[\w-]+)+)\b"),
    ),
    (
        "the tracking number",
        re.compile(r"\btracking (?:number|code|id)\b", re.I),
        re.compile(r"\b(1Z[0-9A-Z]{16}|[A-Z]{2}\d{9}[A-Z]{2}|\d{12,22})\b"),
    ),
    (
        "the invoice",
        re.compile(r"\b(?:invoice|receipt|proof of purchase)\b", re.I),
        re.compile(
            r"((?:invoice|receipt)\b[^.!?\n]{0,20}\battach\w*|\battach\w*\b[^.!?\n]{0,30}"
            r"\b(?:invoice|receipt))",
            re.I,
        ),
    ),
    (
        "the phone number",
        re.compile(r"\bphone number\b", re.I),
        re.compile(r"(\+\d[\d ()-]{7,}\d)"),
    ),
    (
        "the address",
        re.compile(r"\b(?:correct|new|delivery|shipping|postal|company) address\b", re.I),
        re.compile(
            r"([A-ZÄÖÜ][\wäöüß]*(?:straße|strasse|str\.)\s*\d+|\d+\s+[A-Z]\w+\s+(?:Street|St"
            r"|Road|Rd|Avenue|Ave)\b|\b[A-Z]\w+\s+(?:Street|Road|Avenue)\s+\d+)"
        ),
    ),
    (
        "the listing",
        re.compile(r"\b(?:listing (?:id|number|link)|id of the listing|link to the listing)", re.I),
        re.compile(r"\b(?i:listing)\s*(?i:id|number|#)?\s*:?\s*(\d{3,})"),
    ),
    (
        "the seller's name",
        re.compile(r"\b(?:name of the seller|seller(?:'s)? name)\b", re.I),
        re.compile(
            r"\b(?i:seller)\s*:?\s*['\"\u2018\u201c]([^'\"\u2019\u201d]{2,40})['\"\u2019\u201d]"
        ),
    ),
    (
        "the VAT number",
        re.compile(r"\bvat (?:number|id)\b", re.I),
        re.compile(r"\b(?i:vat)\s*(?i:number|no\.?|id)?\s*:?\s*([A-Z]{2}\d{8,12})\b"),
    ),
    (
        "a link to the original",
        re.compile(r"\blink to (?:your|the) original\b", re.I),
        re.compile(r"((?:https?://)?[\w-]+(?:\.[\w-]+)+/\S+)"),
    ),
)
_FINDING: Final = re.compile(r"\b(?:where|find|locate|look up)\b", re.IGNORECASE)
_DESCRIPTION_REQUEST: Final = re.compile(
    r"\b(?:describe|description of|more (?:details|information) about (?:the|your) (?:issue"
    r"|problem)|(?:details|information) (?:about|on) (?:the|your) (?:issue|problem)"
    r"|which item was missing|what (?:the|your) (?:issue|problem) is|what (?:went wrong"
    r"|happened))\b",
    re.IGNORECASE,
)
_DONE: Final = re.compile(
    r"\b(?:i|we)(?:'ve| have)?\s+(?:already\s+|also\s+)?(?:tried|try|checked|cleaned|reset"
    r"|restarted|rebooted|updated|unsubscribed|cleared|reinstalled|looked|confirmed"
    r"|told you)\b[^.!?\n,;]{0,60}"
    r"|\bnot in (?:the )?spam\b[^.!?\n]{0,20}|\bneighbou?rs? (?:don't|do not|didn't) have it\b",
    re.IGNORECASE,
)
_SUGGESTION: Final = re.compile(
    r"\b(?:please|try|make sure|check|ensure|whether you have|have you|we recommend|you can"
    r"|double-check|confirm|look around)\b",
    re.IGNORECASE,
)


_ASKED_FOR: Final = re.compile(
    "|".join(f"(?P<k{index}>{asked.pattern})" for index, (_, asked, _) in enumerate(_GIVEN)),
    re.IGNORECASE,
)


def _asks_for_given_signal(question: _Question, reply: _Reply) -> list[tuple[float, str]]:
    if not _REQUEST.search(reply.body):
        return []
    sentences = [s for s in _SENTENCES.split(reply.body) if _REQUEST.search(s)]
    kinds = {
        int(str(match.lastgroup)[1:])
        for sentence in sentences
        for match in _ASKED_FOR.finditer(sentence)
    }
    found: list[tuple[float, str]] = []
    for index, (name, asked, given) in enumerate(_GIVEN):
        if index not in kinds:
            continue
        match = given.search(question.body)
        if not match and any(
            _FINDING.search(sentence) and asked.search(sentence)
            for sentence in _SENTENCES.split(question.body)
        ):
            found.append((0.7, f"Asks for {name}, which the customer is asking how to find"))
        if match:
            value = next((group for group in match.groups() if group), match.group())
            quoted = value.strip() if value[:1].isdigit() or "#" in value else f"'{value.strip()}'"
            found.append((0.8, f"Asks for {name}, which the customer already gave: {quoted}"))
    if question.content_words >= 6 and any(_DESCRIPTION_REQUEST.search(s) for s in sentences):
        found.append((0.7, "Asks for a description of the problem, which the ticket already has"))
    return found


def _already_done_signal(question: _Question, reply: _Reply) -> tuple[float, str | None]:
    """A suggestion to do what the customer says they did ("I tried another socket")."""
    done = [
        match
        for sentence in _SENTENCES.split(question.body)
        if not sentence.rstrip().endswith("?")
        for match in _DONE.finditer(sentence)
    ]
    if not done:
        return 0.0, None
    for match in done:
        done_keys = {t.key for t in _terms(match.group()) if t.weight >= 0.8 and not t.anchor}
        if not done_keys:
            continue
        for sentence in _SENTENCES.split(reply.body):
            if not _SUGGESTION.search(sentence):
                continue
            keys = {t.key for t in _terms(sentence)}
            if keys & done_keys:
                said = match.group().strip()
                return 0.6, f"Suggests what the customer says they already did: '{said}'"
    return 0.0, None


# --- entry point --------------------------------------------------------------------------


def assess_reply(
    question: str,
    reply: str,
    *,
    previous_replies: Sequence[str] = (),
    recent_replies: Sequence[str | RecentReply] = (),
) -> Assessment:
    """Assess a public agent reply before it is sent.

    ``question``: everything the customer wrote on the ticket (subject line first).
    ``previous_replies``: earlier public agent replies on this ticket, oldest first.
    ``recent_replies``: replies on *other* tickets found as candidates (by band key of
    ``sla.fingerprints.reply_fingerprint``), as text or as ``RecentReply`` with the question
    they answered, how many tickets got them, and their stored ``Fingerprint``. With stored
    fingerprints a call costs a few hundred microseconds whatever the texts' length; the
    reply's own fingerprint, computed for the lookup just before, is cached by text.
    """
    asked = _question(question[:MAX_CHARS])
    said = _reply(reply[:MAX_CHARS])
    reply = reply[:MAX_CHARS]
    if not said.words:
        return Assessment(True, 1.0, ["Says nothing beyond a greeting and a signature"])
    coverage = _coverage(asked, said)
    signals: list[tuple[float, str | None]] = [
        (coverage.strength, coverage.reason),
        _stock_signal(asked, said),
        _repeat_signal(reply, previous_replies),
        _template_signal(asked, reply, said, recent_replies, coverage),
        _already_done_signal(asked, said),
        *_asks_for_given_signal(asked, said),
    ]
    remaining = 1.0
    for strength, _ in signals:
        remaining *= 1.0 - max(0.0, min(1.0, strength))
    score = round(1.0 - remaining, 3)
    fired = [
        reason
        for strength, reason in sorted(signals, key=lambda s: -s[0])
        if reason and strength >= 0.3
    ]
    reasons = [r for r in fired if not any(r != other and r.lower() in other for other in fired)]
    return Assessment(generic=score >= GENERIC_THRESHOLD, score=score, reasons=reasons)
