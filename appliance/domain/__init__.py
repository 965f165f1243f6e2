"""The pure model of the shop: money, VAT, sales, the hash chain, journal events.

No I/O here: the server and the till both build on it.
"""

from .cashier import hash_pin, verify_pin
from .chain import GENESIS, ChainBreak, canonical, record_hash, verify_chain, verify_record
from .clock import Clock, monotonic_closed_at, utc_now
from .journal import EventType, make_event
from .money import format_cents, parse_cents, round_half_up
from .routing import printers_by_category
from .sale import PAYMENT_METHODS, Line, Payment, Sale, SaleError, close_sale, spread_discount
from .vat import FRENCH_RATES, VatLine, rate_label, vat_breakdown, vat_from_gross

__all__ = [
    "printers_by_category",
    "FRENCH_RATES",
    "GENESIS",
    "PAYMENT_METHODS",
    "ChainBreak",
    "Clock",
    "EventType",
    "Line",
    "Payment",
    "Sale",
    "SaleError",
    "VatLine",
    "canonical",
    "close_sale",
    "format_cents",
    "hash_pin",
    "make_event",
    "monotonic_closed_at",
    "parse_cents",
    "rate_label",
    "record_hash",
    "round_half_up",
    "spread_discount",
    "utc_now",
    "vat_breakdown",
    "vat_from_gross",
    "verify_chain",
    "verify_pin",
    "verify_record",
]
