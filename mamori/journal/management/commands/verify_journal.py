from django.core.management.base import BaseCommand, CommandError

from mamori.journal.verify import verify_chain


class Command(BaseCommand):
    help = "Check the hash chain of the journal; exit non-zero naming the first bad entry."

    def handle(self, *args, **options):
        checked, problem = verify_chain()
        if problem is not None:
            where = (
                f"entry #{problem.seq} (row {problem.pk})" if problem.pk else f"head (entry #{problem.seq})"
            )
            raise CommandError(f"journal broken at {where}: {problem.message}")
        self.stdout.write(f"journal intact: {checked} entries")
