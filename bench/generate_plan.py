"""The first pass of bench/generate.py: the life of every incident, before any text is written.

When each report came in (more and more over ten fiscal years, mostly in office hours), to which
organisation, its reference, what kind of incident it is, and how far it got by now: still in the
triage queue, not an incident, merged into an earlier report of the same event, or handled — and then
when it was triaged, contained, moved to recurrence prevention and closed. Old incidents are nearly all
finished; recent ones are in every state. Duplicate reports are paired with their target here, and the
timeline entries are shared out so that they add up exactly to the number asked for.
"""

import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from generate_corpus import CATEGORY_OF_KIND, PERSONAL_DATA_KINDS, SEVERE_KINDS
from generate_db import DAY_US, JST_US, us_of
from generate_people import Org
from generate_texts import kind_weights

from mamori import wareki

JST = ZoneInfo("Asia/Tokyo")
YEARS = 10
MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
DETAIL_ACTIONS = 200
# Shares and durations; bench/README.md ("generate.py") gives the resulting mix at 1M.
DUPLICATE = 0.035  # a report of an event already reported (merged into it), at most two per incident
NOT_INCIDENT = 0.12  # of those triaged
STUCK = 0.012  # of the last 60 days: waiting in the queue far longer than usual
STALE = 0.001  # handled but never closed (the old open incidents every register has)
RESTRICTED = 0.023
DRILL = 0.0115
LEVEL_CHANGE = 0.10
LEVEL_WEIGHTS = (0.30, 0.42, 0.22, 0.06)  # level 0, 1, 2, 3 (further levels of a policy: like 3)


@dataclass(slots=True)
class Plan:
    index: int
    org: int
    opened: int  # µs since the epoch, UTC
    fiscal_year: int = 0
    number: int = 0
    kind: str = ""
    outcome: str = "incident"  # queue | not_incident | merged | incident
    state: str = "received"
    category: str = ""
    level: int | None = None
    start_triage: int | None = None
    triaged: int | None = None
    handler_at: int | None = None
    contained: int | None = None
    prevention: int | None = None
    closed: int | None = None
    level_change: tuple[int, int] | None = None  # (when, new level)
    restricted: bool = False
    drill: bool = False
    personal_data: bool = False
    merged_into: int | None = None  # slot index of the target
    duplicates: list[int] = field(default_factory=list)
    actions: int = 0
    target: bool = False
    unanswered: str = ""  # its report's escalation: "" answered, or nobody answers: waiting | due | exhausted


def _lognormal(rng: random.Random, median_us: float, sigma: float, low: float, high: float) -> int:
    return int(min(high, max(low, median_us * math.exp(rng.gauss(0.0, sigma)))))


def opening_times(rng: random.Random, n: int, first_fy: int, now: int) -> list[int]:
    """``n`` instants from 1 April of ``first_fy`` to ``now``, three times as dense at the end as at the
    start, most in office hours on weekdays."""
    start = us_of(datetime(first_fy, 4, 1, tzinfo=JST))
    span = now - 10 * MINUTE_US - start
    times = []
    for _ in range(n):
        # Density 1 + 2x on [0, 1]: the inverse of its distribution function.
        x = (math.sqrt(1 + 8 * rng.random()) - 1) / 2
        t = start + int(x * span)
        local = t + JST_US
        day, in_day = divmod(local, DAY_US)
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; 5, 6 = Saturday, Sunday
        office = 8.5 * HOUR_US <= in_day < 17.5 * HOUR_US and weekday < 5
        if not office and rng.random() < 0.75:
            if weekday >= 5:
                day -= weekday - 4  # to the Friday before
            t = day * DAY_US + int((8.5 + 9 * rng.random()) * HOUR_US) - JST_US
            t = min(max(t, start), now - 10 * MINUTE_US)
        times.append(t)
    times.sort()
    return times


def plan_incidents(
    orgs: list[Org], n: int, actions: int, targets: int, *, rng: random.Random, now: int
) -> list[Plan]:
    first_fy = wareki.fiscal_year(datetime.fromtimestamp(now / 1e6, JST)) - YEARS + 1
    times = opening_times(rng, n, first_fy, now)
    owners = rng.choices(range(len(orgs)), weights=[o.incident_share for o in orgs], k=n)
    plans = [Plan(i, org, t) for i, (t, org) in enumerate(zip(times, owners, strict=True))]
    _number(plans, orgs)
    _pair_duplicates(plans, rng, now)
    kinds, cumulative = kind_weights()
    for plan in plans:
        if plan.merged_into is not None:
            plan.kind = plans[plan.merged_into].kind  # the same event, reported again
            continue
        plan.kind = rng.choices(kinds, cum_weights=cumulative)[0]
        _fate(plan, orgs[plan.org], rng, now)
    _choose_targets(plans, orgs, targets, rng, now)
    _choose_unanswered(plans, orgs, rng, now)
    _share_actions(plans, actions - DETAIL_ACTIONS * sum(p.target for p in plans), rng)
    return plans


def _number(plans: list[Plan], orgs: list[Org]) -> None:
    """Fiscal year and number within it, per organisation, in the order the reports came in."""
    last: dict[tuple[int, int], int] = {}
    years: dict[int, int] = {}
    for plan in plans:
        day = (plan.opened + JST_US) // DAY_US
        fy = years.get(day)
        if fy is None:
            fy = years[day] = wareki.fiscal_year(date(1970, 1, 1) + timedelta(days=day))
        key = (plan.org, fy)
        last[key] = last.get(key, 0) + 1
        plan.fiscal_year, plan.number = fy, last[key]


def _pair_duplicates(plans: list[Plan], rng: random.Random, now: int) -> None:
    """Some reports describe an event reported shortly before (a second caller, the same mail): triage
    merges them into the first. Paired with a report of the same organisation of the last two days."""
    recent: dict[int, deque[Plan]] = {}
    window = 2 * DAY_US
    for plan in plans:
        queue = recent.setdefault(plan.org, deque())
        while queue and queue[0].opened < plan.opened - window:
            queue.popleft()
        if queue and rng.random() < DUPLICATE and plan.opened < now - 12 * HOUR_US:
            candidates = [p for p in queue if len(p.duplicates) < 2]
            if candidates:
                target = rng.choice(candidates)
                plan.merged_into = target.index
                target.duplicates.append(plan.index)
                merged = plan.opened + _lognormal(rng, 40 * MINUTE_US, 1.0, 2 * MINUTE_US, 8 * HOUR_US)
                plan.outcome, plan.state, plan.closed = "merged", "merged", merged
                continue
        queue.append(plan)


def _level(rng: random.Random, org: Org, kind: str) -> int:
    values = sorted(lv.value for lv in org.policy.levels)
    weights = [LEVEL_WEIGHTS[min(i, len(LEVEL_WEIGHTS) - 1)] for i in range(len(values))]
    i = rng.choices(range(len(values)), weights=weights)[0]
    if kind in SEVERE_KINDS and rng.random() < 0.3:
        i = min(i + 1, len(values) - 1)
    return values[i]


def _category(org: Org, kind: str) -> str:
    key = CATEGORY_OF_KIND.get(org.key, {}).get(kind, "other")
    if org.policy.category(key) is None:
        key = org.policy.categories[-1].key
    return key


def _fate(plan: Plan, org: Org, rng: random.Random, now: int) -> None:
    """What happened to one report by ``now``: the times of its triage and response, and its state."""
    t = plan.opened
    age = now - t
    delay = _lognormal(rng, 3 * HOUR_US, 1.0, 5 * MINUTE_US, 5 * DAY_US)
    stuck = age < 60 * DAY_US and rng.random() < STUCK
    if stuck or t + delay > now:
        plan.outcome = "queue"
        if rng.random() < 0.4:
            plan.state = "triage"
            plan.start_triage = t + min(delay // 5, age // 2) + 1
        return
    plan.triaged = t + delay
    if rng.random() < 0.3:
        plan.start_triage = t + delay // 3 + 1
    if rng.random() < NOT_INCIDENT:
        plan.outcome, plan.state, plan.closed = "not_incident", "not_incident", plan.triaged
        return
    plan.outcome = "incident"
    plan.level = _level(rng, org, plan.kind)
    plan.category = _category(org, plan.kind)
    plan.restricted = rng.random() < RESTRICTED
    plan.drill = rng.random() < DRILL
    plan.personal_data = rng.random() < (0.65 if plan.kind in PERSONAL_DATA_KINDS else 0.04)
    handler_at = plan.triaged + rng.randint(1, 30) * MINUTE_US
    plan.handler_at = handler_at if handler_at <= now else None
    contained = plan.triaged + _lognormal(rng, DAY_US, 1.0, HOUR_US, 90 * DAY_US)
    prevention = contained + _lognormal(rng, 3 * DAY_US, 1.0, HOUR_US, 120 * DAY_US)
    closed = prevention + _lognormal(rng, 6 * DAY_US, 1.0, HOUR_US, 180 * DAY_US)
    if rng.random() < STALE:  # never finished: stays in the stage it reached
        stop = rng.randrange(3)
        closed = now + 1
        prevention = prevention if stop >= 2 else now + 1
        contained = contained if stop >= 1 else now + 1
    _set_stages(plan, contained, prevention, closed, now)
    values = sorted(lv.value for lv in org.policy.levels)
    if rng.random() < LEVEL_CHANGE and len(values) > 1:
        # Up or down by one while the incident is handled (change_level: responding to preventing).
        new = plan.level + rng.choice((-1, 1))
        new = new if values[0] <= new <= values[-1] else 2 * plan.level - new
        end = min(plan.closed or now, now)
        plan.level_change = (plan.triaged + 2 + int(rng.random() * max(0, end - plan.triaged - 4)), new)


def _set_stages(plan: Plan, contained: int, prevention: int, closed: int, now: int) -> None:
    plan.contained = contained if contained <= now else None
    plan.prevention = prevention if plan.contained and prevention <= now else None
    plan.closed = closed if plan.prevention and closed <= now else None
    if plan.closed:
        plan.state = "closed"
    elif plan.prevention:
        plan.state = "preventing"
    elif plan.contained:
        plan.state = "recovering"
    else:
        plan.state = "responding"


def _choose_targets(plans: list[Plan], orgs: list[Org], count: int, rng: random.Random, now: int) -> None:
    """Open incidents of the largest organisation, not restricted, opened one week to half a year ago:
    each gets exactly DETAIL_ACTIONS timeline entries (the bench's detail page)."""
    if count <= 0:
        return
    large = max(range(len(orgs)), key=lambda i: orgs[i].incident_share)
    eligible = [p for p in plans if p.org == large and p.merged_into is None]
    window = [p for p in eligible if now - 180 * DAY_US <= p.opened <= now - 7 * DAY_US]
    if len(window) < count:
        window = [p for p in eligible if p.opened <= now - DAY_US] or eligible
    org = orgs[large]
    for plan in rng.sample(window, min(count, len(window))):
        plan.target = True
        plan.outcome = "incident"
        plan.restricted = plan.drill = False
        if plan.triaged is None:
            plan.triaged = plan.opened + (now - plan.opened) // 50 + 1
        plan.start_triage = None if (plan.start_triage or 0) >= plan.triaged else plan.start_triage
        plan.level = plan.level if plan.level is not None else _level(rng, org, plan.kind)
        plan.category = plan.category or _category(org, plan.kind)
        plan.handler_at = plan.triaged + min(MINUTE_US, (now - plan.triaged) // 2)
        span = now - plan.triaged
        contained = plan.triaged + span // 3 if rng.random() < 0.5 else now + 1
        prevention = plan.triaged + 2 * span // 3 if rng.random() < 0.3 else now + 1
        _set_stages(plan, contained, prevention, now + 1, now)
        if plan.level_change and plan.level_change[0] >= now:
            plan.level_change = None
        plan.actions = DETAIL_ACTIONS


OPEN = frozenset({"received", "triage", "responding", "recovering", "preventing"})


def _choose_unanswered(plans: list[Plan], orgs: list[Org], rng: random.Random, now: int) -> None:
    """Of each organisation's reports still open, the escalation of a few nobody has answered yet
    (generate_paging.py): the three latest (waiting, one of them overdue for the worker; exhausted if the
    chain already ran out), and a few of the days and weeks before, long exhausted: the banner on every
    page. More of them in the larger organisations."""
    latest: list[list[Plan]] = [[] for _ in orgs]
    weeks: list[list[Plan]] = [[] for _ in orgs]  # opened two days to two months ago
    older: list[list[Plan]] = [[] for _ in orgs]  # before: open for months or years
    for plan in reversed(plans):
        if plan.state not in OPEN or plan.merged_into is not None:
            continue
        if len(latest[plan.org]) < 3:
            latest[plan.org].append(plan)
        elif plan.opened <= now - 60 * DAY_US:
            older[plan.org].append(plan)
        elif plan.opened <= now - 2 * DAY_US:
            weeks[plan.org].append(plan)
    largest = max(org.incident_share for org in orgs)
    for i, org in enumerate(orgs):
        for plan, mode in zip(latest[i], ("waiting", "due", "waiting"), strict=False):
            plan.unanswered = mode
        candidates = weeks[i] or older[i]
        candidates = [p for p in candidates if not p.target] or candidates
        for plan in rng.sample(candidates, min(len(candidates), 1 + round(2 * org.incident_share / largest))):
            plan.unanswered = "exhausted"


STATE_WEIGHT = {"responding": 1.5, "recovering": 2.5, "preventing": 3.5, "closed": 4.0}


def _share_actions(plans: list[Plan], total: int, rng: random.Random) -> None:
    """Share ``total`` timeline entries: more for incidents further along and of higher levels, a few
    for reports still in the queue, none for those found not to be incidents or merged."""
    if total <= 0:
        return
    weights = []
    for plan in plans:
        if plan.target or plan.outcome in ("merged", "not_incident"):
            weights.append(0.0)
        elif plan.outcome == "queue":
            weights.append(0.2)
        else:
            weights.append(STATE_WEIGHT[plan.state] * (1 + 0.4 * (plan.level or 0)))
    scale = total / (sum(weights) or 1)
    given = 0
    for plan, weight in zip(plans, weights, strict=True):
        if weight:
            expected = weight * scale
            plan.actions = int(expected) + (rng.random() < expected - int(expected))
            given += plan.actions
    eligible = [p for p, w in zip(plans, weights, strict=True) if w]
    while given != total and eligible:
        plan = rng.choice(eligible)
        if given < total:
            plan.actions += 1
            given += 1
        elif plan.actions > 0:
            plan.actions -= 1
            given -= 1
