"""Organisations and people of the generated dataset (bench/generate.py).

The five presets are loaded through ``load_policy`` and the departments made with ``create_department``;
the people (thousands) are written in bulk with one password hash made once, each with the
``person.created`` journal entry ``create_person`` would write; the roles are given with the real
``assign_role``: to each role a named bench person (``<org>-<role key>``, order 0) and deputies, and to
each organisation's responding role a pool of people who handle the incidents.
"""

import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from generate_db import Loader, columns_of
from generate_journal import Chain, Events
from generate_texts import CSIRT_DEPARTMENT, DEPARTMENTS, POSTS, person_name

from mamori.people.models import Assignment, Organization, Role, User
from mamori.people.services import assign_role, create_department
from mamori.policy.loader import preset_path, read_policy_file
from mamori.policy.schema import PolicyDocument
from mamori.policy.services import active_version, document_of, load_policy

ACTOR = "bench"
# key: (share of the people, share of the incidents, format of the 職員番号)
ORGANIZATIONS: dict[str, tuple[float, float, str]] = {
    "edogawa": (0.55, 0.58, "{:07d}"),
    "katsushika": (0.25, 0.22, "K{:06d}"),
    "komae": (0.10, 0.10, "{:06d}"),
    "mutsu": (0.07, 0.07, "M{:05d}"),
    "tatebayashi": (0.03, 0.03, "S{:04d}"),
}
USER_COLUMNS = columns_of(
    User,
    (
        "id",
        "password",
        "last_login",
        "is_superuser",
        "username",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_active",
        "date_joined",
        "organization",
        "department",
        "employee_number",
        "display_name",
        "phone",
        "post",
        "date_style",
        "language",
        "must_change_password",
        "password_changed_at",
    ),
)


@dataclass
class Org:
    """One organisation as the incident generator needs it: its policy and who does what."""

    key: str
    organization: Organization
    policy_version_id: int
    policy_version: int
    policy: PolicyDocument
    incident_share: float
    departments: list[str] = field(default_factory=list)
    people: list[int] = field(default_factory=list)  # everyone, bench people first
    staff: list[int] = field(default_factory=list)  # people without a role
    bench: dict[str, int] = field(default_factory=dict)  # role key or "staff" → person id
    holders: dict[str, list[int]] = field(default_factory=dict)  # permission → people holding it
    roles_of: dict[int, set[str]] = field(default_factory=dict)
    manager: str = ""
    handler: str = ""

    def can(self, permission: str) -> list[int]:
        return self.holders.get(permission, [])


def load_organisations() -> list[Org]:
    """The five presets through the real loader (each makes its organisation and roles)."""
    orgs = []
    for key, (_people, incidents, _number) in ORGANIZATIONS.items():
        load_policy(read_policy_file(preset_path(key)), actor=ACTOR, source_name=f"preset:{key}")
        organization = Organization.objects.get(key=key)
        version = active_version(organization)
        orgs.append(Org(key, organization, version.pk, version.version, document_of(version), incidents))
    return orgs


def _split(total: int, minimums: list[int], shares: list[float]) -> list[int]:
    """``total`` split by ``shares`` with each part at least its minimum; the first part takes the rest."""
    extra = total - sum(minimums)
    if extra < 0:
        raise SystemExit(f"--people {total} is too few: the bench people alone are {sum(minimums)}")
    parts = [m + int(extra * s) for m, s in zip(minimums, shares, strict=True)]
    parts[0] += total - sum(parts)
    return parts


@dataclass
class People:
    """What the generator needs of each person: the name the journal shows, the username, the contact a
    report made by them carries (submit_report: mail and phone)."""

    labels: dict[int, str] = field(default_factory=dict)
    usernames: dict[int, str] = field(default_factory=dict)
    contacts: dict[int, str] = field(default_factory=dict)


def make_people(
    orgs: list[Org], total: int, *, rng: random.Random, loader: Loader, at: int, now: int, password: str
) -> People:
    """Departments, people and role assignments of every organisation.

    ``at``: the instant (µs) the people are registered, also the time of their journal entries; ``now``:
    when their password was set (today: a password older than the policy allows must be changed first).
    """
    hashed = make_password(password)  # once: hashing ten thousand passwords would take an hour
    joined, password_set = loader.stamps.db(at), loader.stamps.db(now)
    people = People()
    labels = people.labels
    minimums = [len(org.policy.roles) + 1 for org in orgs]
    counts = _split(total, minimums, [ORGANIZATIONS[o.key][0] for o in orgs])
    next_id = loader.max_id("people_user") + 1
    events = Events()
    rows: list[tuple[Any, ...]] = []
    departments: dict[tuple[str, str], int] = {}
    for org in orgs:
        org.departments = list(DEPARTMENTS.get(org.key, DEPARTMENTS["default"]))
        with transaction.atomic():
            for name in org.departments:
                departments[(org.key, name)] = create_department(org.organization, actor=ACTOR, name=name).pk
    chain = Chain(loader, labels)  # after the entries create_department wrote
    for org, count in zip(orgs, counts, strict=True):
        names = org.departments
        csirt_department = CSIRT_DEPARTMENT.get(org.key, CSIRT_DEPARTMENT["default"])
        number_format = ORGANIZATIONS[org.key][2]
        digits = len(number_format.format(0)) - (0 if number_format[0] == "{" else 1)
        numbers = rng.sample(range(1, 10**digits), count)
        bench_keys = [role.key for role in org.policy.roles] + ["staff"]
        role_posts = {role.key: (role.post or role.title)[:100] for role in org.policy.roles}
        for i in range(count):
            person_id = next_id
            next_id += 1
            family, given = person_name(rng)
            display = f"{family} {given}"
            employee_number = number_format.format(numbers[i])
            if i < len(bench_keys):
                key = bench_keys[i]
                username = f"{org.key}-{key}"
                org.bench[key] = person_id
                department = csirt_department if key != "staff" else rng.choice(names)
                post = role_posts.get(key, "主事")
            else:
                username = f"{org.key}-{employee_number.lower()}"
                department = rng.choice(names)
                post = rng.choice(POSTS)
                org.staff.append(person_id)
            email = f"{username}@{org.key}.example"
            phone = f"内線{rng.randrange(1000, 10000)}"
            labels[person_id] = display
            people.usernames[person_id] = username
            people.contacts[person_id] = f"{email} / {phone}"
            org.people.append(person_id)
            rows.append(
                (person_id, hashed, None, False, username, given, family, email, False, True, joined,
                 org.organization.pk, departments[(org.key, department)], employee_number, display, phone, post,
                 "wareki", "ja", False, password_set)
            )  # fmt: skip
            events.add(
                at + len(rows),
                org.organization.pk,
                None,
                "person.created",
                "people.user",
                person_id,
                display,
                {
                    "username": username,
                    "display_name": display,
                    "employee_number": employee_number,
                    "email": email,
                    "department": department,
                    "password_usable": True,
                    "password_temporary": False,
                    "is_staff": False,
                    "is_superuser": False,
                },
            )
    with transaction.atomic():
        loader.insert("people_user", USER_COLUMNS, rows)
        loader.reset_sequences([User])
        chain.append(events.due(None), system_label=ACTOR)
        chain.save_head()
    for org in orgs:
        _assign_roles(org, rng)
    return people


def _assign_roles(org: Org, rng: random.Random) -> None:
    """Each role: its bench person as holder, then deputies; the main responding role also gets a pool
    of handlers (about one per 150 people, as 江戸川区's 情報セキュリティ管理者 are one per department)."""
    roles = {r.key: r for r in Role.objects.filter(organization=org.organization)}
    people = {p.pk: p for p in User.objects.filter(organization=org.organization)}
    pool = list(org.staff)
    rng.shuffle(pool)
    responding = _responding_role(org.policy)
    with transaction.atomic():
        for spec in org.policy.roles:
            role = roles[spec.key]
            assign_role(role, people[org.bench[spec.key]], actor=ACTOR, order=0, post=(spec.post or "")[:100])
            extra = 2 if spec.key != responding else max(3, min(40, len(org.people) // 150))
            chosen = [pool.pop() for _ in range(min(extra, len(pool)))]
            if not chosen:  # very small runs: the other bench people stand in
                chosen = [p for k, p in org.bench.items() if k not in (spec.key, "staff")][:1]
            for order, person_id in enumerate(chosen, start=1):
                assign_role(role, people[person_id], actor=ACTOR, order=order)
    for assignment in Assignment.objects.filter(role__organization=org.organization).select_related("role"):
        org.roles_of.setdefault(assignment.person_id, set()).add(assignment.role.key)
    for permission, grant in org.policy.permissions.items():
        allowed = set(grant.roles)
        org.holders[permission] = sorted(p for p, held in org.roles_of.items() if held & allowed)
    org.manager = _manager_role(org.policy)
    org.handler = responding


def _manager_role(policy: PolicyDocument) -> str:
    """The role of the person who runs the triage queue and sees every incident, restricted ones too."""
    if policy.role("csirt_manager") is not None:
        return "csirt_manager"
    for role in policy.roles:
        if role.csirt and role.key in policy.roles_for("triage") and role.key in policy.roles_for("view_all"):
            return role.key
    return policy.roles_for("triage")[0]


def _responding_role(policy: PolicyDocument) -> str:
    """The role whose people handle incidents day to day (respond, but not triage where possible)."""
    if policy.role("handler") is not None:
        return "handler"
    responders = policy.roles_for("respond")
    triagers = set(policy.roles_for("triage"))
    return next((key for key in responders if key not in triagers), responders[0])


def bench_people(org: Org, usernames: dict[int, str]) -> dict[str, Any]:
    """The manifest's view of one organisation's named people."""
    out: dict[str, Any] = {}
    for key, person_id in org.bench.items():
        held = sorted(org.roles_of.get(person_id, set()))
        out[key] = {
            "username": usernames[person_id],
            "id": person_id,
            "roles": held,
            "permissions": sorted(p for p, people in org.holders.items() if person_id in people),
        }
    return out
