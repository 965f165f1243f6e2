"""`server.json`: the server's id and settings, read through a pydantic model.

A key unknown (misspelt) or of the wrong type is a `ConfigError` naming the file
and the key, before the server starts, instead of a setting silently ignored.
`printing` is checked key by key by the spooler's `PrintSettings`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from appliance.protocol.configfile import ConfigError, first_error, reason

__all__ = ["ServerSettings", "checked_settings"]


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    server_id: str
    snapshot_at: str = "23:30"  # HH:MM, the nightly snapshot (`run --snapshot-at` wins)
    keep_snapshots: int = 3
    db_url: str | None = None  # else the SQLite file server.db beside it
    printing: dict[str, Any] | None = None  # the spooler's PrintSettings


def checked_settings(raw: Any, source: str) -> dict[str, Any]:
    """server.json's object as it was written, once it is known to be valid."""
    try:
        ServerSettings.model_validate(raw)
    except ValidationError as e:
        loc, error = first_error(e)
        why = reason(error)
        if why == "unknown key":
            why += f"; known: {', '.join(ServerSettings.model_fields)}"
        raise ConfigError(source, ".".join(map(str, loc)), why) from None
    return dict(raw)
