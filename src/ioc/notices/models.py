"""Tables of the notices module."""

from __future__ import annotations
