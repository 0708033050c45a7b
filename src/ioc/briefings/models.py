"""Tables of the briefings module."""

from __future__ import annotations
