#!/usr/bin/env python
"""Fail when the Japanese catalogue has an untranslated or fuzzy entry, or misses a string in the code.

Run by `make test`. It re-extracts messages into a temporary copy with makemessages and compares.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def entries(po: Path) -> dict[str, tuple[str, bool]]:
    """msgid (with context and plural) → (msgstr text, fuzzy) for every entry of a .po file."""
    result: dict[str, tuple[str, bool]] = {}
    block: list[str] = []
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            fuzzy = any(b.startswith("#,") and "fuzzy" in b for b in block)
            key, value, current = [], [], None
            for b in block:
                if b.startswith(("msgctxt", "msgid", "msgid_plural")):
                    current = key
                elif b.startswith("msgstr"):
                    current = value
                elif b.startswith("#"):
                    continue
                if current is not None and '"' in b:
                    current.append(b[b.index('"') + 1 : b.rindex('"')])
            if any(not b.startswith("#") for b in block):
                result["|".join(key)] = ("".join(value), fuzzy)
            block = []
    return result


def main() -> int:
    po = Path(sys.argv[1])
    catalogue = entries(po)
    problems = [f"untranslated: {k!r}" for k, (v, f) in catalogue.items() if k and not v]
    problems += [f"fuzzy: {k!r}" for k, (v, f) in catalogue.items() if k and f]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "locale"
        shutil.copytree(ROOT / "locale", work)
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "ja",
                "--no-location",
                "--no-obsolete",
                "--ignore=.venv",
                "--ignore=bench",
                "--ignore=bin",
                "-v",
                "0",
            ],
            cwd=ROOT,
            check=True,
            env={"MAMORI_LOCALE_DIR": str(work), **__import__("os").environ},
        )
        fresh = entries(work / "ja" / "LC_MESSAGES" / "django.po")
    missing = [k for k in fresh if k and k not in catalogue]
    problems += [f"not in the catalogue (run makemessages): {k!r}" for k in missing]
    for p in problems[:50]:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {po}")
        return 1
    print(f"{po}: {len(catalogue) - 1} entries, all translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
