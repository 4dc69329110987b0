"""Database side of bench/generate.py: bulk writes through the raw connection, the load mode (indexes
and triggers set aside, then rebuilt), the search index, statistics, and the marker of a finished dataset.

- SQLite: ``executemany`` in large transactions, with ``synchronous=OFF``, an in-memory rollback
  journal, a large page cache and foreign keys off during the load only (checked afterwards).
- PostgreSQL: ``COPY … FROM STDIN`` through psycopg 3, ``synchronous_commit=off``.

The secondary indexes of the big tables are dropped before the load and re-created from their own
definitions (sqlite_master, pg_indexes / pg_constraint) afterwards: building an index once from sorted
rows is several times faster than keeping it up to date row by row. Unique constraints are checked when
they come back. On SQLite that includes the UNIQUE constraints of random values written in a table's
definition (``RANDOM_UNIQUE``), taken out of the stored definition for the load. Should the load fail
halfway, the database is left without them: start again from an empty database.
"""

import hashlib
import importlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import Model

from mamori.incidents import search

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_US = 86_400_000_000
JST_US = 9 * 3_600_000_000
MARKER_TABLE = "bench_generated_dataset"
migration_0009 = importlib.import_module("mamori.incidents.migrations.0009_incident_search")
GIN_INDEX = "incidents_search_grams_gin"

# The tables that receive millions of rows: their secondary indexes wait until the load is done.
BIG_TABLES = (
    "incidents_incident",
    "intake_report",
    "incidents_action",
    "incidents_levelchange",
    "incidents_incidentsearch",
    "journal_journalentry",
    "paging_escalation",
    "paging_page",
    "paging_delivery",
    "paging_deliveryattempt",
    "incidents_evidence",
    "incidents_custodyentry",
)
# SQLite keeps the index of a UNIQUE constraint of the table's definition (sqlite_autoindex_<table>_<n>)
# and cannot drop it. For these columns of random values keeping it up to date row by row costs more than
# the rows themselves (6 µs a row): it is set aside as well (``_set_aside_unique``).
RANDOM_UNIQUE = (
    ("journal_journalentry", "hash"),
    ("paging_page", "token_hash"),
    ("paging_delivery", "idempotency_key"),
)
FTS_TRIGGERS = ("incidents_search_fts_insert", "incidents_search_fts_delete", "incidents_search_fts_update")


def us_of(moment: datetime) -> int:
    """Microseconds since the epoch (UTC) of an aware datetime."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def datetime_of(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


# The times of day, one string per second ("HH:MM:SS"): millions of instants are written.
_CLOCK = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]


class Stamps:
    """Fast text forms of instants given in microseconds since the epoch."""

    def __init__(self, vendor: str):
        # What Django's adapter writes: SQLite keeps naive UTC text, PostgreSQL parses the offset.
        self._suffix = "+00" if vendor == "postgresql" else ""
        self._dates: dict[tuple[int, str], str] = {}
        self._days: dict[int, str] = {}  # the dates of ``db``, the most used

    def _text(self, us: int, sep: str) -> str:
        day, rest = divmod(us, DAY_US)
        prefix = self._dates.get((day, sep))
        if prefix is None:
            prefix = self._dates[(day, sep)] = (date(1970, 1, 1) + timedelta(days=day)).isoformat() + sep
        seconds, micro = divmod(rest, 1_000_000)
        return f"{prefix}{_CLOCK[seconds]}.{micro:06d}" if micro else prefix + _CLOCK[seconds]

    def db(self, us: int | None) -> str | None:
        """The column value of an instant (UTC), as ``str(datetime)`` in UTC."""
        if us is None:
            return None
        day, rest = divmod(us, DAY_US)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = self._text(day * DAY_US, " ")[:11]
        seconds, micro = divmod(rest, 1_000_000)
        if micro:
            return f"{prefix}{_CLOCK[seconds]}.{micro:06d}{self._suffix}"
        return prefix + _CLOCK[seconds] + self._suffix

    def utc_iso(self, us: int) -> str:
        """``datetime.isoformat()`` of the instant in UTC (the journal's ``created_at`` in its hash)."""
        return self._text(us, "T") + "+00:00"

    def local_iso(self, us: int) -> str:
        """``datetime.isoformat()`` of the instant in Japan time, as forms and services write it in data."""
        return self._text(us + JST_US, "T") + "+09:00"


def columns_of(model: type[Model], names: Sequence[str]) -> tuple[str, ...]:
    """The column names of ``names`` (field names), checked to be every concrete column of ``model``:
    a column added by a later migration must be given a value here, not left to chance."""
    fields = {f.name: f.column for f in model._meta.concrete_fields}
    missing = set(fields) - set(names)
    unknown = set(names) - set(fields)
    if missing or unknown:
        raise RuntimeError(
            f"{model.__name__}: columns not written {sorted(missing)}, unknown {sorted(unknown)}"
        )
    return tuple(fields[n] for n in names)


class Loader:
    """Writes rows through the raw DB-API connection of Django's default connection."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.raw: Any = connection.connection
        self.stamps = Stamps(self.vendor)
        self.counts: Counter[str] = Counter()
        self._sql: dict[tuple[str, tuple[str, ...]], str] = {}
        self._deferred: list[tuple[str, str, str]] = []  # (kind, name, sql to restore)
        self._uniques: list[tuple[str, str, str, str]] = []  # SQLite: (table, column, index, table's sql)

    def insert(self, table: str, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.vendor == "sqlite":
            sql = self._sql.get((table, columns))
            if sql is None:
                values = ", ".join("?" * len(columns))
                sql = f'INSERT INTO "{table}" ({cols}) VALUES ({values})'  # noqa: S608 - our table names
                self._sql[(table, columns)] = sql
            self.raw.executemany(sql, rows)
        else:
            with self.raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        self.counts[table] += len(rows)

    def max_id(self, table: str, column: str = "id") -> int:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"')  # noqa: S608 - our names
            return int(cursor.fetchone()[0])

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    # --- load mode ---------------------------------------------------------------------------------

    def begin_load(self) -> None:
        """Settings for a bulk load and the big tables' secondary indexes set aside (outside a transaction)."""
        if self.vendor == "sqlite":
            for pragma in (
                "foreign_keys = OFF",
                # The rows are made valid (their JSON too): CHECK constraints need not parse each again.
                "ignore_check_constraints = ON",
                "synchronous = OFF",
                "journal_mode = MEMORY",
                # The unique indexes of random values (journal hashes, page tokens, delivery keys) that
                # stay during the load: 2–3 GB at a million incidents, kept in memory.
                "cache_size = -4000000",
                "temp_store = MEMORY",
            ):
                self.raw.execute(f"PRAGMA {pragma}")
            with transaction.atomic():
                for name in FTS_TRIGGERS:
                    self.execute(f'DROP TRIGGER IF EXISTS "{name}"')
                tables = ", ".join("?" * len(BIG_TABLES))
                sql = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({tables})"  # noqa: S608
                found = self.raw.execute(sql + " AND sql IS NOT NULL", BIG_TABLES).fetchall()
                for name, sql in found:
                    self.execute(f'DROP INDEX "{name}"')
                    self._deferred.append(("index", name, sql))
            for table, column in RANDOM_UNIQUE:
                self._set_aside_unique(table, column)
            return
        self.execute("SET synchronous_commit = off")
        with transaction.atomic(), connection.cursor() as cursor:
            # Unique and foreign-key constraints (primary keys stay: rows arrive in their order); the
            # foreign keys come back last, checked then in one pass per table.
            cursor.execute(
                "SELECT c.conname, t.relname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
                " JOIN pg_class t ON t.oid = c.conrelid"
                " WHERE c.contype IN ('u', 'f') AND t.relname = ANY(%s) ORDER BY c.contype DESC, c.conname",
                [list(BIG_TABLES)],
            )
            for name, table, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                self._deferred.append(
                    ("constraint", name, f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                )
            # Partial indexes stay (few rows, and the text PostgreSQL gives back for a condition such as
            # ``state IN (…)`` is not the one the migration wrote).
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class x ON x.relname = i.indexname"
                " JOIN pg_index p ON p.indexrelid = x.oid"
                " WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) AND p.indpred IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
                " ORDER BY i.indexname",
                [list(BIG_TABLES)],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                if name != GIN_INDEX:  # re-created by finish_search, as migration 0009 makes it
                    self._deferred.insert(0, ("index", name, definition))

    def end_load(self, progress: Any) -> None:
        """Re-create what begin_load set aside (unique ones check their rows now)."""
        if self.vendor == "postgresql":
            self.execute("SET maintenance_work_mem = '1GB'")
            self.execute("SET max_parallel_maintenance_workers = 1")
        for kind, name, sql in self._deferred:
            started = time.perf_counter()
            with transaction.atomic():
                self.execute(sql)
            progress(f"  {kind} {name}: {time.perf_counter() - started:.1f} s")
        self._deferred.clear()
        for table, column, name, original in self._uniques:
            started = time.perf_counter()
            self._put_back_unique(table, column, name, original)
            progress(f"  unique {name} ({table}.{column}): {time.perf_counter() - started:.1f} s")
        self._uniques.clear()
        if self.vendor == "sqlite":
            problems = self.raw.execute("PRAGMA foreign_key_check").fetchmany(5)
            if problems:
                raise RuntimeError(f"foreign keys broken after the load: {problems}")

    def _set_aside_unique(self, table: str, column: str) -> None:
        """SQLite: a UNIQUE column constraint taken out of the table's stored definition (PRAGMA
        writable_schema) and its index dropped, until ``_put_back_unique`` builds the index at once
        (CREATE UNIQUE INDEX: sorted, and checked), gives it back its name and the definition back. The
        file is then what SQLite makes of the table's own definition (PRAGMA integrity_check agrees:
        bench/tests/test_generate.py runs it; the schema reads as before)."""
        raw = self.raw
        (original,) = raw.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        constraints = [row[1] for row in raw.execute(f'PRAGMA index_list("{table}")') if row[3] == "u"]
        name = next(
            n for n in constraints if [c[2] for c in raw.execute(f'PRAGMA index_info("{n}")')] == [column]
        )
        start = original.find(f'"{column}" ')
        end = original.find(" UNIQUE", start)
        # SQLite numbers these indexes in the order of the definition: only the last may be taken out.
        if name != f"sqlite_autoindex_{table}_{len(constraints)}" or start < 0 or "," in original[start:end]:
            raise RuntimeError(
                f"{table}.{column}: not a UNIQUE column constraint that can be set aside ({name})"
            )
        temporary = f"bench_unique_{table}"
        self._edit_schema(
            ("UPDATE sqlite_master SET name = ?, sql = ? WHERE type = 'index' AND name = ?",
             (temporary, f'CREATE UNIQUE INDEX "{temporary}" ON "{table}" ("{column}")', name)),
            ("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
             (original[:end] + original[end + len(" UNIQUE") :], table)),
        )  # fmt: skip
        with transaction.atomic():
            self.execute(f'DROP INDEX "{temporary}"')
        self._uniques.append((table, column, name, original))

    def _put_back_unique(self, table: str, column: str, name: str, original: str) -> None:
        temporary = f"bench_unique_{table}"
        with transaction.atomic():
            self.execute(f'CREATE UNIQUE INDEX "{temporary}" ON "{table}" ("{column}")')
        self._edit_schema(
            (
                "UPDATE sqlite_master SET name = ?, sql = NULL WHERE type = 'index' AND name = ?",
                (name, temporary),
            ),
            ("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (original, table)),
        )

    def _edit_schema(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        """Rows of sqlite_master changed in one transaction; the schema's version moves on, so that every
        connection reads it again, this one at once (writable_schema RESET)."""
        raw = self.raw
        (version,) = raw.execute("PRAGMA schema_version").fetchone()
        raw.execute("PRAGMA writable_schema = ON")
        try:
            with transaction.atomic():
                for sql, params in statements:
                    if raw.execute(sql, params).rowcount != 1:
                        raise RuntimeError(f"sqlite_master: {sql} {params[-1]} changed no row")
                raw.execute(f"PRAGMA schema_version = {int(version) + 1}")
        finally:
            raw.execute("PRAGMA writable_schema = RESET")

    def finish_search(self) -> None:
        """SQLite: the FTS5 index rebuilt from the documents and its triggers back (search.finish_rebuild,
        as rebuild_search_index does). PostgreSQL: the GIN index of migration 0009."""
        if self.vendor == "sqlite":
            search.finish_rebuild(restore=True)
            return
        with transaction.atomic():
            self.execute("SET LOCAL maintenance_work_mem = '1GB'")
            for sql in migration_0009.POSTGRES:
                self.execute(sql)

    def reset_sequences(self, models: Iterable[type[Model]]) -> None:
        """PostgreSQL: the id sequences after rows with ids given here (SQLite's AUTOINCREMENT follows)."""
        if self.vendor != "postgresql":
            return
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            self.execute(sql)

    def analyze(self) -> None:
        """Fresh planner statistics for every table (docs/adr/0008 §6). On PostgreSQL also VACUUM, so
        that the bench does not meet autovacuum working through the new rows, nor rows without hint bits."""
        if self.vendor == "sqlite":
            self.execute("ANALYZE")
            return
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")

    def restore_settings(self) -> None:
        if self.vendor == "sqlite":
            for pragma in (
                "foreign_keys = ON",
                "ignore_check_constraints = OFF",
                "synchronous = NORMAL",
                "cache_size = -2000",
                "temp_store = DEFAULT",
            ):
                self.raw.execute(f"PRAGMA {pragma}")
            # The app's own setting; an in-memory database (tests) keeps its memory journal.
            self.raw.execute("PRAGMA journal_mode = WAL")
        else:
            for setting in ("synchronous_commit", "maintenance_work_mem", "max_parallel_maintenance_workers"):
                self.execute(f"RESET {setting}")

    def database_label(self) -> dict[str, Any]:
        settings = connection.settings_dict
        if self.vendor == "sqlite":
            import sqlite3

            return {"vendor": "sqlite", "version": sqlite3.sqlite_version, "name": str(settings["NAME"])}
        version = connection.pg_version  # type: ignore[attr-defined]
        return {
            "vendor": "postgresql",
            "version": f"{version // 10000}.{version % 10000}",
            "name": settings["NAME"],
            "host": settings.get("HOST", ""),
        }

    def size_bytes(self) -> int:
        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
            else:
                cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])


# --- the marker of a finished dataset ----------------------------------------------------------------


def migrations_on_disk() -> list[str]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations)


def migrations_applied() -> list[str]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.applied_migrations)


def fingerprint(parameters: dict[str, Any], migrations: list[str] | None = None) -> str:
    """What a dataset was made from: the generator's parameters and the migrations (all applied;
    those on disk unless ``migrations`` names others)."""
    text = json.dumps(
        {"parameters": parameters, "migrations": migrations_on_disk() if migrations is None else migrations},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def read_marker() -> tuple[str, dict[str, Any]] | None:
    """(fingerprint, manifest) of the dataset in this database, or None."""
    if MARKER_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT fingerprint, manifest FROM {MARKER_TABLE} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return (row[0], json.loads(row[1])) if row else None


def write_marker(print_: str, manifest: dict[str, Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE}"
            " (id integer PRIMARY KEY, fingerprint varchar(64) NOT NULL, manifest text NOT NULL,"
            " created_at varchar(40) NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608 - a constant
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (id, fingerprint, manifest, created_at) VALUES (1, %s, %s, %s)",  # noqa: S608
            [print_, json.dumps(manifest, ensure_ascii=False), datetime.now(UTC).isoformat()],
        )


def drop_marker() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")
