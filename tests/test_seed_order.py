"""Seeding follows each module's ``seed_after``: a demo that reads another module's demo
records runs after it."""

from __future__ import annotations

import pytest

from ioc.kit.module import Module
from ioc.modules import installed_modules
from ioc.seed import seeding_order


def test_installed_modules_seed_after_what_they_read() -> None:
    names = [m.name for m in seeding_order(installed_modules())]
    for module in installed_modules():
        for before in module.seed_after:
            if before in names:
                assert names.index(before) < names.index(module.name), (before, module.name)
    # The indicators' demo computes the citizen app's usage indicators from the portal's demo.
    assert names.index("portal") < names.index("indicators")


def test_order_is_stable_and_ignores_unknown_names() -> None:
    a, b, c = Module("a", seed_after=("c",)), Module("b", seed_after=("x",)), Module("c")
    assert [m.name for m in seeding_order([a, b, c])] == ["b", "c", "a"]


def test_a_cycle_is_refused() -> None:
    with pytest.raises(RuntimeError, match="cycle"):
        seeding_order([Module("a", seed_after=("b",)), Module("b", seed_after=("a",))])
