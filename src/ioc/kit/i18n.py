"""Translations and local formats. Message ids are English; Vietnamese is the default language.

Each package may keep a ``translations/vi.po``; all of them are merged at start-up, so modules own
their own strings and no compile step is needed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]


@cache
def catalogue(locale: str) -> dict[str, str]:
    """msgid → translation for one locale, merged from every package's PO file."""
    if locale == "en":
        return {}
    merged: dict[str, str] = {}
    for po_path in sorted(_PACKAGE_ROOT.rglob(f"translations/{locale}.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                key = message.id if isinstance(message.id, str) else message.id[0]
                value = message.string if isinstance(message.string, str) else message.string[0]
                merged[key] = value
    return merged


def translate(locale: str, message: str, **params: Any) -> str:
    text = catalogue(locale).get(message, message) if locale != "en" else message
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def translator(locale: str) -> Callable[..., str]:
    def _(message: str, **params: Any) -> str:
        return translate(locale, message, **params)

    return _


def normalise_locale(value: str | None) -> str:
    if value and value[:2].lower() in LOCALES:
        return value[:2].lower()
    return DEFAULT_LOCALE


def format_number(value: float | int, locale: str, digits: int = 0) -> str:
    """1.234.567,8 in Vietnamese, 1,234,567.8 in English."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale="vi_VN" if locale == "vi" else "en_GB"))


def format_vnd(amount: int, locale: str) -> str:
    return f"{format_number(amount, locale)} ₫"


def format_local_datetime(value: datetime, locale: str, tz: str = "Asia/Ho_Chi_Minh") -> str:
    local = value.astimezone(ZoneInfo(tz))
    if locale == "vi":
        return local.strftime("%H:%M %d/%m/%Y")
    return str(babel_format_datetime(local, format="d MMM yyyy, HH:mm", locale="en_GB"))
