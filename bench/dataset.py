"""The Django side the benchmarks' child processes share: setting Django up, migrating with the
``komae`` preset, its named people, and the database's name for the report.

Imported by scripts that run in a child process whose environment already names the data dir and the
database (bench/common.py ``child_env``): paging_dataset.py, register_export.py, journal_verify.py,
report_documents.py, and intake_kill.py's ``manage.py shell`` step. Nothing here imports Django before
``setup_django()``; nothing is meant to be imported by the app or run against real data.
"""

import io
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# A few kinds of report, so that a text search matches a share (1/8) of them, not all or none.
DESCRIPTIONS = [
    "不審なメールの添付ファイルを開いた",
    "USBメモリを紛失した",
    "Webサイトの表示が改ざんされている",
    "ファイルサーバーに接続できない",
    "身代金を要求する画面が表示された",
    "個人情報を含む書類を誤って送付した",
    "パスワードが漏えいした可能性がある",
    "ファイアウォールのログに不正アクセスの痕跡がある",
]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate_and_load_policy() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_policy", preset="komae", verbosity=0, stdout=io.StringIO())


def make_people() -> dict[str, Any]:
    """One person per komae role plus a staff member, as mamori/conftest.py make_org does."""
    from mamori.people.models import Organization, Role
    from mamori.people.services import assign_role, create_person

    org = Organization.objects.get(key="komae")
    people: dict[str, Any] = {"organization": org}
    for role in Role.objects.filter(organization=org):
        person = create_person(
            org,
            actor="bench",
            username=f"komae-{role.key}",
            display_name=role.title,
            password=None,  # nobody logs in with a password: the bench makes sessions and tokens
            email=f"{role.key}@komae.example",
        )
        assign_role(role, person, actor="bench")
        people[role.key] = person
    people["staff"] = create_person(
        org,
        actor="bench",
        username="komae-staff",
        display_name="職員 山本",
        password=None,
        email="staff@komae.example",
        phone="内線1234",
    )
    return people


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    if connection.vendor == "postgresql":
        v = connection.pg_version  # e.g. 150020
        return f"PostgreSQL {v // 10000}.{v % 10000}"
    return connection.vendor
