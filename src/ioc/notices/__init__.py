"""Notices, news and emergency alerts that officers publish to the citizen app."""

from __future__ import annotations

from ioc.kit.module import Module


def _build() -> Module:
    return Module(name="notices")


module = _build()
