"""The devices of a till that has none plugged in: each command says so, in the
cashier's words, and does nothing (`ports.DevicePort`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Unplugged"]


class Unplugged:
    direct_kitchen: dict[str, Any] = {}

    def __init__(self, error: Callable[..., Any]) -> None:
        self.error = error

    def reprint_last(self) -> bool:
        self.error("no_printer", "no receipt printer is configured on this till")
        return False

    def open_drawer(self, reason: str = "") -> bool:
        self.error("no_drawer", "no cash drawer is configured on this till")
        return False

    def device_status(self) -> dict[str, Any]:
        return {}

    def split_kitchen(self, lines: list[dict[str, Any]]) -> tuple[dict[str, Any], list[Any]]:
        return {}, list(lines)

    def print_kitchen(self, job: dict[str, Any], direct: dict[str, Any]) -> None:
        """Nothing is routed to a printer of this till (split_kitchen keeps none)."""

    def stop(self, timeout: float = 15.0) -> None:
        """Nothing to stop."""
