"""The till's two languages: French and English, with gettext.

The English texts are the message ids; `locale/fr/LC_MESSAGES/autonome.po`
translates them, and its compiled `autonome.mo` is committed beside it
(`python -m appliance.ui.po` compiles it again; a test checks both agree).
The ids are found with `xgettext --language=Python --keyword=_ --keyword=N_
--keyword=ngettext:1,2 appliance/ui/*.py`.
Texts use `str.format` fields: `_("{n} sales waiting").format(n=3)`.

Euro amounts follow the language: `12,50 €` in French, `€12.50` in English.
No Kivy here.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path

from appliance.domain import parse_cents

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "Language",
    "N_",
    "_",
    "current",
    "money",
    "ngettext",
    "parse_amount",
    "use",
]

DOMAIN = "autonome"
LOCALE_DIR = Path(__file__).with_name("locale")
#: the languages of the screens, the first is the default
LANGUAGES = ("fr", "en")


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
