"""The till's two languages: French and English, with gettext.

The English texts are the message ids; `locale/fr/LC_MESSAGES/autonome.po`
translates them, and its compiled `autonome.mo` is committed beside it
(`python -m appliance.ui.po` compiles it again; a test checks both agree).
The ids are found with `xgettext --language=Python --keyword=_ --keyword=N_
--keyword=ngettext:1,2 appliance/ui/*.py`.
Texts use `str.format` fields: `_("{n} sales waiting").format(n=3)`.

Euro amounts follow the language: `12,50 €` in French, `€12.50` in English;
numbers, percentages and dates follow it through Babel's locale data (`5,5 %`
and `5.5%`, `3 décembre 2026` and `3 December 2026`, the keypad's decimal
separator), plurals through the catalogue's plural rule ("1 ligne", "2 lignes").
No Kivy here.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from appliance.domain import parse_cents

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "Language",
    "N_",
    "_",
    "current",
    "decimal_separator",
    "label_value",
    "long_date",
    "money",
    "ngettext",
    "number",
    "parse_amount",
    "percent",
    "use",
]

DOMAIN = "autonome"
LOCALE_DIR = Path(__file__).with_name("locale")
#: the languages of the screens, the first is the default
LANGUAGES = ("fr", "en")
#: each language's locale for Babel (English with the euro: Ireland's)
LOCALES = {"fr": "fr_FR", "en": "en_IE"}


@dataclass(frozen=True)
class Language:
    code: str
    translations: gettext.NullTranslations

    def money(self, cents: int) -> str:
        sign = "-" if cents < 0 else ""
        units, frac = divmod(abs(int(cents)), 100)
        if self.code == "fr":
            grouped = f"{units:,}".replace(",", " ")
            return f"{sign}{grouped},{frac:02d} €"
        return f"{sign}€{units:,}.{frac:02d}"

    @property
    def locale(self) -> str:
        return LOCALES[self.code]


def _load(code: str) -> Language:
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}: one of {', '.join(LANGUAGES)}")
    if code == "en":  # the message ids are the English texts
        return Language(code, gettext.NullTranslations())
    return Language(code, gettext.translation(DOMAIN, LOCALE_DIR, languages=[code]))


_current = Language("en", gettext.NullTranslations())


def use(code: str) -> Language:
    """Switch every text to `code` ("fr" or "en"); ValueError for another."""
    global _current
    _current = _load(code)
    return _current


def current() -> Language:
    return _current


def _(message: str) -> str:
    return _current.translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is defined; `_` translates it where shown."""
    return message


def money(cents: int) -> str:
    """1250 -> "12,50 €" (French) or "€12.50" (English)."""
    return _current.money(cents)


def parse_amount(text: str) -> int:
    """What a cashier typed on the keypad, in cents: "12,5" or "12.50" -> 1250,
    "20" -> 2000 (whole euros). ValueError for anything else."""
    return parse_cents(text.replace("€", "").strip())


def number(value: float) -> str:
    """5.5 -> "5,5" (French) or "5.5" (English)."""
    return format_decimal(value, locale=_current.locale, decimal_quantization=False)


def percent(basis_points: int) -> str:
    """A VAT rate in basis points, per the language: 550 -> "5,5 %" or "5.5%"."""
    return format_percent(basis_points / 10000, locale=_current.locale, decimal_quantization=False)


def long_date(day: date | str) -> str:
    """2026-12-03 -> "3 décembre 2026" or "3 December 2026"."""
    when = date.fromisoformat(day) if isinstance(day, str) else day
    return format_date(when, "long", locale=_current.locale)


def decimal_separator() -> str:
    """The keypad's decimal key: "," in French, "." in English."""
    return str(Locale.parse(_current.locale).number_symbols["latn"]["decimal"])


def label_value(label: str, value: str) -> str:
    """ "Carte : 14,80 €" (French puts a space before the colon), "Card: €14.80"."""
    return f"{label}\u00a0: {value}" if _current.code == "fr" else f"{label}: {value}"
