"""Accepting uploaded files: size limit, hashing, and names that cannot hurt."""

import hashlib
import re
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from mamori.incidents.errors import Invalid

CHUNK = 64 * 1024


def hash_upload(upload: IO[bytes], field: str = "file") -> tuple[str, int]:
    """SHA-256 and size of an upload, refusing it when larger than MAMORI_MAX_UPLOAD_BYTES."""
    limit = settings.MAMORI_MAX_UPLOAD_BYTES
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    while chunk := upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise Invalid(
                fields={field: _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}}
            )
        digest.update(chunk)
    upload.seek(0)
    if size == 0:
        raise Invalid(fields={field: _("The file is empty.")})
    return digest.hexdigest(), size


def clean_filename(name: str) -> str:
    """Keep the name for display only; files are stored under their hash."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "file"
    return name[:255]
