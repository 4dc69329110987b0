"""The second factor: a TOTP authenticator app, and recovery codes for when the phone is lost.

Required for administrators and for roles that approve or see restricted incidents
(``rules.needs_second_factor``; tatebayashi 6.2(1)③(イ), 3(1)②(ア) 多要素認証). django-otp keeps the
devices and throttles wrong codes; every change here is journaled.

Enrolment keeps the new secret in the session until the person proves their app shows the right
code, so an abandoned enrolment leaves nothing half-made in the database.
"""

import time
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass
from typing import Any

import django_otp
import segno
from django.db import transaction
from django.http import HttpRequest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from mamori.journal.services import record

RECOVERY_CODES = 10
PENDING_KEY = "mamori_totp_pending_key"
DEVICE_NAME = "Mamori"


def has_second_factor(person: Any) -> bool:
    return TOTPDevice.objects.filter(user=person, confirmed=True).exists()


@dataclass
class Enrolment:
    key: str
    secret: str  # base32, for typing into the app by hand
    qr_svg: str  # the otpauth:// address as an inline SVG QR code (made here, no outside service)


def pending_enrolment(request: HttpRequest) -> Enrolment:
    """The secret being enrolled in this session (made on first call)."""
    key = request.session.get(PENDING_KEY)
    if not key:
        key = default_key()
        request.session[PENDING_KEY] = key
    device = TOTPDevice(user=request.user, key=key, name=DEVICE_NAME)
    secret = b32encode(device.bin_key).decode()
    qr_svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", omitsize=False
    )
    return Enrolment(key=key, secret=secret, qr_svg=qr_svg)


def _code_matches(key: str, code: str) -> bool:
    try:
        token = int(code.strip().replace(" ", ""))
    except ValueError:
        return False
    totp = TOTP(unhexlify(key.encode()))
    totp.time = time.time()
    return bool(totp.verify(token, tolerance=1))


def confirm_enrolment(request: HttpRequest, code: str) -> list[str] | None:
    """Finish enrolment if ``code`` is what the app shows; returns the new recovery codes (shown
    once), or None when the code is wrong. Replaces any earlier app and recovery codes."""
    person: Any = request.user
    key = request.session.get(PENDING_KEY)
    if not key or not _code_matches(key, code):
        return None
    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=person).count()
        TOTPDevice.objects.filter(user=person).delete()
        device = TOTPDevice.objects.create(user=person, key=key, name=DEVICE_NAME, confirmed=True)
        codes = _replace_recovery_codes(person)
        record(
            actor=person,
            action="access.second_factor_enrolled",
            obj=person,
            organization=person.organization,
            data={"replaced_devices": replaced, "recovery_codes": len(codes)},
        )
    del request.session[PENDING_KEY]
    django_otp.login(request, device)
    return codes


def _replace_recovery_codes(person: Any) -> list[str]:
    StaticDevice.objects.filter(user=person).delete()
    device = StaticDevice.objects.create(user=person, name=f"{DEVICE_NAME} recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def new_recovery_codes(person: Any) -> list[str]:
    """Throw away the unused recovery codes and make new ones (the person asked, verified)."""
    with transaction.atomic():
        codes = _replace_recovery_codes(person)
        record(
            actor=person,
            action="access.recovery_codes_renewed",
            obj=person,
            organization=person.organization,
            data={"recovery_codes": len(codes)},
        )
    return codes


def verify(request: HttpRequest, code: str) -> bool:
    """Check a code from the app, or a recovery code (used up once accepted), and mark this session
    as verified. Wrong codes are journaled; django-otp slows down repeated wrong codes."""
    person: Any = request.user
    code = code.strip().replace(" ", "").lower()
    used = None
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user=person, confirmed=True):
            if device.verify_token(code):
                used = device
                break
        if used is None:
            for static in StaticDevice.objects.select_for_update().filter(user=person, confirmed=True):
                if static.verify_token(code):
                    used = static
                    break
        if used is None:
            record(
                actor=person,
                action="access.second_factor_failed",
                obj=person,
                organization=person.organization,
                data={"address": request.META.get("REMOTE_ADDR", "")},
            )
            return False
        data: dict[str, Any] = {"address": request.META.get("REMOTE_ADDR", "")}
        if isinstance(used, StaticDevice):
            data["recovery_codes_left"] = used.token_set.count()
        record(
            actor=person,
            action="access.recovery_code_used"
            if isinstance(used, StaticDevice)
            else "access.second_factor_verified",
            obj=person,
            organization=person.organization,
            data=data,
        )
    django_otp.login(request, used)
    return True


def recovery_codes_left(person: Any) -> int:
    return StaticToken.objects.filter(device__user=person, device__confirmed=True).count()


def reset_second_factor(person: Any, *, actor: Any) -> None:
    """Remove a person's app and recovery codes (a lost phone); they enrol again at their next login."""
    with transaction.atomic():
        removed = (
            TOTPDevice.objects.filter(user=person).delete()[0]
            + StaticDevice.objects.filter(user=person).delete()[0]
        )
        record(
            actor=actor,
            action="access.second_factor_reset",
            obj=person,
            organization=person.organization,
            data={"removed": removed},
        )
