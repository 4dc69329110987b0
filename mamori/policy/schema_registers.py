"""The parts of a policy file that shape the registers kept between incidents (issue 7).

Kept apart from schema.py, which holds the incident rules, so that each file stays readable. The
classification scheme itself (``classification``) lives in schema.py: incidents use it too.
"""

from pydantic import Field

from .schema_base import KEY_PATTERN, Key, Rule, Strict

# Permissions of the registers. They are optional in a policy file: a file written before the registers
# existed still loads, and then nobody but a system's own administrators may see or change it.
REGISTER_PERMISSIONS = (
    "view_systems",  # read the register of information systems (情報システム台帳) of the organisation
    "edit_systems",  # add, change and import any system; a system's administrator may change their own
)


class NetworkSegmentSpec(Strict):
    """A network segment a system sits in (e.g. マイナンバー利用事務系 / LGWAN接続系 / インターネット接続系)."""

    key: Key = Field(pattern=KEY_PATTERN, max_length=50)
    label: str = Field(min_length=1, max_length=100)
    description: str | None = None


class LevelHint(Rule):
    """A class of an affected system that suggests an incident level (tatebayashi's levels name 別表1's
    重要度: レベル3 for III or IV, レベル1 for I or II). Shown at triage with its basis; the CSIRT decides."""

    axis: Key
    levels: list[str] = Field(min_length=1, description="level keys of the axis")
    suggest_level: int = Field(ge=0, le=9)


class AssetRegisterSpec(Rule):
    """What the register of information systems records (tatebayashi 2(2)①(イ), 3; edogawa 基準第3条).

    ``required_axes``: the axes of ``classification`` every system must be classified on."""

    segments: list[NetworkSegmentSpec] = Field(default=[], description="the network segments, in order")
    required_axes: list[Key] = []
    level_hints: list[LevelHint] = []
