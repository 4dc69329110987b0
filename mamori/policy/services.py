"""Loading a policy into the database, and reading the one in force."""

import hashlib
from dataclasses import dataclass
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from mamori.journal.services import record
from mamori.people.models import Organization, Role

from .loader import parse_policy
from .models import PolicyVersion
from .schema import PolicyDocument


class NoActivePolicy(Exception):
    """The organisation has no policy loaded yet."""


@dataclass
class LoadResult:
    version: PolicyVersion
    created: bool


def load_policy(text: str, *, actor: Any, source_name: str) -> LoadResult:
    """Check ``text`` and make it the organisation's active policy.

    A file that fails any check raises ``PolicyInvalid`` and changes nothing. Loading the text that is
    already active creates no new version.
    """
    doc = parse_policy(text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with transaction.atomic():
        org, org_created = Organization.objects.get_or_create(
            key=doc.organization.key, defaults={"name": doc.organization.name, "kind": doc.organization.kind}
        )
        if org_created:
            record(
                actor=actor,
                action="organization.created",
                obj=org,
                organization=org,
                data={"key": org.key, "name": org.name},
            )
        elif (org.name, org.kind) != (doc.organization.name, doc.organization.kind):
            org.name, org.kind = doc.organization.name, doc.organization.kind
            org.save(update_fields=["name", "kind"])
            record(actor=actor, action="organization.renamed", obj=org, data={"name": org.name})
        current = PolicyVersion.objects.select_for_update().filter(organization=org, is_active=True).first()
        if current is not None and current.sha256 == digest:
            return LoadResult(current, created=False)
        last = PolicyVersion.objects.filter(organization=org).order_by("-version").first()
        PolicyVersion.objects.filter(organization=org, is_active=True).update(is_active=False)
        version = PolicyVersion.objects.create(
            organization=org,
            version=(last.version + 1) if last else 1,
            source_name=source_name[:300],
            sha256=digest,
            text=text,
            document=doc.model_dump(mode="json"),
            loaded_by=actor if getattr(actor, "pk", None) else None,
            loaded_by_label=str(actor or "system")[:200],
            loaded_at=timezone.now(),
            is_active=True,
        )
        _sync_roles(org, doc, actor=actor)
        record(
            actor=actor,
            action="policy.loaded",
            obj=version,
            organization=org,
            data={
                "version": version.version,
                "sha256": digest,
                "source": source_name,
                "previous": current.version if current else None,
            },
        )
    return LoadResult(version, created=True)


def _sync_roles(org: Organization, doc: PolicyDocument, *, actor: Any) -> None:
    """Mirror the policy's roles as rows so that people can be assigned to them."""
    existing = {r.key: r for r in Role.objects.filter(organization=org)}
    for spec in doc.roles:
        role = existing.get(spec.key)
        fields = {"title": spec.title, "basis": spec.basis or "", "is_csirt": spec.csirt, "active": True}
        if role is None:
            role = Role.objects.create(organization=org, key=spec.key, **fields)
            record(actor=actor, action="role.created", obj=role, data=fields)
        elif any(getattr(role, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(role, k, v)
            role.save()
            record(actor=actor, action="role.updated", obj=role, data=fields)
    keys = {spec.key for spec in doc.roles}
    for key, role in existing.items():
        if key not in keys and role.active:
            # Kept, not deleted: assignments and the journal still point at it.
            role.active = False
            role.save(update_fields=["active"])
            record(actor=actor, action="role.retired", obj=role, data={"key": key})


# Keyed by the file's SHA-256, not the row's id: ids can be reused (a restored backup, a rolled-back
# test), content hashes cannot.
_cache: dict[str, PolicyDocument] = {}


def document_of(version: PolicyVersion) -> PolicyDocument:
    """The parsed document of a stored version (parsed once per process)."""
    doc = _cache.get(version.sha256)
    if doc is None:
        # The stored document is read only on a miss: rows are usually loaded without it (see below).
        document = PolicyVersion.objects.values_list("document", flat=True).get(pk=version.pk)
        doc = PolicyDocument.model_validate(document)
        _cache[version.sha256] = doc
    return doc


def active_version(org: Organization) -> PolicyVersion:
    version = PolicyVersion.objects.filter(organization=org, is_active=True).defer("text", "document").first()
    if version is None:
        raise NoActivePolicy(org.key)
    return version


def active_policy(org: Organization) -> PolicyDocument:
    return document_of(active_version(org))


_NOT_CACHED = object()


def policy_of_person(person: Any) -> PolicyDocument | None:
    """The policy in force for a person's organisation, or None (no organisation, nothing loaded).

    Remembered on the person object, which lives for one request: the login checks, the
    permissions and the page itself then cost one query between them.
    """
    # getattr, not person.__dict__: request.user is a SimpleLazyObject whose own __dict__ never holds it.
    cached = getattr(person, "_mamori_policy", _NOT_CACHED)
    if cached is not _NOT_CACHED:
        return cast("PolicyDocument | None", cached)
    organization = getattr(person, "organization", None) if getattr(person, "organization_id", None) else None
    policy: PolicyDocument | None
    try:
        policy = active_policy(organization) if organization is not None else None
    except NoActivePolicy:
        policy = None
    if hasattr(person, "__dict__"):
        person._mamori_policy = policy
    return policy
