from django.contrib import admin

from .models import PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Read-only: a policy is changed by loading a file (manage.py load_policy), which journals it."""

    list_display = ("organization", "version", "source_name", "loaded_by_label", "loaded_at", "is_active")
    list_filter = ("organization", "is_active")
    readonly_fields = [f.name for f in PolicyVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
