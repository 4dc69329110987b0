from django.contrib import admin

from .models import JournalEntry


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    """Read-only: the journal is append-only and is written by the service layer alone."""

    list_display = ("seq", "created_at", "actor_label", "action", "object_type", "object_label")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_label", "actor_label", "object_id")
    readonly_fields = [f.name for f in JournalEntry._meta.fields]
    list_select_related = ("actor", "organization")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
