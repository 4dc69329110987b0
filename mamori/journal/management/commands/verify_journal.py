from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from mamori.journal.verify import Problem, verify


def describe(problem: Problem) -> str:
    """What is wrong, in the reader's language (Problem.message stays English, for the log)."""
    if problem.kind == "sequence":
        return _("expected sequence number %(expected)s, found %(found)s") % {
            "expected": problem.expected,
            "found": problem.seq,
        }
    if problem.kind == "link":
        return _("link to the previous entry is broken")
    if problem.kind == "content":
        return _("content does not match its hash")
    if problem.kind == "head_missing":
        return _("the journal head is missing")
    if problem.kind == "head":
        return _("the head names entry %(head)s but the chain ends at %(end)s") % {
            "head": problem.seq,
            "end": problem.expected,
        }
    return problem.message


class Command(BaseCommand):
    help = (
        "Check the hash chain of the journal; print how many entries were checked, how fast, and "
        "exit non-zero naming the first bad entry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--processes",
            type=int,
            help="stretches of the journal checked at once (default: one per CPU for a long journal)",
        )

    def handle(self, *args, **options):
        result = verify(processes=options["processes"])
        figures = {
            "checked": f"{result.checked:,}",
            "seconds": f"{result.seconds:.2f}",
            "rate": f"{result.checked / max(result.seconds, 1e-9):,.0f}",
        }
        problem = result.problem
        if problem is None:
            self.stdout.write(
                _("journal intact: %(checked)s entries checked in %(seconds)s s (%(rate)s entries/s)")
                % figures
            )
            return
        self.stdout.write(_("%(checked)s entries checked in %(seconds)s s (%(rate)s entries/s)") % figures)
        if problem.pk is not None:
            message = _("journal broken at entry #%(seq)s (row %(pk)s): %(problem)s") % {
                "seq": problem.seq,
                "pk": problem.pk,
                "problem": describe(problem),
            }
        else:
            message = _("journal broken at the head: %(problem)s") % {"problem": describe(problem)}
        raise CommandError(message)
