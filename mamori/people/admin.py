"""Administration pages for people, departments and role assignments.

Every save and delete here goes through ``services`` so it lands on the journal, like any other
change (STYLE.md: a trail that misses a change is worthless). Organisations and roles come from the
policy file and are read-only here. People are never deleted, only deactivated. Staff who are not
superusers see and choose only their own organisation's records.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mamori.accounts import lockout
from mamori.accounts.second_factor import has_second_factor, reset_second_factor

from . import services
from .forms import AssignmentForm, DepartmentForm, PersonAddForm, PersonChangeForm, PersonPasswordForm
from .models import Assignment, Department, Organization, Role, User


class OrganizationScoped:
    """Non-superusers see and pick only records of their own organisation."""

    organization_path = "organization"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)  # type: ignore[misc]
        user: Any = request.user
        if user.is_superuser:
            return qs
        return qs.filter(**{self.organization_path: user.organization_id})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        model = db_field.related_model
        user: Any = request.user
        if not user.is_superuser:
            own = user.organization_id
            if model is Organization:
                kwargs["queryset"] = Organization.objects.filter(pk=own)
            elif model in (Department, Role, User):
                kwargs["queryset"] = model._default_manager.filter(organization_id=own)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Organisations and roles are defined by the policy file (``manage.py load_policy``)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(OrganizationScoped, ReadOnlyAdmin):
    organization_path = "pk"
    list_display = ("name", "key", "kind")


@admin.register(Role)
class RoleAdmin(OrganizationScoped, ReadOnlyAdmin):
    list_display = ("title", "key", "organization", "is_csirt", "active", "basis")
    list_filter = ("organization", "active", "is_csirt")


@admin.register(Department)
class DepartmentAdmin(OrganizationScoped, admin.ModelAdmin):
    form = DepartmentForm
    list_display = ("name", "parent", "organization")
    list_filter = ("organization",)
    search_fields = ("name",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("organization",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            original = Department.objects.get(pk=obj.pk)
            services.update_department(original, actor=request.user, name=data["name"], parent=data["parent"])
        else:
            created = services.create_department(
                data["organization"], actor=request.user, name=data["name"], parent=data["parent"]
            )
            obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db

    def delete_model(self, request: HttpRequest, obj: Department) -> None:
        services.delete_department(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for department in queryset:
            services.delete_department(department, actor=request.user)


def _save_assignment(request: HttpRequest, obj: Assignment, change: bool) -> None:
    if change:
        original = Assignment.objects.select_related("role", "person").get(pk=obj.pk)
        services.update_assignment(
            original, actor=request.user, role=obj.role, order=obj.order, post=obj.post
        )
    else:
        created = services.assign_role(
            obj.role, obj.person, actor=request.user, order=obj.order, post=obj.post
        )
        obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db


@admin.register(Assignment)
class AssignmentAdmin(OrganizationScoped, admin.ModelAdmin):
    organization_path = "role__organization"
    form = AssignmentForm
    list_display = ("role", "order", "person", "post")
    list_filter = ("role__organization", "role")
    list_select_related = ("role", "person")
    search_fields = ("person__username", "person__display_name", "role__title", "role__key")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("role", "person") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Assignment, form: Any, change: bool) -> None:
        _save_assignment(request, obj, change)

    def delete_model(self, request: HttpRequest, obj: Assignment) -> None:
        services.remove_assignment(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for assignment in queryset.select_related("role", "person"):
            services.remove_assignment(assignment, actor=request.user)


class AssignmentInline(OrganizationScoped, admin.TabularInline):
    model = Assignment
    form = AssignmentForm
    organization_path = "role__organization"
    fields = ("role", "order", "post")
    extra = 0


@admin.register(User)
class PersonAdmin(OrganizationScoped, UserAdmin):
    form = PersonChangeForm
    add_form = PersonAddForm
    change_password_form = PersonPasswordForm
    inlines = (AssignmentInline,)
    actions = ("deactivate", "unlock", "reset_second_factor")
    list_display = (
        "username",
        "display_name",
        "employee_number",
        "department",
        "organization",
        "is_active",
        "is_staff",
    )
    list_filter = ("organization", "is_active", "is_staff", "is_superuser")
    list_select_related = ("department", "organization")
    search_fields = ("username", "display_name", "employee_number", "email")
    ordering = ("username",)
    readonly_fields = (
        "last_login",
        "date_joined",
        "password_changed_at",
        "must_change_password",
        "locked",
        "second_factor",
    )

    @admin.display(description=_("ID locked"), boolean=True)
    def locked(self, obj: User) -> bool:
        return lockout.is_locked(obj)

    @admin.display(description=_("Authenticator app"), boolean=True)
    def second_factor(self, obj: User) -> bool:
        return has_second_factor(obj)

    fieldsets = (
        (None, {"fields": ("username", "password", "display_name", "first_name", "last_name")}),
        (
            _("Organisation"),
            {"fields": ("organization", "department", "post", "employee_number", "email", "phone")},
        ),
        (_("Preferences"), {"fields": ("date_style", "language")}),
        (
            _("Access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined", "password_changed_at")}),
        (_("Login"), {"fields": ("must_change_password", "locked", "second_factor")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    "username",
                    "display_name",
                    "organization",
                    "department",
                    "employee_number",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                )
            },
        ),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The journal and incidents point at people (PROTECT): deactivate them instead.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may change a superuser (or their password) could become one.
        user: Any = request.user
        if obj is not None and obj.is_superuser and not user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.organization_id is not None:
            # Assignments point at this organisation's roles.
            fields.append("organization")
        if not request.user.is_superuser:
            # Otherwise anyone allowed to edit people could make themselves a superuser.
            fields += ["is_superuser", "is_staff", "groups", "user_permissions"]
        return fields

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            person = services.create_person(
                data["organization"],
                actor=request.user,
                username=data["username"],
                display_name=data["display_name"],
                password=data.get("password1") if data.get("set_usable_password") else None,
                email=data.get("email", ""),
                employee_number=data.get("employee_number", ""),
                department=data.get("department"),
            )
            obj.pk, obj._state.adding, obj._state.db = person.pk, False, person._state.db
            return
        original = User.objects.get(pk=obj.pk)
        changed = {f: getattr(obj, f) for f in form.changed_data if f in services.PERSON_FIELDS}
        services.update_person(original, actor=request.user, **changed)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Not form.save_m2m(): group and permission changes are journaled by the service.
        if {"groups", "user_permissions"} & set(form.changed_data):
            services.set_admin_access(
                form.instance,
                actor=request.user,
                groups=form.cleaned_data.get("groups", form.instance.groups.all()),
                permissions=form.cleaned_data.get("user_permissions", form.instance.user_permissions.all()),
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.save(commit=False)  # fills deleted_objects, changed_objects and new_objects
        for assignment in formset.deleted_objects:
            services.remove_assignment(assignment, actor=request.user)
        for assignment, _fields in formset.changed_objects:
            _save_assignment(request, assignment, change=True)
        for assignment in formset.new_objects:
            _save_assignment(request, assignment, change=False)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        # PersonPasswordForm only remembers the new password; it is saved here, through the service.
        pending = obj.__dict__.pop("_mamori_new_password", None)
        if pending is not None:
            services.set_password(obj, actor=request.user, password=pending[0])
        return super().log_change(request, obj, message)

    @admin.action(description=_("Deactivate the selected people"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = sum(services.deactivate_person(person, actor=request.user) for person in queryset)
        self.message_user(
            request, gettext("%(count)d people deactivated.") % {"count": count}, messages.SUCCESS
        )

    @admin.action(description=_("Unlock the selected IDs (after failed logins)"), permissions=["change"])
    def unlock(self, request: HttpRequest, queryset: QuerySet) -> None:
        for person in queryset:
            lockout.unlock(person, actor=request.user)
        self.message_user(
            request, gettext("%(count)d IDs unlocked.") % {"count": queryset.count()}, messages.SUCCESS
        )

    @admin.action(
        description=_("Reset the second factor of the selected people (lost phone)"), permissions=["change"]
    )
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet) -> None:
        for person in queryset:
            reset_second_factor(person, actor=request.user)
        self.message_user(
            request,
            gettext("%(count)d people will set up their authenticator app again at their next login.")
            % {"count": queryset.count()},
            messages.SUCCESS,
        )
