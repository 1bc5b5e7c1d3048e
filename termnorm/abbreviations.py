"""In-document abbreviation definitions, Schwartz & Hearst (2003): "long form (SF)".

`definitions(text)` returns {short form: long form} for every "... long form (SF) ..." where the
short form's characters appear, in order, in the words before the parenthesis, its first
character starting a word. The Normalizer maps a mention that is a defined short form through its
long form.
"""

from __future__ import annotations

import re
from functools import lru_cache

PAREN = re.compile(r"\(([^()]{1,40})\)")
PARTS = re.compile(r"[;,]")  # "(Krabbe disease; AO-GLD)", "(SJS; chondrodystrophic myotonia)"
INSIDE = 41  # chars after "(" that `may_define` looks at: PAREN's 40 and the ")"
WORD = re.compile(r"\S+")
LOOK_BACK = 300  # chars before "(SF)" searched for its long form


def _is_short_form(sf: str) -> bool:
    return (
        2 <= len(sf) <= 10
        and len(sf.split()) <= 2
        and sf[0].isalnum()
        and any(c.isalpha() for c in sf)
    )


def _best_long_form(sf: str, candidate: str) -> str | None:
    """Schwartz-Hearst's backward match of the short form's characters in the candidate."""
    s, l_ = len(sf) - 1, len(candidate) - 1
    while s >= 0:
        c = sf[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while l_ >= 0 and (
            candidate[l_].lower() != c or (s == 0 and l_ > 0 and candidate[l_ - 1].isalnum())
        ):
            l_ -= 1
        if l_ < 0:
            return None
        l_ -= 1
        s -= 1
    start = candidate.rfind(" ", 0, l_ + 1) + 1
    lf = candidate[start:].strip()
    return lf if lf and len(lf) > len(sf) else None


def _initials_any_order(sf: str, words: list[str]) -> str | None:
    """Fallback for definitions whose short form follows another language's word order,
    "myotonic dystrophy (DM)" (dystrophia myotonica): the last len(SF) words' initials are the
    short form's letters in some order."""
    letters = [c.lower() for c in sf if c.isalpha()]
    if len(letters) < 2 or len(letters) != len(sf.replace("-", "")) or len(words) < len(letters):
        return None
    tail = words[-len(letters) :]
    if sorted(w[0].lower() for w in tail) == sorted(letters):
        return " ".join(tail)
    return None


@lru_cache(maxsize=256)
def definitions(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in PAREN.finditer(text):
        # The long form sits in the same sentence, just before: a bounded look back keeps
        # this linear on a huge document with many parentheses.
        before = text[max(0, m.start() - LOOK_BACK) : m.start()].rsplit(".", 1)[-1]
        words = WORD.findall(before)
        # every part may be the short form: "(Krabbe; AO-GLD)" defines AO-GLD
        for sf in (p.strip() for p in PARTS.split(m.group(1))):
            if not _is_short_form(sf) or sf in out:
                continue
            n = min(len(sf) + 5, len(sf) * 2)
            lf = _best_long_form(sf, " ".join(words[-n:])) or _initials_any_order(sf, words)
            if lf:
                out[sf] = lf.strip(" ,;:")
                break
    return out


def may_define(text: str, shorts: set[str]) -> bool:
    """Whether a parenthesis of `text` holds one of the (lower-cased) `shorts`: only then can
    `definitions` define it. A cheap test before the full parse."""
    at = text.find("(")
    while at >= 0:
        inside = text[at + 1 : at + INSIDE].split(")", 1)[0].lower()
        if any(s in inside for s in shorts):
            return True
        at = text.find("(", at + 1)
    return False


def defined_forms(text: str) -> dict[str, str]:
    """`definitions` keyed by the lower-cased short form, for case-insensitive lookups."""
    return {k.lower(): v for k, v in definitions(text).items()}


def expand(mention: str, defs: dict[str, str]) -> str | None:
    """The mention with each defined short form (as a whole word) replaced by its long form;
    None when nothing was replaced."""
    out, changed = mention, False
    for sf, lf in sorted(defs.items(), key=lambda kv: -len(kv[0])):
        new = re.sub(rf"(?<![\w-]){re.escape(sf)}(?![\w-])", lf, out)
        if new != out:
            out, changed = new, True
    return out if changed else None
