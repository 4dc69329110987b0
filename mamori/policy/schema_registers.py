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


class ExceptionMeasuresSpec(Rule):
    """例外措置 (tatebayashi 7.4): who may apply, who decides (never the applicant), how soon an
    emergency measure taken first must be reported, and when the end of a measure is recalled."""

    apply_roles: list[Key] = Field(
        min_length=1, description="7.4(1): 情報セキュリティ管理者及び情報システム管理者"
    )
    approve_roles: list[Key] = Field(min_length=1, description="7.4(1): CISOの許可")
    view_roles: list[Key] = Field(default=[], description="who else reads the register (7.4(3))")
    emergency_report_hours: int = Field(ge=1, le=24 * 30, description="7.4(2): 事後速やかに")
    remind_days_before_end: list[int] = Field(default=[14, 3], description="reminders before a measure ends")
    max_days: int | None = Field(
        default=None, ge=1, le=3650, description="the longest period one approval covers"
    )


class ExerciseKind(Rule):
    key: Key = Field(pattern=KEY_PATTERN, max_length=50)
    label: str = Field(min_length=1, max_length=100)
    description: str | None = None
    # Run as a drill emergency of the business-continuity plan (section bcp: roll-call, command chain,
    # recovery checklist) instead of a drill incident (katsushika 6(4)).
    emergency: bool = False


class TrainingSpec(Rule):
    """研修・訓練 (tatebayashi 5.2, komae 第13条, katsushika 6(4)): who drafts the yearly plan and which
    body approves it, who records sessions and attendance, and the kinds of exercise."""

    plan_roles: list[Key] = Field(min_length=1, description="5.2(2)①: CISO; komae 第13条: CSIRT責任者")
    approved_by: str | None = Field(
        default=None, description="the body that approves the plan, e.g. 情報セキュリティ委員会"
    )
    record_roles: list[Key] = Field(min_length=1, description="who records sessions and attendance (5.2(2)④)")
    exercises: list[ExerciseKind] = []


class AuditItem(Rule):
    key: Key = Field(pattern=KEY_PATTERN, max_length=50)
    text: str = Field(min_length=1)


class AuditSpec(Rule):
    """監査・自己点検 (tatebayashi 9.1, 9.2; edogawa 基準第32条): who plans and leads audits, the body that
    approves the plan, the checklist, and who inspects themselves each fiscal year."""

    manage_roles: list[Key] = Field(min_length=1, description="plan audits, assign auditors, record findings")
    approved_by: str | None = Field(default=None, description="the body that approves the audit plan")
    checklist: list[AuditItem] = Field(min_length=1)
    self_inspection_roles: list[Key] = Field(
        min_length=1, description="9.2(1): who inspects their own area yearly"
    )


class OutsourcingSpec(Rule):
    """業務委託と外部サービス（クラウドサービス） (tatebayashi 8): the contract checklist, periodic
    compliance checks, the end-of-contract checks, and cloud-service use applications."""

    manage_roles: list[Key] = Field(
        min_length=1, description="8.1(2)①: 情報セキュリティ管理者又は情報システム管理者"
    )
    contract_items: list[AuditItem] = Field(
        min_length=1, description="8.1(2)①(エ): the contract's security clauses"
    )
    end_items: list[AuditItem] = Field(min_length=1, description="8.1(4)①: checks when a contract ends")
    check_months: int = Field(ge=1, le=24, description="8.1(3)①(イ): how often compliance is checked")
    cloud_apply_roles: list[Key] = Field(
        min_length=1, description="8.3(5)①: who applies to use a cloud service"
    )
    cloud_approve_roles: list[Key] = Field(min_length=1, description="8.3(5)②: 利用申請の許可権限者")


class ReviewedDocument(Rule):
    key: Key = Field(pattern=KEY_PATTERN, max_length=50)
    title: str = Field(min_length=1, max_length=200)
    cycle_months: int = Field(ge=1, le=12, description="reviewed at least this often (at least yearly)")
    keeper_roles: list[Key] = Field(min_length=1, description="who reviews and revises it")
    approve_roles: list[Key] = Field(min_length=1, description="who approves a revision")


class ReviewSpec(Rule):
    """見直し (katsushika 6(2)(3), tatebayashi 9.3): documents reviewed at least yearly, each revision
    approved and recorded (who approved which revision when), reminders before a review is due."""

    documents: list[ReviewedDocument] = Field(min_length=1)
    remind_days_before: list[int] = Field(default=[30, 7])


Path = tuple[str | int, ...]


def asset_register_problems(
    spec: AssetRegisterSpec, axes: dict[str, set[str]], levels: set[int]
) -> list[tuple[Path, str, str]]:
    """Duplicate segments, unknown axes, classes and levels: (path, code, detail) for check_references."""
    problems: list[tuple[Path, str, str]] = []
    seen: set[str] = set()
    for i, segment in enumerate(spec.segments):
        if segment.key in seen:
            problems.append((("asset_register", "segments", i, "key"), "duplicate_key", segment.key))
        seen.add(segment.key)
    for i, hint in enumerate(spec.level_hints):
        path = ("asset_register", "level_hints", i)
        if hint.axis not in axes:
            problems.append(((*path, "axis"), "unknown_axis", hint.axis))
        else:
            for j, key in enumerate(hint.levels):
                if key not in axes[hint.axis]:
                    problems.append(((*path, "levels", j), "unknown_class", key))
        if hint.suggest_level not in levels:
            problems.append(((*path, "suggest_level"), "unknown_level", str(hint.suggest_level)))
    for j, key in enumerate(spec.required_axes):
        if key not in axes:
            problems.append((("asset_register", "required_axes", j), "unknown_axis", key))
    return problems
