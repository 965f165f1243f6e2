"""The three screens: cashier login (a PIN pad), the sale, the payment.

Each screen draws from the controller's `UiState` in `refresh(what)` and
sends the cashier's touches to the controller; none of them calls the till.
Layout for 1024x768 and 1280x800 landscape: proportions, with every touch
target at least 48 dp.
"""

from .screen_login import LoginScreen
from .screen_payment import PaymentScreen
from .screen_sale import SaleScreen

__all__ = ["LoginScreen", "PaymentScreen", "SaleScreen"]
