"""Full-text search of incidents in Japanese: character bigrams in a real index (docs/adr/0008).

Every incident has one search document (``IncidentSearch.grams``): its texts and those of its reports,
normalised (NFKC, lower case) and cut into runs of letters and digits; each run becomes its overlapping
2-character tokens followed by its last character as a 1-character token, so that every character
of the text starts a token::

    "ランサムウェア" → "ラン ンサ サム ムウ ウェ ェア ア"      "R8-0012" → "r8 8 00 01 12 2"

A query word becomes the phrase of its tokens (``"ランサム"`` → ``"ラン ンサ サム"``), found through the
index by any word of 2 characters or more; a 1-character word is a prefix query (``鍵`` → tokens that
begin with 鍵), also answered by the index. Words separated by spaces are ANDed. A word matching few
incidents is looked up in the index; one matching many is checked incident by incident along the list,
which then finds its page at once (``matching``).

SQLite keeps the documents in the FTS5 table ``incidents_search_fts`` (synchronised by triggers on
``incidents_incidentsearch``, migration 0009); PostgreSQL has a GIN index on
``to_tsvector('simple', grams)``. The code that changes a searched text calls ``reindex`` in its own
transaction: ``editing.save_incident``, ``intake.services.submit_report``, ``services.merge`` and the
register import.
"""

import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps as global_apps
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.functions import StrIndex

from .models import Incident, IncidentSearch

# The incident's own texts in the search document; a change of any of them needs a reindex.
SEARCHED_FIELDS = frozenset(
    {
        "reference",
        "title",
        "summary",
        "affected_systems",
        "root_cause",
        "prevention_measures",
        "triage_reason",
    }
)
BATCH_SIZE = 500
# Up to this many matches, the incidents are picked by id from the index's answer; beyond it, the
# list walks the incidents in its own order and checks each one's document (see ``matching``).
FEW = 5000
# PostgreSQL: with more documents than SMALL, a sample of about SAMPLE of them says whether a word is
# common, i.e. in more than 4 × FEW documents or in COMMON of them: then the list is walked at once.
SMALL = 10_000
SAMPLE = 1000
COMMON = 0.01
# How long the PostgreSQL count of documents is reused.
STATS_SECONDS = 600
_stats_cache: dict[str, Any] = {}

# Letters and digits of any script (\w without the underscore); everything else ends a run.
_RUN = re.compile(r"[^\W_]+")

# The FTS5 table and the triggers that keep it equal to incidents_incidentsearch. Migration 0009 has
# its own frozen copy; these, with IF NOT EXISTS, let rebuild_search_index restore them should a later
# migration rebuild the table on SQLite (which drops its triggers).
SQLITE_SCHEMA = [
    # Tokens are separated by single spaces and nothing else: every other character is a token character,
    # so FTS5 takes the tokens exactly as written here, whatever its Unicode tables say.
    """CREATE VIRTUAL TABLE IF NOT EXISTS incidents_search_fts USING fts5(
        grams, content='incidents_incidentsearch', content_rowid='incident_id',
        tokenize="unicode61 remove_diacritics 0 categories 'L* N* M* P* S* C*'"
    )""",
    """CREATE TRIGGER IF NOT EXISTS incidents_search_fts_insert AFTER INSERT ON incidents_incidentsearch
    BEGIN
        INSERT INTO incidents_search_fts(rowid, grams) VALUES (new.incident_id, new.grams);
    END""",
    """CREATE TRIGGER IF NOT EXISTS incidents_search_fts_delete AFTER DELETE ON incidents_incidentsearch
    BEGIN
        INSERT INTO incidents_search_fts(incidents_search_fts, rowid, grams)
        VALUES ('delete', old.incident_id, old.grams);
    END""",
    """CREATE TRIGGER IF NOT EXISTS incidents_search_fts_update AFTER UPDATE ON incidents_incidentsearch
    WHEN old.grams IS NOT new.grams OR old.incident_id IS NOT new.incident_id
    BEGIN
        INSERT INTO incidents_search_fts(incidents_search_fts, rowid, grams)
        VALUES ('delete', old.incident_id, old.grams);
        INSERT INTO incidents_search_fts(rowid, grams) VALUES (new.incident_id, new.grams);
    END""",
]


# --- tokens ----------------------------------------------------------------------------------------


def runs(text: str) -> list[str]:
    """The runs of letters and digits of ``text`` after NFKC and lower case (ＵＳＢ → usb, ｶﾅ → カナ).

    Hiragana and katakana stay apart: らんさむ does not find ランサム.
    """
    return _RUN.findall(unicodedata.normalize("NFKC", text).lower())


def _run_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def grams(text: str) -> str:
    """The tokens of ``text`` separated by spaces: what the index holds."""
    return " ".join(token for run in runs(text) for token in _run_tokens(run))


@dataclass(frozen=True)
class Term:
    """One word of a query: its tokens as they stand, in a row, in a matching document.

    ``prefix``: the last token is a 1-character prefix (the word ends with a run of 1 character, which
    may go on in the document).
    """

    tokens: tuple[str, ...]
    prefix: bool


def terms(query: str) -> list[Term]:
    """The words of a query (separated by spaces, full-width ones too), without repeats."""
    found: list[Term] = []
    for word in query.split():
        parts = runs(word)
        if not parts:
            continue
        tokens = [t for run in parts[:-1] for t in _run_tokens(run)]
        last = parts[-1]
        # The document's run may go on after the word's end: no trailing 1-character token for it.
        tokens += [last] if len(last) == 1 else [last[i : i + 2] for i in range(len(last) - 1)]
        term = Term(tuple(tokens), prefix=len(last) == 1)
        if term not in found:
            found.append(term)
    return found


# --- the search document ---------------------------------------------------------------------------


def document(incident: Any, reports: Iterable[tuple[str, str, str]]) -> str:
    """The text searched for ``incident``: its fields, then each report's reference, place and
    description, one field a line (a field's end ends a run, so no word is made across two fields).

    With a space before and after, so that ``pattern`` finds the first and the last token too.
    """
    fields = [getattr(incident, name) or "" for name in sorted(SEARCHED_FIELDS)]
    for reference, location, description in reports:
        fields += [reference, location, description]
    return " " + grams("\n".join(fields)) + " "


@dataclass(frozen=True)
class _Models:
    incident: Any
    report: Any
    search: Any


def _models(apps: Any = None) -> _Models:
    # Migrations pass their historical app registry; everything else uses the current models.
    registry = apps or global_apps
    return _Models(
        registry.get_model("incidents", "Incident"),
        registry.get_model("intake", "Report"),
        registry.get_model("incidents", "IncidentSearch"),
    )


def _write(models: _Models, incidents: Sequence[Any]) -> None:
    by_incident: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    rows = (
        models.report.objects.filter(incident_id__in=[i.pk for i in incidents])
        .order_by("received_at", "pk")
        .values_list("incident_id", "reference", "location", "description")
    )
    for incident_id, *texts in rows:
        by_incident[incident_id].append(tuple(texts))
    models.search.objects.bulk_create(
        [
            models.search(
                incident_id=i.pk, organization_id=i.organization_id, grams=document(i, by_incident[i.pk])
            )
            for i in incidents
        ],
        update_conflicts=True,
        unique_fields=["incident"],
        update_fields=["organization", "grams"],
    )


def reindex(incident: Incident) -> None:
    """Rewrite the search document of ``incident`` from its fields (as they are on the instance, saved
    or about to be) and its reports (as they are in the database). Call it in the transaction that
    changed them."""
    _write(_models(), [incident])


def index_new(incident: Incident, reports: Sequence[tuple[str, str, str]]) -> None:
    """The first document of an incident just opened with these reports' (reference, place,
    description): what ``reindex`` would write, without reading the reports back (intake)."""
    IncidentSearch.objects.create(
        incident_id=incident.pk, organization_id=incident.organization_id, grams=document(incident, reports)
    )


def reindex_many(incidents: Sequence[Incident]) -> None:
    """``reindex`` for many incidents at once (the register import)."""
    models = _models()
    for start in range(0, len(incidents), BATCH_SIZE):
        _write(models, incidents[start : start + BATCH_SIZE])


def rebuild(
    *, batch_size: int = 1000, progress: Callable[[int, int], None] | None = None, apps: Any = None
) -> int:
    """Rewrite every search document, ``batch_size`` incidents per transaction; returns how many.

    For installations that had incidents before the index existed (migration 0010), and for
    ``manage.py rebuild_search_index``. ``progress(done, total)`` is called after each batch.
    """
    models = _models(apps)
    total = models.incident.objects.count()
    if not total:
        return 0
    done = 0
    last_pk = 0
    fields = ["organization", *SEARCHED_FIELDS]
    while True:
        with transaction.atomic():
            batch = list(
                models.incident.objects.filter(pk__gt=last_pk).order_by("pk").only(*fields)[:batch_size]
            )
            if not batch:
                break
            _write(models, batch)
        done += len(batch)
        last_pk = batch[-1].pk
        if progress is not None:
            progress(done, total)
    return done


def finish_rebuild(*, restore: bool = False) -> None:
    """After many documents were written: fresh planner statistics for the incidents and their
    documents, and on SQLite the FTS5 index's segments merged (faster queries). With ``restore`` (the
    command), SQLite's FTS5 table and triggers are first created if missing and the index rebuilt from
    the search table.

    SQLite without statistics takes ``organization_id = ?`` for about ten rows, and so answers "these
    500 ids, newest first" by walking every incident of the organisation instead of fetching the 500.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite" and restore:
            for sql in SQLITE_SCHEMA:
                cursor.execute(sql)
            cursor.execute("INSERT INTO incidents_search_fts(incidents_search_fts) VALUES ('rebuild')")
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO incidents_search_fts(incidents_search_fts) VALUES ('optimize')")
        cursor.execute("ANALYZE incidents_incident")
        cursor.execute("ANALYZE incidents_incidentsearch")
    _stats_cache.clear()


# --- the query -------------------------------------------------------------------------------------


def pattern(term: Term) -> str:
    """The text a matching document contains: the term's tokens in a row, between spaces (documents
    start and end with a space), the last one open-ended if it is a prefix."""
    return " " + " ".join(term.tokens) + ("" if term.prefix else " ")


def _fts5_match(found: list[Term]) -> str:
    phrases = []
    for term in found:
        phrase = '"' + " ".join(term.tokens).replace('"', '""') + '"'
        phrases.append(phrase + " *" if term.prefix else phrase)
    return " AND ".join(phrases)


def _tsquery(found: list[Term]) -> str:
    # Every token of every term; their order is checked by ``pattern``, exactly and without the
    # limits of tsvector positions (16,383), which a phrase query (<->) would have.
    lexemes: list[str] = []
    for term in found:
        for i, token in enumerate(term.tokens):
            lexeme = "'" + token + "'" + (":*" if term.prefix and i == len(term.tokens) - 1 else "")
            if lexeme not in lexemes:
                lexemes.append(lexeme)
    return " & ".join(lexemes)


def index_query(found: list[Term], limit: int) -> tuple[str, list[Any]]:
    """The SQL asking the full-text index for up to ``limit`` matching incident ids."""
    if connection.vendor == "sqlite":
        sql = "SELECT rowid FROM incidents_search_fts WHERE incidents_search_fts MATCH %s LIMIT %s"
        return sql, [_fts5_match(found), limit]
    sql = (
        "SELECT incident_id FROM incidents_incidentsearch"
        " WHERE to_tsvector('simple', grams) @@ to_tsquery('simple', %s)"
        " AND grams LIKE ALL (%s::text[]) LIMIT %s"
    )
    # Tokens hold only letters and digits: nothing in a pattern is special to LIKE.
    return sql, [_tsquery(found), [f"%{pattern(t)}%" for t in found], limit]


def _documents() -> float:
    """PostgreSQL: about how many search documents there are (the planner's count, cached)."""
    now = time.monotonic()
    if now - _stats_cache.get("at", -STATS_SECONDS) >= STATS_SECONDS:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'incidents_incidentsearch'::regclass")
            row = cursor.fetchone()
        _stats_cache.update(at=now, rows=max(0.0, row[0]) if row else 0.0)
    return _stats_cache["rows"]


def _sampled_share(found: list[Term]) -> tuple[float, float] | None:
    """PostgreSQL, many documents: about which share of them hold all of ``found``, counted in a sample
    of about SAMPLE of them (random pages, the same ones each time), and how many documents there are;
    None when there are few documents.

    GIN has no cheap way to say "more than 5,000": it lists every match first (40–100 ms for a word in
    10 % of a million documents). The statistics ANALYZE keeps of the index do not tell either: they give
    each token's share, and a run of common tokens (digits, kana) may still be rare (R8-0012345).
    """
    documents = _documents()
    if documents <= SMALL:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE grams LIKE ALL (%s::text[]))"
            " FROM incidents_incidentsearch TABLESAMPLE SYSTEM (%s) REPEATABLE (0)",
            [[f"%{pattern(t)}%" for t in found], min(100.0, 100.0 * SAMPLE / documents)],
        )
        sampled, matched = cursor.fetchone()
    return (matched / sampled, documents) if sampled else None


def _few_matches(found: list[Term]) -> list[int] | None:
    """The ids of the incidents matching ``found`` if there are at most FEW of them, else None."""
    if connection.vendor == "postgresql":
        sample = _sampled_share(found)
        if sample is not None and (sample[0] >= COMMON or sample[0] * sample[1] > 4 * FEW):
            return None  # listing them through the index would cost more than walking the list
    sql, params = index_query(found, FEW + 1)
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            # An exact bitmap: a lossy one is rechecked by recomputing to_tsvector for every row. (Inside
            # a caller's transaction, this lasts until it ends: harmless, work_mem is only a ceiling.)
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
    else:
        # No transaction: on SQLite one begins IMMEDIATE, i.e. takes the write lock, and a search would
        # then wait behind every report being filed.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) <= FEW else None


def matching(qs: QuerySet[Incident], query: str) -> QuerySet[Incident]:
    """The incidents of ``qs`` whose search document holds every word of ``query``.

    Only narrows ``qs``: what the person may not see stays unseen. A query without letters or digits
    finds nothing. Two plans, chosen by how many incidents match (docs/adr/0008):

    - few (at most FEW): the index answers with their ids, and ``qs`` keeps those;
    - many: the list walks the incidents in its own order (newest first) and checks each one's
      document; a page of 50 is then found after about 50 / share of incidents, without the index
      having to list (and the database to sort) tens of thousands of matches.
    """
    found = terms(query)
    if not found:
        return qs.none()
    ids = _few_matches(found)
    if ids is not None:
        return qs.filter(pk__in=ids)
    documents = IncidentSearch.objects.filter(incident=OuterRef("pk"))
    for n, term in enumerate(found):
        documents = documents.alias(**{f"at{n}": StrIndex("grams", Value(pattern(term)))}).filter(
            **{f"at{n}__gt": 0}
        )
    return qs.filter(Exists(documents))
