"""Organisations, their departments, the people in them and the roles the policy names.

Roles are defined by the active policy (``mamori.policy``); a ``Role`` row mirrors one so that
``Assignment`` can point at it. Assignment order 0 is the holder; 1..n are the 代行者 in order
(katsushika 5(1)ア, komae 第4条第4項).
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import DateStyle, OrganizationKind


class Organization(models.Model):
    key = models.SlugField(_("key"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=OrganizationKind.choices, default="municipality"
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent department"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="department_unique_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def full_name(display_name: str, first_name: str, last_name: str, username: str) -> str:
    """How a person is named everywhere (``User.get_full_name``), from the columns alone: pages that
    list hundreds of entries read these four columns instead of loading each person."""
    return display_name or f"{first_name} {last_name}".strip() or username


def name_columns(via: str) -> list[str]:
    """The columns ``full_name`` needs, reached from another model: ``values_list(*name_columns("taken_by"))``."""
    return [f"{via}__{c}" for c in ("display_name", "first_name", "last_name", "username")]


class User(AbstractUser):
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT
    )
    # 職員番号 is text: leading zeros and letters are common.
    employee_number = models.CharField(_("staff number"), max_length=30, blank=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    post = models.CharField(_("post"), max_length=100, blank=True)
    date_style = models.CharField(
        _("date style"), max_length=10, choices=DateStyle.choices, default=DateStyle.WAREKI
    )
    language = models.CharField(_("language"), max_length=10, blank=True, default="ja")
    # A password someone else set (a new person, a reset) is temporary: it must be changed at the
    # next login (tatebayashi 5.4(2)⑥, 6.2(4)②).
    must_change_password = models.BooleanField(_("must change password at next login"), default=False)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "employee_number"],
                condition=~models.Q(employee_number=""),
                name="user_unique_employee_number",
            )
        ]

    def get_full_name(self) -> str:
        return full_name(self.display_name, self.first_name, self.last_name, self.username)

    def __str__(self) -> str:
        return self.get_full_name()


class Role(models.Model):
    """A role of the organisation's regulation, mirrored from the active policy."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    key = models.SlugField(_("key"), max_length=50)
    title = models.CharField(_("title"), max_length=100)
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    is_csirt = models.BooleanField(_("CSIRT member"), default=False)
    active = models.BooleanField(_("in the active policy"), default=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="role_unique_key")]
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class Assignment(models.Model):
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.PROTECT)
    person = models.ForeignKey("people.User", verbose_name=_("person"), on_delete=models.PROTECT)
    order = models.PositiveSmallIntegerField(
        _("order"),
        default=0,
        help_text=_("0 is the holder; 1, 2, 3… are the deputies in the order they act."),
    )
    post = models.CharField(_("post"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["role", "order"]
        constraints = [
            models.UniqueConstraint(fields=["role", "order"], name="assignment_unique_order"),
            models.UniqueConstraint(fields=["role", "person"], name="assignment_unique_person"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.person} ({self.order})"
