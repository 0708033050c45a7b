"""Every message the interface can show has a Vietnamese translation, and the translations keep
their placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from ioc.kit.i18n import catalogue

SRC = Path(__file__).resolve().parents[1] / "src" / "ioc"
MESSAGE_CALLS = {
    "_",
    "translate",
    "ValidationFailed",
    "NotFound",
    "PermissionDenied",
    "NotAuthenticated",
    "RateLimited",
    "IocError",
    "CsrfFailed",
    "Conflict",
    "NavEntry",
    "flash",
    "FieldError",
}
TEMPLATE_CALL = re.compile(r"""\b_\(\s*(["'])((?:(?!\1).)+)\1""")


def _message_ids() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = (
                node.func.id
                if isinstance(node.func, ast.Name)
                else (node.func.attr if isinstance(node.func, ast.Attribute) else "")
            )
            if name not in MESSAGE_CALLS:
                continue
            args = node.args
            if name == "NavEntry":
                args = args[1:2]
            elif name == "flash":
                args = args[2:3]
            elif name == "translate" or name == "FieldError":
                args = args[1:2]
            if name == "NavEntry":
                args = args + [k.value for k in node.keywords if k.arg == "hint"]
            for arg in args[:2] if name == "NavEntry" else args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                    found.setdefault(arg.value, f"{path.relative_to(SRC)}:{node.lineno}")
    for path in SRC.rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in TEMPLATE_CALL.finditer(line):
                found.setdefault(match.group(2), f"{path.relative_to(SRC)}:{number}")
    return found


def test_every_message_has_a_vietnamese_translation() -> None:
    vi = catalogue("vi")
    missing = {
        msg: where for msg, where in _message_ids().items() if msg not in vi and not msg.isdigit()
    }
    assert missing == {}, "\n".join(
        f"{w}: {m!r}" for m, w in sorted(missing.items(), key=lambda x: x[1])
    )


def test_translations_keep_their_placeholders() -> None:
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    wrong = {msg: tr for msg, tr in catalogue("vi").items() if fields(msg) != fields(tr)}
    assert wrong == {}
