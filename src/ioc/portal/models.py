"""Tables of the citizen app (phone sign-in codes, profiles, notification preferences, in-app
notifications, usage counters)."""

from __future__ import annotations
