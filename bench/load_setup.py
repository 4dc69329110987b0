"""Django side of bench/load.py: the people, sessions and token the load uses, the requests it sends,
and each request's SQL query count in-process.

Run by load.py in a child process whose environment names the database (MAMORI_DATA_DIR, DATABASE_URL)
of a dataset made by bench/generate.py; writes JSON to --out:

    python bench/load_setup.py --manifest MANIFEST --out FILE

Nothing here is meant to be imported by the app or run against real data: it adds a TOTP device, a
session and an API token for two bench people.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent

# Besides the manifest's planted words: two-character kanji words and a two-word query.
EXTRA_WORDS = ["感染", "鍵", "USB 紛失"]
DETAIL_TARGETS = 50


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def login_session(user: Any) -> str:
    """A session as the login view makes it after the password and the one-time code (django-otp)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    assert session.session_key
    return session.session_key


def pick_people(manifest: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The largest organisation, its CSIRT manager (who sees every incident) and a staff member with
    no role, as bench/generate.py names them in the manifest."""
    from mamori.incidents import access
    from mamori.people.models import Organization, User

    spec = next(o for o in manifest["organizations"] if o["key"] == manifest["largest_organization"])
    org = Organization.objects.get(key=spec["key"])
    manager = User.objects.get(username=spec["manager"])
    staff = User.objects.get(username=spec["staff"])
    if not (access.can(manager, "view_all") and access.is_csirt(manager)):
        raise SystemExit(f"{manager}: does not see every incident of {org}")
    return org, manager, staff


def search_words(manifest: dict[str, Any]) -> list[str]:
    """The manifest's common words (5–20 % of incidents) and rare ones (dozens), then a few more."""
    planted = manifest["search_words"]
    return [w["word"] for w in planted["common"]] + [w["word"] for w in planted["rare"]] + EXTRA_WORDS


def list_filters(manifest: dict[str, Any]) -> list[str]:
    """Query strings of the filtered list: state + level + fiscal year, the manifest's combinations
    (about 50, 500 and 5,000 matches), and the open ones of level 3 this year (any state still open)."""
    queries = [
        urlencode({"state": f["state"], "level": f["level"], "fiscal_year": f["fiscal_year"]})
        for f in manifest["filters"]
        if f["organization"] == manifest["largest_organization"]
    ]
    this_year = max(f["fiscal_year"] for f in manifest["filters"])
    queries.append(urlencode({"state": "open", "level": 3, "fiscal_year": this_year}))
    return queries


def csrf_pair() -> tuple[str, str]:
    """A CSRF cookie and a form token that matches it (Django masks the token per form)."""
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    return secret, _mask_cipher_secret(secret)


def report_form_body(token: str) -> str:
    """The staff form as a browser sends it; ``{n}`` is made unique per request by the load script."""
    return urlencode(
        {
            "csrfmiddlewaretoken": token,
            "discovered_at": "2026-12-01T09:30",
            "location": "本庁舎3階 税務課",
            "description": "ベンチマーク{n}: 不審なメールの添付ファイルを開いたところ、画面に警告が表示された",
            "suspected_cause": "標的型メール",
            "impact_scope": "端末1台",
            "affected_systems": "財務会計システム",
            "reporter_name": "",
            "reporter_contact": "",
        },
        safe="{}",
    )


def browser_for(user: Any) -> Any:
    """An in-process client logged in as ``user`` with the one-time code given (as login_session)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, name="bench").persistent_id
    session.save()
    return client


def count_queries(clients: dict[str, Any], endpoints: list[dict[str, Any]]) -> None:
    """Each page's SQL query count and size in-process (warm: after one untimed call). Writes are left
    out: each request files a report, and the services' own tests pin what that costs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for endpoint in endpoints:
        method, path, _ = endpoint["requests"][0]
        if method != "GET":
            endpoint["queries"] = endpoint["bytes"] = None
            continue
        client = clients[endpoint["auth"]]
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code} in-process")
        endpoint["queries"] = len(ctx.captured_queries)
        endpoint["bytes"] = len(response.content)


def verify_journal(out: Path) -> None:
    """The whole chain, as `manage.py verify_journal` and the worker's hourly check run it."""
    from mamori.journal.verify import verify_chain

    started = time.perf_counter()
    checked, problem = verify_chain()
    seconds = time.perf_counter() - started
    if problem is not None:
        raise SystemExit(f"the journal does not verify: {problem}")
    out.write_text(json.dumps({"entries": checked, "seconds": seconds}), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--manifest")
    parser.add_argument("--verify-journal", action="store_true", help="only time verify_chain()")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    setup_django()
    if args.verify_journal:
        verify_journal(Path(args.out))
        return
    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
    import django
    from django.db import connection

    from mamori.api.auth import create_token
    from mamori.incidents.models import Incident
    from mamori.journal.models import JournalEntry

    started = time.perf_counter()
    org, manager, staff = pick_people(manifest)
    manager_session, staff_session = login_session(manager), login_session(staff)
    _, token = create_token(staff, actor="bench", name="bench load", scopes=["reports:write"])
    csrf_cookie, csrf_token = csrf_pair()
    targets = manifest["detail_targets"][:DETAIL_TARGETS]
    manager_cookie = f"Cookie: sessionid={manager_session}"
    staff_cookie = f"Cookie: sessionid={staff_session}; csrftoken={csrf_cookie}"
    form = "Content-Type: application/x-www-form-urlencoded"
    # Every item any of the five policies may require (mutsu 別表第1, edogawa 基準第27条第1項第1号).
    report = {
        "description": "SIEM検知{n}: 不審な通信を検知した。宛先は既知のC2サーバー。",
        "location": "LGWAN接続系 サーバー室",
        "discovered_at": "2026-12-01T09:30:00+09:00",
        "reporter_name": "SIEM（統合ログ監視）",
        "reporter_contact": "情報政策課 内線2100",
        "suspected_cause": "マルウェア感染の疑い",
        "impact_scope": "サーバー1台",
        "affected_systems": "財務会計システム",
        "message_id": "bench-{n}",
    }
    endpoints: list[dict[str, Any]] = [
        {
            "name": "GET /healthz (floor)",
            "auth": "none",
            "headers": [],
            "ok": [200],
            "requests": [["GET", "/healthz", ""]],
        },
        {
            "name": "staff intake form: GET /intake/new/",
            "auth": "staff",
            "headers": [staff_cookie],
            "ok": [200],
            "requests": [["GET", "/intake/new/", ""]],
        },
        {
            "name": "staff intake form: POST /intake/new/",
            "auth": "staff",
            "headers": [staff_cookie, form],
            "ok": [302],
            "requests": [["POST", "/intake/new/", report_form_body(csrf_token)]],
        },
        {
            "name": "POST /api/v1/reports",
            "auth": "token",
            "ok": [201],
            "headers": [f"Authorization: Bearer {token}", "Content-Type: application/json"],
            "requests": [["POST", "/api/v1/reports", json.dumps(report, ensure_ascii=False)]],
        },
        {
            "name": "list: state + level + fiscal year",
            "auth": "manager",
            "headers": [manager_cookie],
            "ok": [200],
            "requests": [["GET", f"/incidents/?{q}", ""] for q in list_filters(manifest)],
        },
        {
            "name": "full-text search (Japanese)",
            "auth": "manager",
            "headers": [manager_cookie],
            "ok": [200],
            "requests": [["GET", f"/incidents/?q={quote(w)}", ""] for w in search_words(manifest)],
        },
        {
            "name": f"detail, {manifest['detail_target_actions']} timeline entries",
            "auth": "manager",
            "headers": [manager_cookie],
            "ok": [200],
            "requests": [["GET", f"/incidents/{pk}/", ""] for pk in targets],
        },
        {
            "name": "dashboard",
            "auth": "manager",
            "headers": [manager_cookie],
            "ok": [200],
            "requests": [["GET", "/", ""]],
        },
    ]
    from django.test import Client

    count_queries({"none": Client(), "manager": browser_for(manager), "staff": browser_for(staff)}, endpoints)
    vendor = connection.vendor
    if vendor == "sqlite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    else:
        v = connection.pg_version
        database = f"PostgreSQL {v // 10000}.{v % 10000}"
    out = {
        "database": database,
        "vendor": vendor,
        "django": django.get_version(),
        "organization": org.name,
        "incidents_all": Incident.objects.count(),
        "incidents_org": Incident.objects.filter(organization=org).count(),
        "journal_entries": JournalEntry.objects.count(),
        "detail_targets": targets,
        "endpoints": endpoints,
        "setup_s": round(time.perf_counter() - started, 1),
    }
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
