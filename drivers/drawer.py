"""The cash drawer on the receipt printer's kick connector.

`kick()` sends ESC p: a pulse on pin 2 or pin 5 (whichever the drawer is
wired to), on for `on_ms` and off for `off_ms` (2 to 510 ms, in 2 ms steps).
`is_open()` reads DLE EOT 1 bit 2, the level of the connector's pin 3 (the
drawer's switch); which level means "open" depends on the drawer
(`open_is_high`). Both go through the printer's link, so a kick never lands
in the middle of a receipt.

When to open the drawer (cash payments, a manager's "open drawer", each a
journal event) is the till's decision, not this module's.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.printer.link import PrinterLink
from drivers.printer.render import drawer_kick


@dataclass(frozen=True)
class DrawerConfig:
    pin: int = 2
    on_ms: int = 100
    off_ms: int = 200
    open_is_high: bool = True

    def __post_init__(self) -> None:
        drawer_kick(self.pin, self.on_ms, self.off_ms)  # refuses a bad pin or pulse time


class CashDrawer:
    def __init__(self, link: PrinterLink, config: DrawerConfig | None = None) -> None:
        self.link = link
        self.config = config or DrawerConfig()
        self._kick = drawer_kick(self.config.pin, self.config.on_ms, self.config.off_ms)

    @property
    def kick_bytes(self) -> bytes:
        return self._kick

    def kick(self) -> None:
        """Pulse the drawer open; PrinterError if the printer cannot be reached."""
        self.link.send(self._kick)

    def is_open(self) -> bool:
        """From the drawer's switch; PrinterError if the printer does not answer."""
        (printer,) = self.link.query(1)
        return bool(printer & 0x04) == self.config.open_is_high
