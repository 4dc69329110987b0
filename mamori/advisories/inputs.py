"""What an advisory is made of, typed by a person or read from a CSAF file (csaf.py)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class ProductInput:
    product: str
    versions: str = ""  # empty: every version (versions.py)
    vendor: str = ""


@dataclass
class AdvisoryInput:
    source: str
    title: str
    summary: str = ""
    cvss_score: Decimal | None = None
    severity: str = ""  # empty: from the CVSS score
    identifiers: list[str] = field(default_factory=list)
    url: str = ""
    published_on: date | None = None
    products: list[ProductInput] = field(default_factory=list)
