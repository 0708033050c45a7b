"""Alerts raised by rules over events and indicators, handled through standard procedures."""

from __future__ import annotations

from ioc.kit.module import Module


def _build() -> Module:
    return Module(name="alerts")


module = _build()
