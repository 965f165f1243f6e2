"""What the screens show, kept by the controller (no Kivy here): `UiState`, and what
the controller asks of the screens, `View` (view.TillRoot implements it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Event", "UiState", "View"]

Event = dict[str, Any]


class View(Protocol):
    """What the controller asks of the screens (view.TillRoot implements it)."""

    def refresh(self, what: str) -> None: ...
    def say(self, text: str, level: str = "info") -> None: ...
    def ask(self, event: Event) -> None: ...
    def close_question(self) -> None: ...
    def show_screen(self, name: str) -> None: ...
    def upload(self, state: dict[str, Any]) -> None: ...
    def article_result(self, ok: bool, text: str) -> None: ...
    def x_report(self, report: dict[str, Any]) -> None: ...
    def info(self, title: str, text: str) -> None: ...
    def manager_dialog(self, action: str) -> None: ...
    def cancel_dialog(self, text: str) -> None: ...
    def card_dialog(self, amount: int) -> None: ...


@dataclass
class UiState:
    mode: str = "BOOT"
    server: str | None = None
    server_id: str | None = None
    pending: int = 0
    started: bool = False
    cashier: dict[str, Any] | None = None
    sale: dict[str, Any] = field(
        default_factory=lambda: {
            "lines": [],
            "sale_discount": 0,
            "total": 0,
            "paid": 0,
            "due": 0,
            "payments": [],
        }
    )
    #: lines shown before the core answered: the scan's request id -> row (the core's
    #: answer, `line_added` or `error`, carries the same id)
    provisional: dict[str, dict[str, Any]] = field(default_factory=dict)
    selected: int | None = None
    #: quantity typed before a scan or a product button ("3 ×")
    next_quantity: int | None = None
    question: Event | None = None
    #: autonomous, but the server answers again: the cashier said "later" to sending
    server_back: bool = False
    upload: dict[str, Any] = field(default_factory=dict)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_closed: Event | None = None
    last_receipt_png: str | None = None
    catalogue_version: int | None = None
    #: the last update's result, as the core publishes it (`update` events)
    update: Event | None = None
    #: an article just created at this till: its page is shown once it is on one
    show_article: str | None = None
    #: (time.perf_counter() when a scan was asked, code): read by the benchmarks
    last_scan_at: float = 0.0

    @property
    def is_manager(self) -> bool:
        return bool(self.cashier) and self.cashier.get("role") == "manager"

    @property
    def autonomous(self) -> bool:
        return self.mode == "AUTONOMOUS"
