"""The leader's weekly and monthly report: a page, a PDF and an Excel workbook."""

from __future__ import annotations

from ioc.kit.module import Module


def _build() -> Module:
    return Module(name="briefings")


module = _build()
