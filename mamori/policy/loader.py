"""Reading a policy file: YAML → checked ``PolicyDocument``, or a list of errors naming the line.

PyYAML's composed node tree keeps the line of every key and value; we walk it ourselves so that
duplicate keys are refused (PyYAML silently keeps the last one) and every error found later by
pydantic or ``check_references`` can be traced back to a line.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _
from pydantic import ValidationError

from .schema import PolicyDocument, check_references

PRESET_DIR = Path(__file__).resolve().parent / "presets"
MAX_POLICY_BYTES = 1024 * 1024

PathT = tuple[str | int, ...]


@dataclass(frozen=True)
class PolicyError:
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = _("line %(line)s") % {"line": self.line} if self.line else _("whole file")
        return f"{where}: {self.path + ': ' if self.path else ''}{self.message}"


class PolicyInvalid(Exception):
    def __init__(self, errors: list[PolicyError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class _TooLarge(Exception):
    """The document expands (through aliases) to more values than any policy has."""


# A full preset has a few thousand values; aliases could otherwise expand a small file exponentially.
MAX_VALUES = 100_000


class _Builder:
    """Turns composed YAML nodes into plain data, remembering each path's line."""

    def __init__(self, loader: yaml.SafeLoader):
        self.loader = loader
        self.lines: dict[PathT, int] = {}
        self.errors: list[PolicyError] = []
        self.values = 0

    def build(self, node: yaml.Node, path: PathT) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooLarge
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                try:
                    key = self.loader.construct_object(key_node, deep=True)
                except ValueError as exc:
                    self.errors.append(
                        PolicyError(
                            key_node.start_mark.line + 1,
                            _dotted(path),
                            _("invalid key: %(detail)s") % {"detail": exc},
                        )
                    )
                    continue
                if not isinstance(key, str | int) or isinstance(key, bool):
                    self.errors.append(
                        PolicyError(key_node.start_mark.line + 1, _dotted(path), _("a key must be text"))
                    )
                    continue
                if key in result:
                    self.errors.append(
                        PolicyError(
                            key_node.start_mark.line + 1,
                            _dotted((*path, key)),
                            _("duplicate key “%(key)s” (it already appears at line %(line)s)")
                            % {"key": key, "line": self.lines[(*path, key)]},
                        )
                    )
                    continue
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError as exc:  # e.g. an impossible date such as 2019-02-30
            self.errors.append(
                PolicyError(
                    node.start_mark.line + 1, _dotted(path), _("invalid value: %(detail)s") % {"detail": exc}
                )
            )
            return None

    def line_of(self, path: PathT) -> int | None:
        # The deepest prefix we know: a missing key is reported at its parent's line.
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None


def _dotted(path: PathT) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out


def _message(error: dict[str, Any]) -> str:
    """A Japanese (translated) message for one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("required item is missing")
    if kind == "extra_forbidden":
        return _("unknown item (check the spelling against the schema)")
    if kind in ("string_type", "str_type"):
        return _("must be text")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("must be a whole number")
    if kind in ("bool_type", "bool_parsing"):
        return _("must be true or false")
    if kind == "list_type":
        return _("must be a list")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("must be a mapping of items")
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return _("must be a date such as 2024-04-01")
    if kind == "literal_error":
        return _("must be one of: %(expected)s") % {"expected": ctx.get("expected", "")}
    if kind == "string_pattern_mismatch":
        return _("must be lowercase letters, digits and underscores, starting with a letter")
    if kind in ("string_too_short", "too_short"):
        return _("must not be empty")
    if kind == "string_too_long":
        return _("is too long (at most %(max)s characters)") % {"max": ctx.get("max_length", "")}
    if kind in ("greater_than_equal", "less_than_equal"):
        return _("is out of range")
    if kind == "value_error":
        code = str(ctx.get("error", ""))
        if code == "basis_null_without_note":
            return _("basis is null: say in “note” what default was chosen because the regulation is silent")
        if code == "basis_empty":
            return _("basis is empty: cite the article, or write null with a note")
        if code == "count_without_threshold":
            return _("a trigger of kind count needs more_than")
        if code == "give_due_days_or_due_hours":
            return _("give either due_days or due_hours")
        if code == "share_without_percent":
            return _("convene: share needs share_percent")
        if code == "teams_without_teams":
            return _("convene: teams needs the list of teams")
        if code == "reminder_out_of_range":
            return _("reminders must be between 5 minutes and 24 hours after the first message")
        if code.startswith("permissions_missing:"):
            return _("these permissions are not granted to any role: %(names)s") % {
                "names": code.split(":", 1)[1]
            }
    return _("invalid value (%(detail)s)") % {"detail": error.get("msg", kind)}


_REFERENCE_MESSAGES = {
    "unknown_role": lambda d: _("unknown role “%(key)s” (not defined under roles)") % {"key": d},
    "unknown_level": lambda d: _("unknown level %(key)s (not defined under levels)") % {"key": d},
    "unknown_category": lambda d: _("unknown category “%(key)s”") % {"key": d},
    "duplicate_key": lambda d: _("“%(key)s” is defined twice") % {"key": d},
    "deputy_of_itself": lambda d: _("role “%(key)s” cannot be its own deputy") % {"key": d},
    "levels_not_consecutive": lambda d: (
        _("levels must be consecutive numbers (found %(values)s)") % {"values": d}
    ),
    "no_csirt_role": lambda d: _("no role is marked csirt: true; someone must handle incidents"),
    "unknown_axis": lambda d: (
        _("unknown classification axis “%(key)s” (not defined under classification.axes)") % {"key": d}
    ),
    "unknown_class": lambda d: _("unknown class “%(key)s” (not a level of that axis)") % {"key": d},
    "no_bcp": lambda d: (
        _("exercise “%(key)s” runs as an emergency, but the policy has no bcp section") % {"key": d}
    ),
    "unknown_team": lambda d: _("unknown team “%(key)s” (not defined under bcp.teams)") % {"key": d},
    "intensity_without_scale": lambda d: (
        _("min_intensity is given, but kind “%(key)s” is not declared with an intensity") % {"key": d}
    ),
    "unknown_trigger": lambda d: (
        _("unknown trigger “%(key)s” (not defined under triggers of this body)") % {"key": d}
    ),
}


def parse_policy(text: str) -> PolicyDocument:
    """Parse and check a policy; raise ``PolicyInvalid`` with every problem found."""
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise PolicyInvalid([PolicyError(None, "", _("the file is larger than 1 MB"))])
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # e.g. a control character the YAML reader refuses
        raise PolicyInvalid(
            [PolicyError(None, "", _("not valid YAML: %(problem)s") % {"problem": exc})]
        ) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or ""
        raise PolicyInvalid(
            [
                PolicyError(
                    mark.line + 1 if mark else None,
                    "",
                    _("not valid YAML: %(problem)s") % {"problem": problem},
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise PolicyInvalid(
            [PolicyError(None, "", _("not valid YAML: %(problem)s") % {"problem": exc})]
        ) from None
    except RecursionError:
        raise PolicyInvalid([PolicyError(None, "", _("the file is nested too deeply"))]) from None
    finally:
        loader.dispose()
    if node is None:
        raise PolicyInvalid([PolicyError(None, "", _("the file is empty"))])
    builder = _Builder(loader)
    try:
        data = builder.build(node, ())
    except (RecursionError, _TooLarge):
        raise PolicyInvalid(
            [PolicyError(None, "", _("the file is nested too deeply or expands to too much"))]
        ) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise PolicyInvalid(
            [
                PolicyError(
                    mark.line + 1 if mark else None,
                    "",
                    _("not valid YAML: %(problem)s") % {"problem": exc.problem},
                )
            ]
        ) from None
    errors = list(builder.errors)
    if not isinstance(data, dict):
        errors.append(PolicyError(1, "", _("the top level must be a mapping of items")))
        raise PolicyInvalid(errors)
    try:
        doc = PolicyDocument.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            errors.append(PolicyError(builder.line_of(loc), _dotted(loc), _message(dict(err))))
        raise PolicyInvalid(_sorted(errors)) from None
    for ref in check_references(doc):
        message = _REFERENCE_MESSAGES[ref.code](ref.detail)
        errors.append(PolicyError(builder.line_of(ref.path), _dotted(ref.path), message))
    if errors:
        raise PolicyInvalid(_sorted(errors))
    return doc


def _sorted(errors: list[PolicyError]) -> list[PolicyError]:
    return sorted(errors, key=lambda e: (e.line or 0, e.path))


def preset_path(name: str) -> Path:
    path = PRESET_DIR / f"{name}.yaml"
    if not name.replace("_", "").replace("-", "").isalnum() or not path.is_file():
        raise PolicyInvalid(
            [
                PolicyError(
                    None,
                    "",
                    _("no preset named “%(name)s” (available: %(names)s)")
                    % {"name": name, "names": ", ".join(preset_names())},
                )
            ]
        )
    return path


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def read_policy_file(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyInvalid(
            [PolicyError(None, "", _("cannot read the file: %(error)s") % {"error": exc.strerror})]
        ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyInvalid([PolicyError(None, "", _("the file is not UTF-8 text"))]) from None
