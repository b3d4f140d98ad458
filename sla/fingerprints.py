"""Fingerprints of agent replies, so that a reused template is found by an index lookup.

Two replies made from one template differ in the greeting, the signature, the customer's
name, order numbers and the odd product name. ``normalise`` removes exactly those: the
greeting line, the sign-off and signature block, quoted e-mail text, capitalised words
inside a sentence (names, product and brand names), and turns every token that holds a
digit into ``0``. What is left is compared as a set of word 3-shingles (Jaccard).

``reply_fingerprint`` condenses the shingle set into a (one-permutation) MinHash signature of
``SIGNATURE_SIZE`` 31-bit values and ``BANDS`` band keys of ``ROWS`` values each (each key a
signed 64-bit int, the band number mixed in), the classic LSH layout: two replies whose
shingle sets have Jaccard similarity ``s`` share at least one band key with probability
about ``1 - (1 - s**ROWS)**BANDS`` — 0.99 at s = 0.8, 0.66 at 0.6, 0.06 at 0.3, 0.0008 at
0.1 — so a lookup by band key finds the reuses of a template and almost nothing else.
MinHash rather than SimHash because replies are short: a few changed words move a 64-bit
SimHash by many bits, while MinHash estimates the Jaccard similarity the confirmation step
uses. Every constant that shapes a stored value is fixed here; changing one means
recomputing the stored fingerprints (``tests/sla/test_fingerprints.py`` pins one key).
"""

from __future__ import annotations

import hashlib
import operator
import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

__all__ = [
    "BANDS",
    "NEAR_DUPLICATE",
    "ROWS",
    "SIGNATURE_SIZE",
    "Fingerprint",
    "is_near_duplicate",
    "normalise",
    "reply_body",
    "reply_fingerprint",
    "shingles",
    "similarity",
    "text_similarity",
]

SHINGLE: Final = 3
BANDS: Final = 8
ROWS: Final = 4
SIGNATURE_SIZE: Final = BANDS * ROWS
NEAR_DUPLICATE: Final = 0.5
"""Jaccard similarity of normalised shingle sets from which two replies are one template."""

_MASK31: Final = (1 << 31) - 1
_GOLDEN: Final = 0x9E3779B1
_EMPTY: Final = _MASK31
_MIN_SHINGLES_FOR_BANDS: Final = 2


# --- envelope: greeting, sign-off, signature, quoted text ---------------------------------

_NAME: Final = r"(?:[ \t]+(?:[A-Z][\w'\u2019.-]*|(?i:mr|mrs|ms|miss|dr)\.?)){1,3}"
_GREETING: Final = re.compile(
    r"\A\s*(?i:hi|hello|hey|hiya|hallo|hola|bonjour|ciao|greetings|dear"
    r"|good\s+(?:morning|afternoon|evening))"
    r"(?:[ \t]+(?i:there|all|everyone|team|sir\s+or\s+madam|valued\s+customer|customer|reader"
    r"|student|friend)|" + _NAME + r")?"
    r"\s*[,!.:;]?[ \t]*(?:\r?\n)*"
)
_SIGN_OFF_LINE: Final = re.compile(
    r"^\s*(?:kind(?:est)?\s+regards|best\s+regards|warm(?:est)?\s+regards|regards|best\s+wishes"
    r"|best|cheers|thanks|thank\s+you|many\s+thanks|thanks\s+again|sincerely|yours\s+sincerely"
    r"|yours\s+faithfully|yours\s+truly|all\s+the\s+best|take\s+care|br|respectfully"
    r"|have\s+a\s+(?:great|nice|lovely|wonderful|good)\s+(?:day|weekend|evening|trip)"
    r"|happy\s+\w+|sleep\s+well|enjoy|talk\s+soon|speak\s+soon)\b[^\n]{0,3}$",
    re.IGNORECASE | re.MULTILINE,
)
_INLINE_SIGN_OFF: Final = re.compile(
    r"(?:(?<=[.!?])|^)\s*(?i:kind(?:est)?\s+regards|best\s+regards|warm\s+regards|regards|best"
    r"|cheers|thanks|sincerely)[,.!]?\s+(?:[A-Z][\w&'\u2019.-]*(?:\s+|$)){1,4}\s*\Z",
    re.MULTILINE,
)
_SIGNATURE_LINE: Final = re.compile(r"^[^\n.?!:;]{1,40}$")
_QUOTE_HEADER: Final = re.compile(
    r"^(?:On\s[^\n]{0,120}\swrote:|-{2,}\s*Original Message\s*-{2,}|From:\s.+)$",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_LINE: Final = re.compile(r"^[ \t]*>[^\n]*(?:\n|$)", re.MULTILINE)
_SIGNATURE_DELIMITER: Final = re.compile(r"^--[ \t]*$", re.MULTILINE)


@lru_cache(maxsize=8192)
def reply_body(text: str) -> str:
    """The message without greeting, sign-off, signature block and quoted e-mail text.

    Works for agent replies and customer messages alike; what it removes carries names and
    courtesy, never the substance of a support message.
    """
    header = _QUOTE_HEADER.search(text)
    if header:
        text = text[: header.start()]
    text = _QUOTED_LINE.sub("", text)
    delimiter = _SIGNATURE_DELIMITER.search(text)
    if delimiter:
        text = text[: delimiter.start()]
    text = _GREETING.sub("", text, count=1)
    lines = text.rstrip().split("\n")
    tail = max(0, len(lines) - 6)
    for index in range(len(lines) - 1, tail - 1, -1):
        if _SIGN_OFF_LINE.match(lines[index]) and all(
            _SIGNATURE_LINE.match(line.strip()) and len(line.split()) <= 6
            for line in lines[index + 1 :]
            if line.strip()
        ):
            lines = lines[:index]
            break
    for _ in range(3):
        if len(lines) < 2 or not _is_signature_line(lines[-1], lines[-2]):
            break
        lines.pop()
    body = "\n".join(lines).strip()
    tail = max(0, len(body) - 80)
    inline = _INLINE_SIGN_OFF.search(body, tail)
    if inline and inline.start() > 0:
        body = body[: inline.start()].strip()
    return body


def _is_signature_line(line: str, before: str) -> bool:
    """A short capitalised line (a name, a team) after a finished sentence or a blank line."""
    stripped = line.strip()
    if not stripped:
        return True
    if not _SIGNATURE_LINE.match(stripped) or len(stripped.split()) > 5 or ">" in stripped:
        return False
    previous = before.strip()
    return stripped[0].isupper() and (not previous or previous[-1] in ".!?)")


# --- normalisation and shingles -----------------------------------------------------------

_URL: Final = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]++(?:\.[\w-]++)+/\S*", re.IGNORECASE)
_EMAIL: Final = re.compile(r"\b[\w.+*-]+@[\w-]+(?:\.[\w-]+)+\b")
_MID_SENTENCE_CAPITALISED: Final = re.compile(r"(?<=[a-z0-9,;)] )(?!I\b)[A-Z][\w'\u2019.-]*")
_WITH_DIGIT: Final = re.compile(r"\b[\w'\u2019.-]*\d[\w'\u2019./:-]*")
_TOKEN: Final = re.compile(r"[^\W_]+(?:['\u2019.-][^\W_]+)*")


def _tokens(text: str) -> list[str]:
    """Lower-cased words of the body; names, brands and anything with a digit neutralised.

    A capitalised word right after a lower-case word, digit or comma is inside a sentence,
    hence a name ("Hi Maria", "thank you for contacting NetLink"): dropped. A token with a
    digit (order ids, prices, dates, model numbers) becomes ``0``.
    """
    body = reply_body(text)
    if "@" in body:
        body = _EMAIL.sub(" 0 ", body)
    if "/" in body or "www." in body:
        body = _URL.sub(" 0 ", body)
    body = _MID_SENTENCE_CAPITALISED.sub("", body)
    body = _WITH_DIGIT.sub(" 0 ", body)
    return _TOKEN.findall(body.lower().replace("\u2019", "'"))


def normalise(text: str) -> str:
    """The words that two uses of one template have in common, lower-cased, space-separated."""
    return " ".join(_tokens(text))


@lru_cache(maxsize=8192)
def shingles(text: str) -> frozenset[str]:
    """Word 3-shingles of ``normalise(text)``; a text of fewer words is one shingle."""
    tokens = _tokens(text)
    if len(tokens) < SHINGLE:
        return frozenset([" ".join(tokens)]) if tokens else frozenset()
    return frozenset(
        " ".join(tokens[index : index + SHINGLE]) for index in range(len(tokens) - SHINGLE + 1)
    )


def _jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    if not first or not second:
        return 0.0
    common = len(first & second)
    return common / (len(first) + len(second) - common)


def text_similarity(first: str, second: str) -> float:
    """Exact Jaccard similarity of the two replies' shingle sets, 0..1."""
    return _jaccard(shingles(first), shingles(second))


# --- stored fingerprints ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What is stored per sent reply.

    ``signature``: ``SIGNATURE_SIZE`` MinHash values in ``[0, 2**31 - 1)`` (each fits a
    signed 32-bit integer; ``to_bytes`` packs them into 128 bytes). ``bands``: ``BANDS``
    signed 64-bit keys for an indexed lookup table, empty for replies too short to be a
    template. ``size``: number of shingles.
    """

    signature: tuple[int, ...]
    bands: tuple[int, ...]
    size: int

    @classmethod
    def from_signature(cls, signature: tuple[int, ...], *, size: int) -> Fingerprint:
        """Rebuild a stored fingerprint from its signature and shingle count."""
        bands = _bands(signature) if size >= _MIN_SHINGLES_FOR_BANDS else ()
        return cls(signature=signature, bands=bands, size=size)

    @classmethod
    def from_bytes(cls, data: bytes, *, size: int) -> Fingerprint:
        return cls.from_signature(struct.unpack(f"<{SIGNATURE_SIZE}I", data), size=size)

    def to_bytes(self) -> bytes:
        return struct.pack(f"<{SIGNATURE_SIZE}I", *self.signature)


def _shingle_hash(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "little")


def _bands(signature: tuple[int, ...]) -> tuple[int, ...]:
    keys = []
    for band in range(BANDS):
        rows = signature[band * ROWS : (band + 1) * ROWS]
        packed = struct.pack(f"<B{ROWS}I", band, *rows)
        digest = hashlib.blake2b(packed, digest_size=8, person=b"sla-fp-band").digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return tuple(keys)


@lru_cache(maxsize=4096)
def reply_fingerprint(text: str) -> Fingerprint:
    """The MinHash signature and LSH band keys of a reply, stable across processes.

    One-permutation MinHash: each shingle is hashed once (BLAKE2b, 64 bits); the low 5 bits
    pick one of ``SIGNATURE_SIZE`` bins, the bin keeps the smallest of the remaining bits
    (its top 31 kept). A bin no shingle fell in borrows from the next non-empty bin, offset
    by the distance (densification by rotation), so short replies still fill every band.
    Cost: one hash per shingle, about 50 µs for a typical reply.
    """
    grams = shingles(text)
    if not grams:
        return Fingerprint(signature=(_EMPTY,) * SIGNATURE_SIZE, bands=(), size=0)
    bins: list[int | None] = [None] * SIGNATURE_SIZE
    for gram in grams:
        value = _shingle_hash(gram)
        index, rest = value & (SIGNATURE_SIZE - 1), value >> 5
        current = bins[index]
        if current is None or rest < current:
            bins[index] = rest
    signature = []
    for index in range(SIGNATURE_SIZE):
        distance = 0
        borrowed = bins[index]
        while borrowed is None:
            distance += 1
            borrowed = bins[(index + distance) % SIGNATURE_SIZE]
        signature.append(((borrowed >> 28) + distance * _GOLDEN) & _MASK31)
    return Fingerprint.from_signature(tuple(signature), size=len(grams))


def similarity(first: Fingerprint, second: Fingerprint) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values (±0.09 at s = 0.5)."""
    if not first.size or not second.size:
        return 0.0
    return sum(map(operator.eq, first.signature, second.signature)) / SIGNATURE_SIZE


def is_near_duplicate(
    first: Fingerprint, second: Fingerprint, *, threshold: float = NEAR_DUPLICATE
) -> bool:
    """Whether two stored replies are one template (confirms a band-key candidate)."""
    return similarity(first, second) >= threshold
