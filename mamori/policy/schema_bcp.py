"""The ICT business-continuity plan's part of a policy file (katsushika ICT-BCP 4, 5, 6).

Who commands (電算機管理者, then 代行者1・2・3), the teams and who is in them, the kinds of emergency with
their convening rules (参集ルール), the safety roll-call (安否確認) and the order systems are recovered in.
Kept apart from schema.py so that each file stays readable.
"""

from typing import Literal

from pydantic import Field, model_validator

from .schema_base import KEY_PATTERN, Key, Rule

# 気象庁震度階級, in order. Keys are what a policy file writes ("6-" = 震度6弱, "5+" = 震度5強).
INTENSITIES = ("0", "1", "2", "3", "4", "5-", "5+", "6-", "6+", "7")
Intensity = Literal["0", "1", "2", "3", "4", "5-", "5+", "6-", "6+", "7"]

# Who must come when a rule applies:
#   all     — every member of the division (katsushika 5(1)ア(ア) 震度6弱以上で全職員)
#   share   — ``share_percent`` of the members (5(1)ア(ア) 震度5強以上かつ災害対策本部設置で40%)
#   teams   — the members of the listed teams
#   decided — the person declaring decides (5(1)ア(ウ) 電算機管理者の指示により参集)
#   none    — nobody is asked to come; the roll-call still asks everyone whether they are safe
Convene = Literal["all", "share", "teams", "decided", "none"]


class TeamSpec(Rule):
    """A response team (katsushika 4(2): 連絡調整チーム・インフラチーム・業務システムチーム); its members are
    the people who hold ``role``."""

    key: Key = Field(pattern=KEY_PATTERN, max_length=50)
    label: str = Field(min_length=1, max_length=100)
    role: Key
    duties: list[str] = []


class ConveningRule(Rule):
    """One rule of 参集ルール. It applies when the declared emergency reaches ``min_intensity`` (kinds
    with an intensity) and, if ``headquarters`` is true, a disaster headquarters has been set up. The
    first rule of a kind that applies is used; when none does, nobody is asked to come."""

    min_intensity: Intensity | None = None
    headquarters: bool = False
    convene: Convene
    share_percent: int | None = Field(default=None, ge=1, le=100)
    teams: list[Key] = []

    @model_validator(mode="after")
    def _convene_has_what_it_needs(self):
        if self.convene == "share" and self.share_percent is None:
            raise ValueError("share_without_percent")
        if self.convene == "teams" and not self.teams:
            raise ValueError("teams_without_teams")
        return self


class EmergencyKind(Rule):
    """A kind of emergency the plan provides for (katsushika 2(3), 3(2): 地震・風水害・情報セキュリティ事象・
    その他の脅威)."""

    key: Key = Field(pattern=KEY_PATTERN, max_length=50)
    label: str = Field(min_length=1, max_length=100)
    intensity: bool = Field(default=False, description="declared with a seismic intensity (震度)")
    convening: list[ConveningRule] = []


class RollCallSpec(Rule):
    """安否確認 (katsushika 4(2) 連絡調整チーム: 職員の安否確認; 6(1) 職員安否確認票（参集予測票）)."""

    reminder_minutes: list[int] = Field(
        default=[30, 60], description="minutes after the first message at which those silent are reminded"
    )
    link_hours: int = Field(default=72, ge=1, le=24 * 14, description="how long an answer link works")

    @model_validator(mode="after")
    def _reminders_in_range(self):
        if any(m < 5 or m > 24 * 60 for m in self.reminder_minutes):
            raise ValueError("reminder_out_of_range")
        return self


class RecoveryPriority(Rule):
    """Systems of these classes are recovered in this order (1 first). A system takes the smallest
    priority of the rules it matches; one that matches none comes after them all."""

    priority: int = Field(ge=1, le=99)
    label: str = Field(min_length=1, max_length=100)
    axis: Key
    classes: list[str] = Field(min_length=1)
    target_hours: int | None = Field(default=None, ge=1, le=24 * 90, description="目標復旧時間")


class RecoverySpec(Rule):
    """被害・復旧見込みチェックリスト (katsushika 6(1)) and the order of recovery."""

    priorities: list[RecoveryPriority] = []
    report_to: str = Field(default="災害対策本部", min_length=1, max_length=100)


class BcpSpec(Rule):
    """The plan: who commands, the members and teams, the kinds of emergency, the roll-call and recovery."""

    title: str = Field(min_length=1, max_length=200)
    command_role: Key = Field(description="5(1)ア(ウ): 電算機管理者; its deputies are 代行者1・2・3")
    command_ack_minutes: int = Field(ge=1, le=24 * 60)
    declare_roles: list[Key] = Field(min_length=1, description="who may declare and end an emergency")
    view_roles: list[Key] = Field(default=[], description="who else sees the boards (members always do)")
    member_roles: list[Key] = Field(
        default=[], description="members of the division who are in no team (the command chain)"
    )
    teams: list[TeamSpec] = Field(min_length=1)
    kinds: list[EmergencyKind] = Field(min_length=1)
    rollcall: RollCallSpec
    recovery: RecoverySpec

    def kind(self, key: str) -> EmergencyKind | None:
        return next((k for k in self.kinds if k.key == key), None)

    def team(self, key: str) -> TeamSpec | None:
        return next((t for t in self.teams if t.key == key), None)


Path = tuple[str | int, ...]


def bcp_role_references(spec: BcpSpec) -> list[tuple[Path, str]]:
    """The role keys the plan names, with their paths (schema.check_references checks them)."""
    refs: list[tuple[Path, str]] = [(("bcp", "command_role"), spec.command_role)]
    for name in ("declare_roles", "view_roles", "member_roles"):
        refs += [(("bcp", name, j), k) for j, k in enumerate(getattr(spec, name))]
    refs += [(("bcp", "teams", j, "role"), t.role) for j, t in enumerate(spec.teams)]
    return refs


def bcp_problems(spec: BcpSpec, axes: dict[str, set[str]]) -> list[tuple[Path, str, str]]:
    """Duplicate keys, unknown teams and classes: (path, code, detail) for schema.check_references."""
    problems: list[tuple[Path, str, str]] = []
    for section, keys in (("teams", [t.key for t in spec.teams]), ("kinds", [k.key for k in spec.kinds])):
        seen: set[str] = set()
        for i, key in enumerate(keys):
            if key in seen:
                problems.append((("bcp", section, i, "key"), "duplicate_key", key))
            seen.add(key)
    team_keys = {t.key for t in spec.teams}
    for i, kind in enumerate(spec.kinds):
        for j, rule in enumerate(kind.convening):
            path = ("bcp", "kinds", i, "convening", j)
            if rule.min_intensity is not None and not kind.intensity:
                problems.append(((*path, "min_intensity"), "intensity_without_scale", kind.key))
            for k, team in enumerate(rule.teams):
                if team not in team_keys:
                    problems.append(((*path, "teams", k), "unknown_team", team))
    for i, priority in enumerate(spec.recovery.priorities):
        where = ("bcp", "recovery", "priorities", i)
        if priority.axis not in axes:
            problems.append(((*where, "axis"), "unknown_axis", priority.axis))
            continue
        for j, key in enumerate(priority.classes):
            if key not in axes[priority.axis]:
                problems.append(((*where, "classes", j), "unknown_class", key))
    return problems
