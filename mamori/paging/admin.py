from django.contrib import admin

from .models import Delivery, DeliveryAttempt, Escalation, Page


class ReadOnly(admin.ModelAdmin):
    """Paging rows change only through the escalation services and the worker."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Escalation)
class EscalationAdmin(ReadOnly):
    list_display = ("incident", "role_key", "state", "step", "created_at", "next_check_at", "acknowledged_by")
    list_filter = ("state",)
    list_select_related = ("incident", "acknowledged_by")


@admin.register(Page)
class PageAdmin(ReadOnly):
    list_display = ("escalation", "recipient", "acting_for", "step", "state", "paged_at", "deadline")
    list_filter = ("state", "is_fallback")
    list_select_related = ("escalation__incident", "recipient", "acting_for")
    exclude = ("token_salt", "token_hash")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("page", "channel", "state", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("channel", "state")
    list_select_related = ("page__escalation__incident", "page__recipient")


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnly):
    list_display = ("delivery", "at", "ok", "permanent", "detail")
    list_filter = ("ok", "permanent")
