"""Does a version of installed software fall in the versions an advisory names?

Advisories write their ranges in many ways: “6.4.2”, “< 6.4.3”, “>= 13.0, < 13.14”, “13.0 - 13.13”,
“13.0〜13.13”, “6.4.*”, “すべて” / “*” (every version), and CSAF's ``vers:generic/>=1.0|<1.2``.
A spec is a list of alternatives separated by “;”, “|” in vers or a new line; each alternative is
one version, a wildcard, a range, or comparators joined by “,” that must all hold.

Versions are compared part by part, numbers as numbers (13.10 > 13.9), letters as text; full-width
digits are folded. A version that cannot be read, or software with no version recorded, is reported
as “unknown” — a match to check by hand, never silently dropped.
"""

import re
import unicodedata
from enum import Enum

ALL_WORDS = {"*", "all", "any", "すべて", "全て", "全バージョン", "全versions"}
_COMPARATOR = re.compile(r"^(<=|>=|<|>|=|==|!=)\s*(.+)$")
_RANGE = re.compile(r"^(.+?)\s*(?:\s-\s|〜|～|~|–|—)\s*(.+)$")


class Match(Enum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def parts(version: str) -> tuple[tuple[int, int | str], ...] | None:
    """“13.4a” → ((0, 13), (0, 4), (1, 'a')); None when there is no digit at all."""
    text = fold(version).lower().lstrip("v")
    if not re.search(r"\d", text):
        return None
    result: list[tuple[int, int | str]] = []
    for token in re.findall(r"\d+|[a-z]+", text):
        result.append((0, int(token)) if token.isdigit() else (1, token))
    return tuple(result)


def _compare(a: tuple, b: tuple) -> int:
    # Missing parts count as zero: 13.4 == 13.4.0.
    length = max(len(a), len(b))
    pad = (0, 0)
    for x, y in zip(a + (pad,) * (length - len(a)), b + (pad,) * (length - len(b)), strict=True):
        if x != y:
            return -1 if x < y else 1
    return 0


def _alternatives(spec: str) -> list[str]:
    text = fold(spec)
    if text.lower().startswith("vers:"):
        text = text.split("/", 1)[1] if "/" in text else ""
        return [",".join(p.strip() for p in text.split("|") if p.strip())] if text else []
    return [a.strip() for a in re.split(r"[;\n]|、(?=\s*[<>=\d])", text) if a.strip()]


def _holds(installed: tuple, condition: str) -> bool | None:
    condition = condition.strip()
    if condition.lower() in ALL_WORDS:
        return True
    match = _COMPARATOR.match(condition)
    if match:
        operator, bound_text = match.groups()
        bound = parts(bound_text)
        if bound is None:
            return None
        c = _compare(installed, bound)
        return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0, "=": c == 0, "==": c == 0, "!=": c != 0}[
            operator
        ]
    if condition.endswith("*"):
        prefix = parts(condition.rstrip("*").rstrip("."))
        if prefix is None:
            return True
        return installed[: len(prefix)] == prefix
    ranged = _RANGE.match(condition)
    if ranged:
        low, high = parts(ranged.group(1)), parts(ranged.group(2))
        if low is None or high is None:
            return None
        return _compare(installed, low) >= 0 and _compare(installed, high) <= 0
    exact = parts(condition)
    if exact is None:
        return None
    return _compare(installed, exact) == 0


def matches(installed_version: str, spec: str) -> Match:
    """Whether ``installed_version`` is among the versions ``spec`` names."""
    alternatives = _alternatives(spec)
    if not alternatives or any(a.lower() in ALL_WORDS for a in alternatives):
        return Match.YES
    installed = parts(installed_version)
    if installed is None:
        return Match.UNKNOWN
    unknown = False
    for alternative in alternatives:
        results = [_holds(installed, c) for c in alternative.split(",") if c.strip()]
        if results and all(r is True for r in results):
            return Match.YES
        if any(r is None for r in results) and not any(r is False for r in results):
            unknown = True
    return Match.UNKNOWN if unknown else Match.NO
