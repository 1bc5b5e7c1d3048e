"""Lexical variants of a normalized mention that the terminology may spell otherwise, tried when
the mention itself is no term: British spellings (tumour, oedema, anaemia, fibre), possessives
(non-hodgkin's, non-hodgkins lymphoma), and the head noun's family (pancreatic tumors ->
pancreatic neoplasms, limb anomalies -> limb deformities, x disorder -> x disease). The families
are the ones MeSH and the disease ontologies name the same things with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# British -> American, on whole normalized text; each applies where the pattern occurs.
SPELLINGS = (
    # tumour, behaviour, colour, odour; not hour, four, your, pour, flour, contour
    (re.compile(r"\b([a-z]*(?:[a-z]{2}[mlbvpngd]|i|od))our(s?)\b"), r"\1or\2"),
    (re.compile(r"\boe(?=[a-z])"), "e"),  # oedema, oesophagus, oestrogen
    (re.compile(r"(?<=[a-z])oe(?=[a-z])"), "e"),  # diarrhoea, coeliac, foetal
    (re.compile(r"(?<=[a-z])ae(?=[a-z])"), "e"),  # anaemia, haem-, paediatric
    (re.compile(r"(?<=[bt])re(s?)\b"), r"er\1"),  # fibre, centre
    (re.compile(r"(?<=[a-z])is(ation|ed|ing|e)\b"), r"iz\1"),  # immunisation
)
POSSESSIVE = re.compile(r"(?<=[a-z])(?:'s|s')(?=\s|$)")
HEAD_FAMILIES = (
    ("neoplasms", "neoplasm", "tumor", "tumors", "cancer", "cancers", "carcinoma", "carcinomas"),
    (
        "anomalies",
        "anomaly",
        "abnormalities",
        "abnormality",
        "malformations",
        "malformation",
        "deformities",
        "deformity",
        "defects",
        "defect",
    ),
    ("disease", "diseases", "disorder", "disorders", "syndrome", "syndromes", "deficiency"),
)
FAMILY_OF = {w: fam for fam in HEAD_FAMILIES for w in fam}
# "breast and ovarian cancer", "prostatic, pancreas, skin, and lung cancer": one-word
# modifiers joined by and / or sharing the head that follows; "breast/ovarian cancer"; and
# numbered types sharing what comes before ("spinocerebellar ataxias 1 and 2")
WORD = r"[a-z0-9'-]+"
COMPOSITE = re.compile(rf"^((?:{WORD}, )*{WORD}),? (?:and/or|and|or) ({WORD}) (.+)$")
SLASHED = re.compile(rf"^({WORD})/({WORD}) (.+)$")
NUMBERED = re.compile(r"^(.+) (\d+[a-z]?|[ivx]+) (?:and|or|,) (\d+[a-z]?|[ivx]+)$")


def _spelled(norm: str) -> str:
    for pattern, repl in SPELLINGS:
        norm = pattern.sub(repl, norm)
    return norm


def variants(norm: str) -> Iterator[str]:
    """Variants of `norm`, most faithful first, each once, `norm` itself left out."""
    seen = {norm}
    base = [norm]
    for form in (_spelled(norm), POSSESSIVE.sub("", norm)):
        if form not in seen:
            seen.add(form)
            base.append(form)
            yield form
    # "non-hodgkins lymphoma": a possessive without its apostrophe, on a word before the head
    words = base[-1].split()
    for i, w in enumerate(words[:-1]):
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            form = " ".join([*words[:i], w[:-1], *words[i + 1 :]])
            if form not in seen:
                seen.add(form)
                base.append(form)
                yield form
    for form in base:
        words = form.split()
        # the head: the last word, or the word before "of" ("tumors of the kidney")
        at = words.index("of") - 1 if "of" in words[1:] else len(words) - 1
        family = FAMILY_OF.get(words[at]) if at >= 0 else None
        if family is None or len(words) < 2:
            continue
        for other in family:
            new = " ".join([*words[:at], other, *words[at + 1 :]])
            if new not in seen:
                seen.add(new)
                yield new


def conjuncts(norm: str) -> list[str]:
    """The mentions a composite mention stands for ("breast and ovarian cancer" -> "breast
    cancer", "ovarian cancer"); [] when it is none."""
    if m := NUMBERED.match(norm):
        return [f"{m.group(1)} {m.group(2)}", f"{m.group(1)} {m.group(3)}"]
    m = COMPOSITE.match(norm) or SLASHED.match(norm)
    if not m:
        return []
    mods = [*m.group(1).split(", "), m.group(2)]
    return [f"{mod} {m.group(3)}" for mod in mods] if len(mods) <= 6 else []
