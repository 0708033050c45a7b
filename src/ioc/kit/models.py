"""Tables owned by the kit, imported so that Alembic sees them."""

from ioc.kit import audit, auth, calendar_store, events, jobs, notify

__all__ = ["audit", "auth", "calendar_store", "events", "jobs", "notify"]
