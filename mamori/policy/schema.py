"""The schema of a policy file: an organisation's regulation encoded as data.

Every rule carries ``basis``: the article it encodes (根拠). Where the regulation is silent the rule
says ``basis: null`` and must then explain in ``note`` what default was chosen and why.
Cross-references (role keys, levels) are checked in ``PolicyDocument.check_references`` so that a
bad file is refused with the line and the problem.
"""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from .schema_base import KEY_PATTERN, Key, Rule, Strict
from .schema_bcp import BcpSpec, bcp_problems, bcp_role_references
from .schema_registers import (
    AssetRegisterSpec,
    AuditSpec,
    ExceptionMeasuresSpec,
    NetworkSegmentSpec,
    OutsourcingSpec,
    ReviewSpec,
    TrainingSpec,
    asset_register_problems,
)

# What a reporter may be asked for at intake (mutsu 別表第1 確認項目; edogawa 基準第27条第1項第1号).
IntakeItem = Literal[
    "discovered_at",  # いつ: when it was found
    "location",  # どこで: the site or place
    "description",  # 何がどのように: what was found
    "reporter_name",  # 発見者の氏名
    "reporter_contact",  # 発見者の連絡先
    "suspected_cause",  # 想定される原因
    "impact_scope",  # 確認した被害影響範囲
    "affected_systems",  # 対象の情報システム
]

# What the software lets people do; the policy says which roles may do each.
Permission = Literal[
    "log_report",  # PoC: log a call or mail on someone's behalf, see the triage queue
    "triage",  # decide whether it is an incident, its category and level; merge reports
    "assign",  # choose the handler
    "respond",  # record actions, evidence and tasks; move between response phases
    "close",  # declare closure (収束宣言)
    "reopen",
    "approve_publication",  # decide on outside reporting and publication
    "view_all",  # see every incident of the organisation; the statistics
    "import_register",  # bring past incidents into the register from Excel
    # The registers' (schema_registers.REGISTER_PERMISSIONS): optional in a file.
    "view_systems",
    "edit_systems",
]

# Every policy file must grant these; the registers' permissions may be left out (schema_registers.py).
REQUIRED_PERMISSIONS = (
    "log_report",
    "triage",
    "assign",
    "respond",
    "close",
    "reopen",
    "approve_publication",
    "view_all",
    "import_register",
)


class OrganizationSpec(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=50)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["municipality", "special_ward", "union", "other"] = "municipality"


class DocumentSpec(Strict):
    title: str = Field(min_length=1)
    number: str | None = None
    enacted: date | None = None
    other_sources: list[str] = []


class Contact(Strict):
    label: str = Field(min_length=1)
    value: str = Field(min_length=1)


class IntakeItems(Rule):
    items: list[IntakeItem] = Field(min_length=1)


class PocSpec(Rule):
    name: str = Field(min_length=1)
    unit: str | None = None
    address: str | None = None
    hours: str | None = None
    contacts: list[Contact] = []
    required_items: IntakeItems


class RoleSpec(Rule):
    key: Key = Field(pattern=KEY_PATTERN, max_length=50)
    title: str = Field(min_length=1, max_length=100)
    post: str | None = Field(default=None, description="The office that holds the role, e.g. 総務部長")
    duties: list[str] = []
    csirt: bool = False
    deputies: list[Key] = Field(default=[], description="Roles that act for this one, in order")


class Notification(Rule):
    role: Key
    within_minutes: int | None = Field(default=None, ge=0, description="null means 速やかに (at once)")
    text: str = Field(min_length=1)


class LevelSpec(Rule):
    value: int = Field(ge=0, le=9)
    label: str = Field(min_length=1)
    criteria: str = Field(min_length=1)
    notify: list[Notification] = []


class ChecklistItem(Rule):
    text: str = Field(min_length=1)


class CategorySpec(Rule):
    key: Key = Field(pattern=KEY_PATTERN, max_length=50)
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    checklist: list[ChecklistItem] = []


class PhaseSpec(Rule):
    key: Literal[
        "detection",
        "triage",
        "initial_response",
        "containment",
        "recovery",
        "prevention",
        "reporting",
        "closure",
    ]
    label: str = Field(min_length=1)
    description: str | None = None


class Grant(Rule):
    roles: list[Key] = Field(min_length=1)


class ChainStep(Rule):
    from_role: Key | Literal["staff", "public"]
    to_role: Key
    text: str | None = None


class ReportingChain(Strict):
    key: Key = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1)
    steps: list[ChainStep] = Field(min_length=1)


class Applies(Strict):
    """When an outside body or checklist item applies. Empty means: always decide."""

    levels: list[int] = []
    categories: list[Key] = []
    personal_data: bool | None = None


class Trigger(Rule):
    """A fact that makes a report obligatory (e.g. 要配慮個人情報, more than 100 persons)."""

    key: Key = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1)
    kind: Literal["flag", "count"] = "flag"
    more_than: int | None = Field(default=None, ge=0, description="for kind: count")

    @model_validator(mode="after")
    def _count_has_threshold(self):
        if self.kind == "count" and self.more_than is None:
            raise ValueError("count_without_threshold")
        return self


class LongerDeadline(Strict):
    trigger: Key
    due_days: int = Field(ge=1, le=366)


class ReportClock(Rule):
    """One report owed to the body, with its legal clock, counted from when the organisation
    became aware (個人情報保護法施行規則: 速報 速やかに, 確報 30日以内 / 不正の目的 60日以内)."""

    kind: Key = Field(pattern=KEY_PATTERN, description="e.g. preliminary (速報), final (確報)")
    label: str = Field(min_length=1)
    due_days: int | None = Field(default=None, ge=1, le=366)
    due_hours: int | None = Field(default=None, ge=1, le=24 * 30)
    longer_if: list[LongerDeadline] = []
    remind_hours_before: list[int] = Field(default=[24], description="reminders before the deadline")
    form: Literal["ppc", "plain"] = "plain"

    @model_validator(mode="after")
    def _one_deadline(self):
        if (self.due_days is None) == (self.due_hours is None):
            raise ValueError("give_due_days_or_due_hours")
        return self


class OutsideBody(Rule):
    key: Key = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1)
    when: str = Field(min_length=1, description="When the regulation says this body is told")
    decided_by: Key | None = None
    applies: Applies = Applies()
    # With reports: obligatory when ``applies`` holds and (no triggers, or any trigger holds).
    triggers: list[Trigger] = []
    reports: list[ReportClock] = []
    counting: Literal["calendar", "business"] = Field(
        default="calendar", description="business: skip weekends, national holidays and 12/29–1/3"
    )


class PublicationSpec(Rule):
    decided_by: Key
    consult: list[Key] = []
    report_to: list[Key] = []


class ClosureSpec(Rule):
    prevention_with: list[Key] = []
    records_to_keep: list[str] = []


class EmergencyAction(Rule):
    key: Key = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1)
    by: list[Key] = Field(min_length=1)
    report_after_to: list[Key] = Field(min_length=1)


class EvaluationStep(Rule):
    key: Key = Field(pattern=KEY_PATTERN)
    text: str = Field(min_length=1)


class ClassLevel(Strict):
    key: str = Field(min_length=1)
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    handling: str | None = None


class ClassAxis(Strict):
    key: Key = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1)
    levels: list[ClassLevel] = Field(min_length=1)


class ClassificationSpec(Rule):
    axes: list[ClassAxis] = Field(min_length=1)


TransitionName = Literal[
    "triage_respond",
    "triage_not_incident",
    "start_recovery",
    "start_prevention",
    "resume_response",
    "close",
    "reopen",
    "reconsider",
]


class EscalationSpec(Rule):
    """How people are paged (issue: escalation). Levels say who must be told; this says how long each
    person has to acknowledge before the next in the chain (deputies) is paged, and who is paged when
    the whole chain stays silent."""

    default_ack_minutes: int = Field(
        ge=1, le=24 * 60, description="for notifications due 速やかに (no minutes given)"
    )
    fallback_role: Key
    on_report: list[Notification] = Field(default=[], description="who is told of every new report")
    # Who is told when an incident changes state, by transition (see incidents/transitions.py).
    on_transition: dict[TransitionName, list[Notification]] = {}


class PasswordRules(Rule):
    """What a password set in Mamori must be (tatebayashi 5.4(2)③, edogawa 基準第11条(2), 第17条第4項).

    People who log in through the directory (LDAP, OIDC) keep the directory's own rules."""

    min_length: int = Field(ge=8, le=128)
    character_classes: int = Field(
        ge=1, le=4, description="how many of upper case, lower case, digits and symbols it must mix"
    )
    # Not the user ID, the 職員番号 or the person's name, nor contain them (edogawa 基準第11条(2)).
    not_personal: bool = True
    max_age_days: int | None = Field(
        default=None, ge=1, le=3650, description="有効期間; null means changed only when it may have leaked"
    )


class SecondFactorSpec(Rule):
    """Who must add a one-time code from an authenticator app to their password.

    Every role that approves (approve_publication, close) or sees restricted incidents (csirt: true),
    and every administrator of Mamori itself, needs it whatever this says; ``also_roles`` adds more."""

    also_roles: list[Key] = []


class LoginSpec(Rule):
    """Login, lockout and idle timeout of Mamori itself (tatebayashi 6.2(3)(4), 6.2(1)③(カ))."""

    banner: str = Field(min_length=1, max_length=2000, description="ログイン時のメッセージ")
    max_failures: int = Field(ge=3, le=50, description="failed logins in a row before the ID is locked")
    lockout_minutes: int | None = Field(
        default=None, ge=1, le=7 * 24 * 60, description="null: locked until an administrator unlocks"
    )
    idle_minutes: int = Field(ge=5, le=24 * 60, description="アクセスタイムアウト")
    reauth_minutes: int = Field(
        default=15, ge=1, le=240, description="how long a password re-entry covers administrative actions"
    )
    password: PasswordRules
    second_factor: SecondFactorSpec


class PolicyDocument(Strict):
    schema_version: Literal[1]
    organization: OrganizationSpec
    document: DocumentSpec
    poc: PocSpec
    roles: list[RoleSpec] = Field(min_length=1)
    levels: list[LevelSpec] = Field(min_length=1)
    categories: list[CategorySpec] = Field(min_length=1)
    phases: list[PhaseSpec] = Field(min_length=1)
    permissions: dict[Permission, Grant]
    reporting_chains: list[ReportingChain] = []
    outside_bodies: list[OutsideBody] = []
    publication: PublicationSpec
    closure: ClosureSpec
    emergency_actions: list[EmergencyAction] = []
    evaluation: list[EvaluationStep] = []
    classification: ClassificationSpec | None = None
    escalation: EscalationSpec
    login: LoginSpec
    asset_register: AssetRegisterSpec | None = None
    exception_measures: ExceptionMeasuresSpec | None = None
    training: TrainingSpec | None = None
    audits: AuditSpec | None = None
    outsourcing: OutsourcingSpec | None = None
    reviews: ReviewSpec | None = None
    bcp: BcpSpec | None = None

    @field_validator("permissions")
    @classmethod
    def _every_permission_granted(cls, value):
        missing = [p for p in REQUIRED_PERMISSIONS if p not in value]
        if missing:
            raise ValueError("permissions_missing:" + ",".join(missing))
        return value

    # --- lookups used by the rest of the code -------------------------------------------------
    def role(self, key: str) -> RoleSpec | None:
        return next((r for r in self.roles if r.key == key), None)

    def level(self, value: int | None) -> LevelSpec | None:
        return next((lv for lv in self.levels if lv.value == value), None)

    def category(self, key: str | None) -> CategorySpec | None:
        return next((c for c in self.categories if c.key == key), None)

    def phase(self, key: str | None) -> PhaseSpec | None:
        return next((p for p in self.phases if p.key == key), None)

    def roles_for(self, permission: str) -> list[str]:
        grant = self.permissions.get(permission)  # type: ignore[call-overload]
        return list(grant.roles) if grant else []

    def requires(self, item: str) -> bool:
        return item in self.poc.required_items.items

    def segment(self, key: str | None) -> NetworkSegmentSpec | None:
        segments = self.asset_register.segments if self.asset_register else []
        return next((s for s in segments if s.key == key), None)

    def axis(self, key: str) -> ClassAxis | None:
        axes = self.classification.axes if self.classification else []
        return next((a for a in axes if a.key == key), None)

    def second_factor_roles(self) -> frozenset[str]:
        """Roles whose holders and deputies must use a second factor (see ``SecondFactorSpec``)."""
        approving = set(self.roles_for("approve_publication")) | set(self.roles_for("close"))
        restricted = {r.key for r in self.roles if r.csirt}
        return frozenset(approving | restricted | set(self.login.second_factor.also_roles))


class Reference(BaseModel):
    """A problem found after parsing: the path to the offending value and what is wrong."""

    path: tuple[str | int, ...]
    code: str
    detail: str = ""


def check_references(doc: PolicyDocument) -> list[Reference]:
    """Everything the types alone cannot say: unknown roles, duplicate keys, level numbering."""
    problems: list[Reference] = []
    role_keys = [r.key for r in doc.roles]
    known = set(role_keys)

    def role_ref(path: tuple[str | int, ...], key: str) -> None:
        if key not in known:
            problems.append(Reference(path=path, code="unknown_role", detail=key))

    def unique(items: list, attr: str, section: str) -> None:
        seen: set = set()
        for i, item in enumerate(items):
            value = getattr(item, attr)
            if value in seen:
                problems.append(Reference(path=(section, i, attr), code="duplicate_key", detail=str(value)))
            seen.add(value)

    unique(doc.roles, "key", "roles")
    unique(doc.levels, "value", "levels")
    unique(doc.categories, "key", "categories")
    unique(doc.phases, "key", "phases")
    unique(doc.outside_bodies, "key", "outside_bodies")
    unique(doc.emergency_actions, "key", "emergency_actions")
    unique(doc.reporting_chains, "key", "reporting_chains")

    values = sorted(lv.value for lv in doc.levels)
    if values and values != list(range(values[0], values[0] + len(values))):
        problems.append(Reference(path=("levels",), code="levels_not_consecutive", detail=str(values)))
    if not any(r.csirt for r in doc.roles):
        problems.append(Reference(path=("roles",), code="no_csirt_role"))

    for i, role in enumerate(doc.roles):
        for j, deputy in enumerate(role.deputies):
            role_ref(("roles", i, "deputies", j), deputy)
            if deputy == role.key:
                problems.append(
                    Reference(path=("roles", i, "deputies", j), code="deputy_of_itself", detail=deputy)
                )
    for i, level in enumerate(doc.levels):
        for j, n in enumerate(level.notify):
            role_ref(("levels", i, "notify", j, "role"), n.role)
    for perm, grant in doc.permissions.items():
        for j, key in enumerate(grant.roles):
            role_ref(("permissions", perm, "roles", j), key)
    for i, chain in enumerate(doc.reporting_chains):
        for j, step in enumerate(chain.steps):
            if step.from_role not in ("staff", "public"):
                role_ref(("reporting_chains", i, "steps", j, "from_role"), step.from_role)
            role_ref(("reporting_chains", i, "steps", j, "to_role"), step.to_role)
    category_keys = {c.key for c in doc.categories}
    level_values = set(values)
    for i, body in enumerate(doc.outside_bodies):
        if body.decided_by:
            role_ref(("outside_bodies", i, "decided_by"), body.decided_by)
        for j, lv in enumerate(body.applies.levels):
            if lv not in level_values:
                problems.append(
                    Reference(
                        path=("outside_bodies", i, "applies", "levels", j),
                        code="unknown_level",
                        detail=str(lv),
                    )
                )
        for j, cat in enumerate(body.applies.categories):
            if cat not in category_keys:
                problems.append(
                    Reference(
                        path=("outside_bodies", i, "applies", "categories", j),
                        code="unknown_category",
                        detail=cat,
                    )
                )
    for i, body in enumerate(doc.outside_bodies):
        trigger_keys = {t.key for t in body.triggers}
        for j, clock in enumerate(body.reports):
            for k, longer in enumerate(clock.longer_if):
                if longer.trigger not in trigger_keys:
                    problems.append(
                        Reference(
                            path=("outside_bodies", i, "reports", j, "longer_if", k, "trigger"),
                            code="unknown_trigger",
                            detail=longer.trigger,
                        )
                    )
    role_ref(("escalation", "fallback_role"), doc.escalation.fallback_role)
    for j, n in enumerate(doc.escalation.on_report):
        role_ref(("escalation", "on_report", j, "role"), n.role)
    for name, rules in doc.escalation.on_transition.items():
        for j, n in enumerate(rules):
            role_ref(("escalation", "on_transition", name, j, "role"), n.role)
    for j, key in enumerate(doc.login.second_factor.also_roles):
        role_ref(("login", "second_factor", "also_roles", j), key)
    role_ref(("publication", "decided_by"), doc.publication.decided_by)
    for j, key in enumerate(doc.publication.consult):
        role_ref(("publication", "consult", j), key)
    for j, key in enumerate(doc.publication.report_to):
        role_ref(("publication", "report_to", j), key)
    for j, key in enumerate(doc.closure.prevention_with):
        role_ref(("closure", "prevention_with", j), key)
    if doc.asset_register is not None:
        axes = (
            {a.key: {lv.key for lv in a.levels} for a in doc.classification.axes}
            if doc.classification
            else {}
        )
        problems += [
            Reference(path=p, code=c, detail=d)
            for p, c, d in asset_register_problems(doc.asset_register, axes, {lv.value for lv in doc.levels})
        ]
    if doc.exception_measures is not None:
        measures = doc.exception_measures
        for field_name in ("apply_roles", "approve_roles", "view_roles"):
            for j, key in enumerate(getattr(measures, field_name)):
                role_ref(("exception_measures", field_name, j), key)
    if doc.audits is not None:
        for field_name in ("manage_roles", "self_inspection_roles"):
            for j, key in enumerate(getattr(doc.audits, field_name)):
                role_ref(("audits", field_name, j), key)
        unique(doc.audits.checklist, "key", "audits.checklist")
    if doc.outsourcing is not None:
        for field_name in ("manage_roles", "cloud_apply_roles", "cloud_approve_roles"):
            for j, key in enumerate(getattr(doc.outsourcing, field_name)):
                role_ref(("outsourcing", field_name, j), key)
        unique(doc.outsourcing.contract_items, "key", "outsourcing.contract_items")
        unique(doc.outsourcing.end_items, "key", "outsourcing.end_items")
    if doc.reviews is not None:
        unique(doc.reviews.documents, "key", "reviews.documents")
        for i, reviewed in enumerate(doc.reviews.documents):
            for field_name in ("keeper_roles", "approve_roles"):
                for j, key in enumerate(getattr(reviewed, field_name)):
                    role_ref(("reviews", "documents", i, field_name, j), key)
    if doc.training is not None:
        for field_name in ("plan_roles", "record_roles"):
            for j, key in enumerate(getattr(doc.training, field_name)):
                role_ref(("training", field_name, j), key)
        seen_kinds: set[str] = set()
        for j, kind in enumerate(doc.training.exercises):
            if kind.key in seen_kinds:
                problems.append(
                    Reference(path=("training", "exercises", j, "key"), code="duplicate_key", detail=kind.key)
                )
            seen_kinds.add(kind.key)
            if kind.emergency and doc.bcp is None:
                problems.append(
                    Reference(path=("training", "exercises", j, "emergency"), code="no_bcp", detail=kind.key)
                )
    if doc.bcp is not None:
        for path, key in bcp_role_references(doc.bcp):
            role_ref(path, key)
        axes = (
            {a.key: {lv.key for lv in a.levels} for a in doc.classification.axes}
            if doc.classification
            else {}
        )
        problems += [Reference(path=p, code=c, detail=d) for p, c, d in bcp_problems(doc.bcp, axes)]
    for i, action in enumerate(doc.emergency_actions):
        for j, key in enumerate(action.by):
            role_ref(("emergency_actions", i, "by", j), key)
        for j, key in enumerate(action.report_after_to):
            role_ref(("emergency_actions", i, "report_after_to", j), key)
    return problems
