"""Tables of the alerts module."""

from __future__ import annotations
