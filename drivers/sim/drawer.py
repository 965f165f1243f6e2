"""A simulated cash drawer on a printer's kick connector.

A pulse on its pin (2 or 5) at least `min_pulse_ms` long opens it; the
cashier (the test) closes it. Its switch drives the connector's pin 3, which
the printer reports in DLE EOT 1 bit 2: high when open by default, low when
open for drawers wired the other way (`open_is_high=False`).
"""

from __future__ import annotations

import threading


class SimDrawer:
    def __init__(self, pin: int = 2, *, min_pulse_ms: int = 20, open_is_high: bool = True):
        if pin not in (2, 5):
            raise ValueError("a drawer is wired to pin 2 or pin 5")
        self.pin = pin
        self.min_pulse_ms = min_pulse_ms
        self.open_is_high = open_is_high
        self.is_open = False
        self.openings = 0
        self.pulses: list[tuple[int, int]] = []  # (pin, on_ms) of every pulse seen
        self._lock = threading.Lock()

    @property
    def pin3_high(self) -> bool:
        return self.is_open == self.open_is_high

    def pulse(self, pin: int, on_ms: int) -> None:
        with self._lock:
            self.pulses.append((pin, on_ms))
            if pin == self.pin and on_ms >= self.min_pulse_ms and not self.is_open:
                self.is_open = True
                self.openings += 1

    def close(self) -> None:
        """The cashier pushes the drawer shut."""
        with self._lock:
            self.is_open = False
