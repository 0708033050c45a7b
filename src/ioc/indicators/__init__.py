"""Indicators: a catalogue, observations by area and period, bands, scorecards."""

from __future__ import annotations

from ioc.kit.module import Module


def _build() -> Module:
    return Module(name="indicators")


module = _build()
