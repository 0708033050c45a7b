"""Tables of the indicators module."""

from __future__ import annotations
