"""With production settings, Django's deployment checks find nothing to warn about."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "MAMORI_DATA_DIR": str(tmp_path),
        "MAMORI_SECRET_KEY": secrets.token_urlsafe(50),
        "MAMORI_SECURE_COOKIES": "true",
        "MAMORI_BEHIND_TLS_PROXY": "true",
        "MAMORI_ALLOWED_HOSTS": "mamori.city.example.lg.jp",
        "MAMORI_DEBUG": "false",
    }
    env.pop("MAMORI_TESTING", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_settings_stop_the_process_with_the_variable_name(tmp_path):
    env = {**os.environ, "MAMORI_DATA_DIR": str(tmp_path), "MAMORI_SESSION_SECONDS": "eight hours"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode != 0 and "MAMORI_SESSION_SECONDS" in result.stderr


def test_sqlite_durability_is_a_setting_with_two_values(tmp_path):
    """MAMORI_SQLITE_SYNCHRONOUS=FULL reaches SQLite (power-cut safe); anything else stops the start."""
    code = "from django.db import connection; c = connection.cursor(); print(c.execute('PRAGMA synchronous').fetchone()[0])"
    for value, expected in (("FULL", "2"), ("", "1")):
        env = {**os.environ, "MAMORI_DATA_DIR": str(tmp_path), "MAMORI_SQLITE_SYNCHRONOUS": value}
        env.pop("DATABASE_URL", None)
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert result.stdout.strip().splitlines()[-1] == expected, result.stderr
    env = {**os.environ, "MAMORI_DATA_DIR": str(tmp_path), "MAMORI_SQLITE_SYNCHRONOUS": "OFF"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode != 0 and "MAMORI_SQLITE_SYNCHRONOUS" in result.stderr
