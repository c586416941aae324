"""UTC times that compare safely whatever the database gave back (SQLite drops the zone)."""

from __future__ import annotations

from datetime import UTC, datetime

from plugin.models.tenant import utcnow

__all__ = ["as_utc", "utcnow"]


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
