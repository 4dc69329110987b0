"""Whatever a policy file holds, loading it ends in a checked policy or in errors a person can act on.

Hypothesis feeds ``parse_policy`` arbitrary text and mappings, the komae preset with lines deleted,
duplicated, re-indented or given odd values, with any value replaced by an arbitrary structure,
impossible dates and deep nesting. Each answer must be a policy or ``PolicyInvalid`` whose every
error has a message and, where it names a line, a line of the file: never another exception.
"""

import copy
import re

import hypothesis.core
import pytest
import yaml
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal.cache import LRUCache
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants
from hypothesis.vendor import pretty

from mamori.policy.loader import PolicyInvalid, parse_policy, preset_path, read_policy_file

KOMAE = read_policy_file(preset_path("komae"))
KOMAE_LINES = KOMAE.split("\n")
KOMAE_DATA = yaml.safe_load(KOMAE)
# The line breaks YAML counts (its marks, and so our line numbers, follow these).
YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

FUZZ = settings(max_examples=200, derandomize=True, database=None, deadline=None)

# Values whose YAML meaning differs from their look: implicit types, tags, anchors, flow syntax.
YAML_LOOKALIKES = [
    "", "~", "null", "yes", "off", ".inf", ".nan", "0x1F", "0o17", "1_000", "1e3", "<<", "&a", "*a",
    "!!str", "!!binary x", "!!set {a, b}", "'", '"', "{", "[", "- x", ": x", "#", "?", "|", ">-", "%YAML 1.1",
]  # fmt: skip
SCALARS = st.one_of(
    st.text(max_size=20),
    st.integers().map(str),
    st.floats().map(str),
    st.lists(st.integers(-5, 5), max_size=3).map(str),
    st.sampled_from(YAML_LOOKALIKES),
)
# Date-shaped values, possible and impossible, with or without a time (YAML reads them as dates).
DATES = st.builds(
    lambda y, m, d, time: f"{y:04d}-{m:02d}-{d:02d}{time}",
    st.integers(0, 9999),
    st.integers(0, 19),
    st.integers(0, 39),
    st.just("") | st.builds(lambda h, mi: f" {h:02d}:{mi:02d}:00", st.integers(0, 29), st.integers(0, 69)),
)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@pytest.fixture(autouse=True)
def hypothesis_reproducible(monkeypatch):
    """Derandomized Hypothesis that gives the same examples in any test order, and prints them.

    Hypothesis mixes in constants from the project modules imported so far, which depend on the order
    pytest-xdist ran the tests in; and schemathesis swaps in a printer that prints every failing
    example as empty (it saves time in schemathesis' own runs).
    """
    monkeypatch.setattr(providers, "_get_local_constants", Constants)
    monkeypatch.setattr(providers, "CONSTANTS_CACHE", LRUCache(1024))
    monkeypatch.setattr(hypothesis.core, "RepresentationPrinter", pretty.RepresentationPrinter)


def assert_parses_or_explains(text: str) -> None:
    try:
        parse_policy(text)
    except PolicyInvalid as exc:
        lines = len(YAML_LINE_BREAK.split(text))
        assert exc.errors
        for error in exc.errors:
            assert error.message.strip(), error
            assert error.line is None or 1 <= error.line <= lines, (error, lines)
            assert str(error)


LINE = st.integers(0, len(KOMAE_LINES) - 1)
# Printed as the list of edits when a test fails, not as the 258 lines they produce.
EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("delete"), LINE),
        st.tuples(st.just("duplicate"), LINE),
        st.tuples(st.just("indent"), LINE, st.sampled_from(["", " ", "   ", "\t"])),
        st.tuples(st.just("replace"), LINE, SCALARS),
    ),
    min_size=1,
    max_size=3,
)


def edited_komae(edits: list[tuple]) -> str:
    lines = list(KOMAE_LINES)
    for how, line, *value in edits:
        i = line % len(lines)  # earlier edits may have deleted or added a line
        if how == "delete":
            del lines[i]
        elif how == "duplicate":
            lines.insert(i, lines[i])
        elif how == "indent":
            lines[i] = value[0] + lines[i].lstrip(" ")
        else:
            head, sep, _old = lines[i].partition(": ")
            if not sep:
                head, sep, _old = lines[i].partition("- ")
            lines[i] = head + sep + value[0]
    return "\n".join(lines)


@st.composite
def komae_paths(draw) -> tuple:
    """The path of one value in the preset (a mapping key or list index at each level)."""
    path: tuple = ()
    node = KOMAE_DATA
    while True:
        key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        path = (*path, key)
        node = node[key]
        if not (isinstance(node, dict | list) and node and draw(st.booleans())):
            return path


def komae_with(path: tuple, value) -> str:
    data = copy.deepcopy(KOMAE_DATA)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_the_preset_itself_parses():
    assert parse_policy(KOMAE).organization.key == "komae"


@FUZZ
@given(st.text())
def test_arbitrary_text(text):
    assert_parses_or_explains(text)


@FUZZ
@given(EDITS)
def test_komae_with_lines_deleted_duplicated_or_changed(edits):
    assert_parses_or_explains(edited_komae(edits))


@FUZZ
@given(DATES)
def test_any_date_where_the_preset_has_one(date):
    # A document of its own: the date is read long before the rest of the preset would be checked.
    assert_parses_or_explains(f"document:\n  title: t\n  enacted: {date}\n")


# Not shrunk: the depth is the whole example, and each too-deep attempt costs a second of unwinding.
@settings(FUZZ, max_examples=30, phases=[Phase.explicit, Phase.generate])
@given(st.integers(1, 3000), st.sampled_from(["[", "{a: "]))
def test_deep_nesting_below_the_size_limit(depth, opening):
    closing = "]" if opening == "[" else "}"
    assert_parses_or_explains(f"schema_version: 1\nextra: {opening * depth}x{closing * depth}\n")


@FUZZ
@given(komae_paths(), VALUES)
def test_komae_with_any_value_replaced_by_any_structure(path, value):
    assert_parses_or_explains(komae_with(path, value))


@FUZZ
@given(st.dictionaries(st.text(max_size=20), VALUES, max_size=6))
def test_arbitrary_mappings(data):
    assert_parses_or_explains(yaml.safe_dump(data, allow_unicode=True))
