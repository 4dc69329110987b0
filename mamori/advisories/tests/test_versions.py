"""Version ranges as advisories write them."""

import pytest

from ..versions import Match, matches


@pytest.mark.parametrize(
    ("installed", "spec", "expected"),
    [
        ("6.4.2", "< 6.4.3", Match.YES),
        ("6.4.3", "< 6.4.3", Match.NO),
        ("13.10", ">= 13.0, < 13.14", Match.YES),
        ("13.9", "13.10 - 13.13", Match.NO),
        ("13.13", "13.0〜13.13", Match.YES),
        ("１３．４", "13.0 - 13.13", Match.YES),  # typed full-width
        ("6.4.2", "6.4.*", Match.YES),
        ("6.5.0", "6.4.*", Match.NO),
        ("2019", "2016; 2019", Match.YES),
        ("2022", "2016; 2019", Match.NO),
        ("13.4", "13.4.0", Match.YES),
        ("1.1.5", "vers:generic/>=1.0|<1.2", Match.YES),
        ("1.2.0", "vers:generic/>=1.0|<1.2", Match.NO),
        ("", "< 2.0", Match.UNKNOWN),  # nothing recorded: to be checked, not dropped
        ("不明", "< 2.0", Match.UNKNOWN),
        ("", "", Match.YES),  # the advisory names every version
        ("3.1", "すべて", Match.YES),
        ("3.1", "v3.0", Match.NO),
    ],
)
def test_matches(installed, spec, expected):
    assert matches(installed, spec) is expected
