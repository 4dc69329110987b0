"""A prefecture-scale dataset for the benchmarks (issue 6), fast: ten fiscal years of reports and
incidents of five organisations, as the services would have left them.

    .venv/bin/python bench/generate.py --incidents 1000000 --actions 3000000 --people 10000 --out manifest.json

Run from the project root in an environment that names the database as the app does (MAMORI_DATA_DIR
for SQLite's file, or DATABASE_URL=postgres://…). The database must be empty (or hold a dataset of the
same parameters, with ``--reuse``). Steps, each timed in the manifest:

1. migrate; load the five presets through ``load_policy``; departments (``create_department``), people in
   bulk (one password hash, their ``person.created`` entries) and roles (``assign_role``) — all dated
   just before the first fiscal year (time-machine), so that the journal reads in time order;
2. plan every incident's life (generate_plan.py), then write it (generate_rows.py): reports, incidents,
   search documents (``search.document``), level changes, timeline entries, the checklist, outside
   reports and tasks of open incidents (generate_extras.py), the escalations with their pages, deliveries
   and attempts (generate_paging.py), evidence and its custody (generate_evidence.py), and the
   hash-chained journal (generate_journal.py), through the raw connection with the big tables' indexes
   set aside (generate_db.py); then the indexes, the full-text index (SQLite FTS5 'rebuild' and its triggers via
   ``search.finish_rebuild``; PostgreSQL's GIN index of migration 0009), sequences and ANALYZE;
3. the marker (table ``bench_generated_dataset``: parameters, migrations, manifest) and the manifest.

What the dataset holds is described in bench/README.md ("generate.py").
"""

import argparse
import json
import os
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
GENERATOR_VERSION = 2
CHUNK = 10_000  # incidents per transaction


@dataclass(frozen=True)
class Options:
    incidents: int = 1_000_000
    actions: int = 3_000_000
    people: int = 10_000
    detail_targets: int = 100
    seed: int = 2026
    password: str = "mamori-Bench-2026"  # noqa: S105 - of the generated people, in the manifest
    workers: int = 1  # a second process making the rows (0: all in this one)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    for path in (str(ROOT), str(BENCH)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import django

    django.setup()


def _travel(moment: datetime) -> AbstractContextManager[Any]:
    """The setup happens before the first fiscal year, so the journal's times only go forward."""
    try:
        import time_machine
    except ImportError:  # only in the dev dependencies: without it, the setup is dated today
        return nullcontext()
    return time_machine.travel(moment, tick=True)


def run(options: Options, *, progress: Callable[[str], None] = print, reuse: bool = False) -> dict[str, Any]:
    """Make the dataset in the default database; returns the manifest."""
    from django.apps import apps
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from generate_db import Loader, datetime_of, fingerprint, read_marker, us_of, write_marker
    from generate_journal import Chain
    from generate_paging import read_setup
    from generate_people import load_organisations, make_people
    from generate_plan import JST, YEARS, plan_incidents
    from generate_rows import TABLES, Builder

    from mamori import wareki
    from mamori.people.models import Organization

    timings: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str, since: float) -> float:
        timings[name] = round(time.perf_counter() - since, 1)
        progress(f"{name}: {timings[name]:.1f} s")
        return time.perf_counter()

    t = time.perf_counter()
    parameters = _parameters(options)
    print_ = fingerprint(parameters)
    if reuse:
        found = reusable(options)
        if found is not None:
            progress("the database already holds this dataset (--reuse): nothing to do")
            return {**found, "reused": True}
    call_command("migrate", verbosity=0)
    if Organization.objects.exists():
        raise SystemExit(
            "The database is not empty"
            + (" and holds a dataset of other parameters or migrations" if read_marker() else "")
            + ": remove it (the SQLite file, or drop the PostgreSQL database) or run with --replace."
        )
    t = step("migrate", t)

    rng = random.Random(options.seed)
    now = us_of(timezone.now())
    current_fy = wareki.fiscal_year(timezone.now())
    setup_at = datetime(current_fy - YEARS + 1, 3, 1, 9, 0, tzinfo=JST)
    loader = Loader()
    with _travel(setup_at):
        orgs = load_organisations()
        people = make_people(
            orgs,
            options.people,
            rng=rng,
            loader=loader,
            at=us_of(timezone.now()),
            now=now,
            password=options.password,
        )
    t = step("organisations and people", t)

    targets = min(options.detail_targets, options.actions // 2 // 200)
    if targets < options.detail_targets:
        progress(f"only {targets} detail targets: --actions {options.actions} cannot give more 200 each")
    plans = plan_incidents(orgs, options.incidents, options.actions, targets, rng=rng, now=now)
    t = step("plan", t)

    loader.begin_load()
    t = step("indexes set aside", t)
    chain = Chain(loader, people.labels)  # after assign_role's entries
    first = {table: loader.max_id(table) + 1 for table, columns in TABLES.values() if columns[0] == "id"}
    paging = read_setup(orgs)
    builder = Builder(orgs, people, plans, first=first, vendor=loader.vendor, rng=rng, now=now, paging=paging)
    cpu = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    tallies = _load(builder, plans, loader, chain, progress, workers=options.workers)
    for name, who, before in (
        ("writer", resource.RUSAGE_SELF, cpu[0]),
        ("producer", resource.RUSAGE_CHILDREN, cpu[1]),
    ):
        used = resource.getrusage(who)
        timings[f"rows cpu {name}"] = round(
            used.ru_utime + used.ru_stime - before.ru_utime - before.ru_stime, 1
        )
    with transaction.atomic():
        chain.save_head()
        _write_counters(loader, tallies.counters, orgs)
    t = step("rows", t)

    loader.end_load(progress)
    t = step("indexes", t)
    loader.finish_search()
    t = step("search index", t)
    loader.reset_sequences([m for m in apps.get_models() if m._meta.db_table in loader.counts])
    loader.analyze()
    loader.restore_settings()
    t = step("analyze", t)

    timings["total"] = round(time.perf_counter() - started, 1)
    manifest = _manifest(options, parameters, orgs, people, plans, builder, tallies, loader, chain, timings)
    manifest.update(now=datetime_of(now).isoformat(), setup_at=setup_at.isoformat())
    write_marker(print_, manifest)
    return manifest


def reusable(options: Options) -> dict[str, Any] | None:
    """The manifest of the dataset in the database if it was made with these parameters and the
    migrations it was made with are those on disk, all applied (checked before migrating); else None.

    A dataset made with these parameters before migrations were added on disk is migrated forward,
    as a town's database is at an upgrade, rather than made again (ten minutes a database at 1M); the
    manifest lists those migrations under ``migrated_forward``."""
    from django.core.management import call_command
    from django.db import connection
    from generate_db import fingerprint, migrations_applied, migrations_on_disk, read_marker, write_marker

    marker = read_marker()
    if marker is None:
        return None
    applied, on_disk = migrations_applied(), migrations_on_disk()
    parameters = _parameters(options)
    made_here = marker[0] in (fingerprint(parameters), fingerprint(parameters, applied))
    if not made_here or not set(applied) <= set(on_disk):
        return None
    if applied == on_disk:
        return marker[1]
    call_command("migrate", verbosity=0)
    # New indexes have no statistics yet, and SQLite's planner then trusts them blindly (a new index on
    # the incidents made it walk an organisation's million incidents for the banner): analyse, as
    # docs/operations.md asks after an upgrade of a large database.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    now_applied = migrations_applied()
    manifest = {
        **marker[1],
        "migrated_forward": sorted(
            {*marker[1].get("migrated_forward", []), *(set(now_applied) - set(applied))}
        ),
    }
    # The marker names the migrations now applied (not those on disk: one added meanwhile is migrated next time).
    write_marker(fingerprint(parameters, now_applied), manifest)
    return manifest


def _items(builder: Any, chain: Any, plans: list[Any], busy: Callable[[], bool]) -> Iterator[Any]:
    """(incidents, rows, journal events due, encoded or not) of every chunk, then the tallies. While
    ``busy()`` says the writer is behind, the entries are encoded here (chain.encode) rather than there."""
    for start in range(0, len(plans), CHUNK):
        after = plans[start + CHUNK].opened if start + CHUNK < len(plans) else None
        chunk = plans[start : start + CHUNK]
        rows, events = builder.chunk(chunk, after)
        if busy():
            yield len(chunk), rows, chain.encode(events), True
        else:
            chain.skip(len(events))
            yield len(chunk), rows, events, False
    yield builder.tallies()


def _produce(builder: Any, chain: Any, plans: list[Any], queue: Any) -> None:
    """The producing process: its items into ``queue``; None if it fails."""
    try:
        for item in _items(builder, chain, plans, lambda: queue.qsize() >= 1):
            queue.put(item)
    except BaseException:
        queue.put(None)
        raise


def _load(
    builder: Any, plans: list[Any], loader: Any, chain: Any, progress: Callable[[str], None], *, workers: int
) -> Any:
    """Write every chunk, one transaction each. With ``workers``, a forked process makes the rows and the
    journal events while this one makes the journal entries and writes (two cores: both busy)."""
    import multiprocessing
    import queue as queues

    from django.db import transaction
    from generate_rows import TABLES

    chunks: Any
    process = None
    if workers and "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        channel = context.Queue(maxsize=4)
        process = context.Process(target=_produce, args=(builder, chain, plans, channel), daemon=True)
        process.start()

        def receive() -> Any:
            while True:
                try:
                    return channel.get(timeout=5)
                except queues.Empty:
                    if not process.is_alive():
                        raise RuntimeError(f"the producing process ended ({process.exitcode})") from None

        chunks = iter(receive, "never")
    else:
        chunks = _items(builder, chain, plans, lambda: True)  # one process: encoded here, never skipped
    started, shown, done = time.perf_counter(), 0.0, 0
    try:
        for item in chunks:
            if item is None:
                raise RuntimeError("the producing process failed (see its traceback above)")
            if not isinstance(item, tuple):
                return item  # the tallies: everything was written
            count, rows, entries, encoded = item
            with transaction.atomic():
                for name, (table, columns) in TABLES.items():
                    loader.insert(table, columns, rows[name])
                chain.write(entries if encoded else chain.encode(entries))
            done += count
            elapsed = time.perf_counter() - started
            if elapsed - shown >= 10 or done == len(plans):
                shown = elapsed
                written = sum(loader.counts.values())
                progress(
                    f"  {done:,}/{len(plans):,} incidents, {written:,} rows ({written / elapsed:,.0f} rows/s), "
                    f"journal {chain.written:,}"
                )
    finally:
        if process is not None:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
    raise RuntimeError("the producing process sent no tallies")


def _write_counters(loader: Any, counters: dict[tuple[int, int], int], orgs: list[Any]) -> None:
    """ReferenceCounter rows at the last number handed out: the next report gets the one after."""
    from generate_db import columns_of

    from mamori.incidents.models import ReferenceCounter

    columns = columns_of(ReferenceCounter, ("id", "organization", "fiscal_year", "last_number"))
    first = loader.max_id("incidents_referencecounter") + 1
    rows = [
        (first + i, orgs[org].organization.pk, fy, last)
        for i, ((org, fy), last) in enumerate(sorted(counters.items()))
    ]
    loader.insert("incidents_referencecounter", columns, rows)


def _manifest(
    options: Options,
    parameters: dict[str, Any],
    orgs: list[Any],
    people: Any,
    plans: list[Any],
    builder: Any,
    tallies: Any,
    loader: Any,
    chain: Any,
    timings: dict[str, float],
) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone
    from generate_people import bench_people

    incidents = Counter(p.org for p in plans)
    states: dict[int, Counter[str]] = {i: Counter() for i in range(len(orgs))}
    for (org, state, _level, _fy), n in tallies.states.items():
        states[org][state] += n
    large = max(range(len(orgs)), key=lambda i: orgs[i].incident_share)
    words: dict[str, list[dict[str, Any]]] = {"common": [], "rare": []}
    from generate_texts import RARE_WORDS

    for word, counts in tallies.words.items():
        entry = {
            "word": word,
            "matches": {orgs[i].key: counts[i] for i in range(len(orgs))},
            "share_in_largest": round(counts[large] / max(1, incidents[large]), 4),
        }
        words["rare" if word in RARE_WORDS else "common"].append(entry)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(DISTINCT incident_id) FROM incidents_evidence")
        evidence_incidents = cursor.fetchone()[0]
        rows = {}
        for table in (
            "people_user",
            "people_assignment",
            "incidents_incident",
            "intake_report",
            "incidents_incidentsearch",
            "incidents_levelchange",
            "incidents_action",
            "incidents_obligation",
            "incidents_externalreport",
            "incidents_task",
            "incidents_referencecounter",
            "incidents_incidentmember",
            "incidents_evidence",
            "incidents_custodyentry",
            "paging_escalation",
            "paging_page",
            "paging_delivery",
            "paging_deliveryattempt",
            "journal_journalentry",
        ):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names listed here
            rows[table] = cursor.fetchone()[0]
    return {
        "generator": GENERATOR_VERSION,
        "parameters": parameters,
        "generated_at": timezone.now().isoformat(),
        "password": options.password,
        "database": {**loader.database_label(), "size_bytes": loader.size_bytes()},
        "organizations": [
            {
                "key": org.key,
                "id": org.organization.pk,
                "name": org.organization.name,
                "policy_version_id": org.policy_version_id,
                "people": len(org.people),
                "incidents": incidents[i],
                "states": dict(sorted(states[i].items())),
                "queue": states[i]["received"] + states[i]["triage"],
                "manager": people.usernames[org.bench[org.manager]],
                "handler": people.usernames[org.bench[org.handler]],
                "staff": people.usernames[org.bench["staff"]],
                "bench_people": {
                    key: {**person, "open_pages": tallies.open_pages[person["id"]]}
                    for key, person in bench_people(org, people.usernames).items()
                },
                "escalations": {
                    state: tallies.escalations[(i, state)]
                    for state in ("acknowledged", "open", "due", "exhausted", "cancelled")
                },
            }
            for i, org in enumerate(orgs)
        ],
        "paging": {
            "escalations": rows["paging_escalation"],
            "open": sum(n for (_org, state), n in tallies.escalations.items() if state == "open"),
            "due": sum(n for (_org, state), n in tallies.escalations.items() if state == "due"),
            "exhausted": sum(n for (_org, state), n in tallies.escalations.items() if state == "exhausted"),
            "open_pages": sum(tallies.open_pages.values()),
        },
        "evidence": {
            "items": rows["incidents_evidence"],
            "custody_entries": rows["incidents_custodyentry"],
            "incidents": evidence_incidents,
        },
        "largest_organization": orgs[large].key,
        "detail_targets": [builder.incident_id(p) for p in plans if p.target],
        "detail_target_actions": 200,
        "search_words": words,
        "filters": _filters(tallies.states, orgs, large),
        "rows": rows,
        "journal_actions": dict(sorted(chain.actions.items())),
        "timings_s": timings,
    }


def _filters(
    tally: Counter[tuple[int, str, int | None, int]], orgs: list[Any], large: int
) -> list[dict[str, Any]]:
    """(state, level, fiscal year) combinations of the largest organisation: the first matches about
    500 incidents (a useful page count), then about 50 and about 5,000."""
    combos = [
        (n, state, level, fy)
        for (org, state, level, fy), n in tally.items()
        if org == large and level is not None
    ]
    out = []
    for goal in (500, 50, 5000):
        if not combos:
            break
        n, state, level, fy = min(combos, key=lambda c: (abs(c[0] - goal), c[1], c[2], c[3]))
        out.append(
            {"organization": orgs[large].key, "state": state, "level": level, "fiscal_year": fy, "matches": n}
        )
    return out


def _parameters(options: Options) -> dict[str, Any]:
    """What the dataset depends on (not the password, nor how many processes made it)."""
    given = {k: v for k, v in asdict(options).items() if k not in ("password", "workers")}
    return {"generator": GENERATOR_VERSION, **given}


def replace_database() -> None:
    """--replace: throw away whatever the database holds (SQLite: the file; PostgreSQL: Mamori's tables)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
        return
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        cursor.execute("DROP FUNCTION IF EXISTS journal_entry_append_only() CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = Options()
    parser.add_argument("--incidents", type=int, default=defaults.incidents)
    parser.add_argument("--actions", type=int, default=defaults.actions, help="timeline entries in all")
    parser.add_argument("--people", type=int, default=defaults.people)
    parser.add_argument("--detail-targets", type=int, default=defaults.detail_targets)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--password", default=defaults.password, help="of every generated person")
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        choices=(0, 1),
        help="1: rows made in a second process",
    )
    parser.add_argument("--out", type=Path, help="write the manifest (JSON) here")
    parser.add_argument("--reuse", action="store_true", help="keep a dataset of the same parameters")
    parser.add_argument("--replace", action="store_true", help="throw away what the database holds first")
    args = parser.parse_args()
    setup_django()
    options = Options(
        args.incidents, args.actions, args.people, args.detail_targets, args.seed, args.password, args.workers
    )
    if args.replace and not (args.reuse and reusable(options) is not None):
        replace_database()
    manifest = run(options, progress=lambda text: print(text, flush=True), reuse=args.reuse)
    text = json.dumps(manifest, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(f"done in {manifest['timings_s']['total']} s" if not manifest.get("reused") else "reused")


if __name__ == "__main__":
    main()
