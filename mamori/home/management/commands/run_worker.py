from django.core.management.base import BaseCommand

from mamori.home.worker import Worker, default_jobs


class Command(BaseCommand):
    help = "Run the background worker (started by `make run`). SIGTERM finishes the current job and exits."

    def add_arguments(self, parser):
        parser.add_argument(
            "--passes", type=int, default=None, help="stop after this many passes (for tests)"
        )

    def handle(self, *args, **options):
        worker = Worker([])
        worker.jobs = default_jobs(should_stop=lambda: worker.stopping)
        worker.run_forever(max_passes=options["passes"])
