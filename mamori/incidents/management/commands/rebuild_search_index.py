import time

from django.core.management.base import BaseCommand, CommandParser

from mamori.incidents import search


class Command(BaseCommand):
    help = (
        "Rewrite the full-text search document of every incident (docs/adr/0008-japanese-search.md), "
        "in batches, one transaction each; safe to run while Mamori is in use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help="incidents per transaction")

    def handle(self, *args, **options):
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"{done}/{total} incidents ({time.monotonic() - started:.0f} s)")

        done = search.rebuild(batch_size=max(1, options["batch_size"]), progress=progress)
        # SQLite: the FTS5 table and its triggers are put back if missing, then rebuilt and merged;
        # PostgreSQL: fresh statistics, which the search reads to choose its plan.
        search.finish_rebuild(restore=True)
        self.stdout.write(f"search index rebuilt: {done} incidents in {time.monotonic() - started:.1f} s")
