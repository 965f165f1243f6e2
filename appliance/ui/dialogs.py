"""The till's dialogs: the two questions, the upload, a new article, a discount,
the X report, a notice (a kitchen order: dialog_kitchen.py). Each is a ModalView the cashier closes
with a button (never by touching beside it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.textinput import TextInput

from appliance.domain import FRENCH_RATES

from .i18n import N_, _, label_value, long_date, money, ngettext, parse_amount, percent
from .keyboard import attach
from .texts import QuestionText
from .texts_cash import cash_lines
from .theme import COLOURS, SIZES, TOUCH
from .widgets import Bar, Keypad, TextLabel, TouchButton, fill

__all__ = [
    "ArticleDialog",
    "DiscountDialog",
    "InfoDialog",
    "QuestionDialog",
    "UploadDialog",
    "XReportDialog",
]

METHOD_NAMES = {
    "cash": N_("Cash"),
    "card": N_("Card"),
    "cheque": N_("Cheque"),
    "meal_voucher": N_("Meal voucher"),
}


def method_name(method: str) -> str:
    return _(METHOD_NAMES.get(method, method))


class Dialog(ModalView):
    """A panel in the middle of the screen, a title on top.

    While the on-screen keyboard is up (keyboard.py) the panel stands above it
    (`make_room`), the widgets of `fold` folded away to leave room for its
    fields and buttons."""

    def __init__(self, title: str, *, size_hint: tuple[float, float] = (0.7, 0.75), **kw: Any):
        super().__init__(auto_dismiss=False, size_hint=size_hint, **kw)
        #: the panel's bottom while the keyboard is up (0: centred as usual)
        self.room_bottom = 0.0
        #: what the panel folds away while the keyboard is up (not needed to type)
        self.fold: list[Any] = []
        self._unfolded: dict[int, tuple[Any, ...]] = {}
        self._natural = self.size_hint_y
        self.box = BoxLayout(orientation="vertical", padding=dp(16), spacing=dp(10))
        fill(self.box, COLOURS["panel"])
        self.title = TextLabel(
            text=title,
            font_size=sp(24),
            bold=True,
            size_hint_y=None,
            height=dp(48),
            color=COLOURS["text"],
        )
        self.box.add_widget(self.title)
        self.add_widget(self.box)

    # a till's dialog comes and goes at once: no fading while the cashier waits
    def open(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("animation", False)
        super().open(*args, **kw)

    def dismiss(self, *args: Any, **kw: Any) -> None:
        from .keyboard import hide_for

        hide_for(self)
        kw.setdefault("animation", False)
        super().dismiss(*args, **kw)

    def make_room(self, bottom: float) -> None:
        """Stand above `bottom` (the keyboard's top), or centred again for 0."""
        from kivy.core.window import Window

        self.room_bottom = bottom
        for w in self.fold:
            if bottom and id(w) not in self._unfolded:
                self._unfolded[id(w)] = (w.size_hint_y, w.height, w.opacity, w.disabled)
                w.size_hint_y, w.height, w.opacity, w.disabled = None, 0, 0, True
            elif not bottom and id(w) in self._unfolded:
                w.size_hint_y, w.height, w.opacity, w.disabled = self._unfolded.pop(id(w))
        if bottom:
            self.size_hint_y = None
            self.height = Window.height - bottom - dp(8)
        else:
            self.size_hint_y = self._natural
        self._align_center()

    def _align_center(self, *args: Any) -> None:
        if not self.room_bottom or self._window is None:
            super()._align_center(*args)
            return
        pos = (self._window.center[0] - self.width / 2, self.room_bottom + dp(4))
        if tuple(self.pos) != pos:
            self.pos = pos


class QuestionDialog(Dialog):
    """A question of the till: each answer a big button, what it does written under it."""

    def __init__(self, text: QuestionText, on_answer: Callable[[str, str], Any]) -> None:
        super().__init__(text.title, size_hint=(0.8, 0.8))
        self.qid = text.id
        self.tag = f"question:{text.id}"
        ask = TextLabel(text=text.question, font_size=sp(30), bold=True, color=COLOURS["text"])
        ask.halign = "center"
        self.box.add_widget(ask)
        row = BoxLayout(spacing=dp(16))
        for choice in text.choices:
            col = BoxLayout(orientation="vertical", spacing=dp(8))
            b = TouchButton(
                choice.label,
                tag=f"answer:{choice.answer}",
                font_size=sp(24),
                size_hint_y=None,
                height=dp(TOUCH * 1.6),
                colour=list(COLOURS["pay"] if choice.answer in ("yes", "send") else COLOURS["key"]),
            )
            b.bind(on_release=lambda _b, a=choice.answer: on_answer(self.qid, a))
            col.add_widget(b)
            col.add_widget(TextLabel(text=choice.consequence, valign="top", color=COLOURS["text"]))
            row.add_widget(col)
        self.box.add_widget(row)


class UploadDialog(Dialog):
    """The sales going to the server: a bar, a count, and how it ended."""

    def __init__(self) -> None:
        super().__init__(_("Sending the sales to the store server"), size_hint=(0.7, 0.5))
        self.tag = "upload"
        self.bar = Bar(max=1, value=0, size_hint_y=None, height=dp(36))
        self.count = TextLabel(font_size=sp(26), color=COLOURS["text"], halign="center")
        self.count.tag = "upload:count"
        self.end = TextLabel(font_size=sp(20), color=COLOURS["text"], halign="center")
        self.end.tag = "upload:end"
        self.ok = TouchButton(_("OK"), tag="upload:ok", size_hint_y=None, height=dp(TOUCH * 1.3))
        self.ok.disabled = True
        self.ok.reason = _("Sending…")
        self.ok.bind(on_release=lambda *_: self.dismiss())
        for w in (self.bar, self.count, self.end, self.ok):
            self.box.add_widget(w)
        self.state: dict[str, Any] = {}

    def show(self, state: dict[str, Any]) -> None:
        self.state = dict(state)
        total = max(int(state.get("total") or 0), 0)
        sent = int(state.get("sent") or 0)
        self.bar.max = max(total, 1)
        self.bar.value = min(sent, self.bar.max) if total else (1 if state.get("state") else 0)
        self.count.text = _("{sent} of {total} sales sent").format(sent=sent, total=total)
        kind = state.get("state")
        if kind == "finished":
            self.end.text = ngettext(
                "Done: {n} sale sent. The till works online.",
                "Done: {n} sales sent. The till works online.",
                sent,
            ).format(n=sent)
            self.end.color = COLOURS["ok"]
            self.bar.colour(COLOURS["ok"])
            self.ok.disabled = False
            self.ok.colour = list(COLOURS["pay"])
            self.bar.value = self.bar.max
        elif kind == "interrupted":
            left = int(state.get("pending") or 0)
            self.end.text = _(
                "Stopped: the server went away. {sent} sent, {left} stay on this till; "
                "nothing is lost, they go at the next try."
            ).format(sent=sent, left=left)
            self.end.color = COLOURS["warning"]
            self.bar.colour(COLOURS["warning"])
            self.ok.disabled = False
        else:
            self.end.text = _("Sending…")
            self.end.color = COLOURS["muted"]
            self.ok.disabled = True


class InfoDialog(Dialog):
    def __init__(self, title: str, text: str) -> None:
        super().__init__(title, size_hint=(0.7, 0.6))
        self.tag = "info"
        self.box.add_widget(TextLabel(text=text, valign="top", color=COLOURS["text"]))
        ok = TouchButton(_("OK"), tag="info:ok", size_hint_y=None, height=dp(TOUCH * 1.3))
        ok.bind(on_release=lambda *_: self.dismiss())
        self.box.add_widget(ok)


def _field(hint: str, tag: str, **kw: Any) -> TextInput:
    t = TextInput(
        hint_text=hint,
        multiline=False,
        font_size=sp(SIZES["text"] + 2),
        size_hint_y=None,
        height=dp(TOUCH),
        write_tab=False,
        **kw,
    )
    t.tag = tag
    return attach(t)


class Choices(GridLayout):
    """A row of toggle buttons, one chosen."""

    def __init__(
        self,
        options: list[tuple[str, str]],
        tag: str,
        on_choose: Callable[[str], Any] | None = None,
        **kw: Any,
    ) -> None:
        kw.setdefault("rows", 1)
        kw.setdefault("spacing", dp(6))
        kw.setdefault("size_hint_y", None)
        kw.setdefault("height", dp(TOUCH))
        super().__init__(**kw)
        self.value = options[0][0] if options else ""
        self.buttons: dict[str, TouchButton] = {}
        for value, label in options:
            b = TouchButton(label, tag=f"{tag}:{value}")
            b.bind(on_release=lambda _b, v=value: self.choose(v))
            self.buttons[value] = b
            self.add_widget(b)
        self.choose(self.value)
        self.on_choose = on_choose

    def choose(self, value: str) -> None:
        self.value = value
        for v, b in self.buttons.items():
            b.colour = list(COLOURS["function"] if v == value else COLOURS["key"])
        if getattr(self, "on_choose", None) is not None:
            self.on_choose(value)


def category_rates(catalogue: Any) -> dict[str, int]:
    """Each category's VAT rate (basis points): its own `vat_bp` when the snapshot gives
    one, else the rate most of its articles carry."""
    counts: dict[str, Counter[int]] = {}
    for article in (getattr(catalogue, "articles", None) or {}).values():
        bp = article.get("vat_bp")
        if isinstance(bp, int):
            counts.setdefault(str(article.get("category") or ""), Counter())[bp] += 1
    rates = {cid: c.most_common(1)[0][0] for cid, c in counts.items()}
    for c in getattr(catalogue, "categories", None) or []:
        if isinstance(c.get("vat_bp"), int):
            rates[str(c.get("id"))] = c["vat_bp"]
    return rates


class ArticleDialog(Dialog):
    """A new article, created on the store server (managers, online only)."""

    def __init__(self, catalogue: Any, on_create: Callable[[dict[str, Any]], Any]) -> None:
        super().__init__(_("New article"), size_hint=(0.8, 0.9))
        self.tag = "article"
        self.on_create = on_create
        self.name = _field(_("Name"), "article:name")
        self.price = _field(_("Price, e.g. 3,50"), "article:price", input_filter=None)
        self.barcode = _field(_("Barcode (optional)"), "article:barcode", input_filter="int")
        for w in (self.name, self.price, self.barcode):
            self.box.add_widget(w)
        rates = [(str(bp), percent(bp)) for bp in FRENCH_RATES]
        vat_label = TextLabel(text=_("VAT"), size_hint_y=None, height=dp(28))
        self.box.add_widget(vat_label)
        self.vat = Choices(rates, "article:vat")
        self.vat.choose("550")
        self.box.add_widget(self.vat)
        # every category of the store, on two rows past five; choosing one takes its rate
        cats = [
            (str(c.get("id")), str(c.get("name") or c.get("id")))
            for c in (getattr(catalogue, "categories", None) or [])
            if c.get("id")
        ] or [("divers", _("Other"))]
        self.rates = category_rates(catalogue)
        cat_label = TextLabel(text=_("Category"), size_hint_y=None, height=dp(28))
        self.box.add_widget(cat_label)
        rows = 1 if len(cats) <= 5 else 2
        self.category = Choices(
            cats,
            "article:category",
            on_choose=self._category,
            rows=rows,
            height=dp(TOUCH * rows + 6 * (rows - 1)),
        )
        self.box.add_widget(self.category)
        self.fold = [vat_label, self.vat, cat_label, self.category]
        self._category(self.category.value)
        self.result = TextLabel(color=COLOURS["text"], size_hint_y=None, height=dp(56))
        self.result.tag = "article:result"
        self.box.add_widget(self.result)
        row = BoxLayout(spacing=dp(10), size_hint_y=None, height=dp(TOUCH * 1.3))
        cancel = TouchButton(_("Close"), tag="article:close")
        cancel.bind(on_release=lambda *_: self.dismiss())
        self.create = TouchButton(_("Create"), tag="article:create", colour=list(COLOURS["pay"]))
        self.create.bind(on_release=lambda *_: self.submit())
        row.add_widget(cancel)
        row.add_widget(self.create)
        self.box.add_widget(row)

    def _category(self, category: str) -> None:
        """The VAT rate of the category's articles (a rate it names itself first)."""
        rate = self.rates.get(category)
        if rate is not None and str(rate) in self.vat.buttons:
            self.vat.choose(str(rate))

    def submit(self) -> None:
        name = self.name.text.strip()
        try:
            price = parse_amount(self.price.text)
        except ValueError:
            self.show(False, _("Type a price, e.g. 3,50"))
            return
        if not name:
            self.show(False, _("Type a name."))
            return
        article = {
            "name": name,
            "price": price,
            "vat_bp": int(self.vat.value),
            "category": self.category.value,
            "barcodes": [self.barcode.text.strip()] if self.barcode.text.strip() else [],
        }
        self.show(None, _("Creating on the store server…"))
        self.on_create(article)

    def show(self, ok: bool | None, text: str) -> None:
        self.result.text = text
        self.result.color = {True: COLOURS["ok"], False: COLOURS["bad"]}.get(ok, COLOURS["muted"])


class DiscountDialog(Dialog):
    """A discount in euros or per cent, on the chosen line or the whole sale."""

    def __init__(self, title: str, on_apply: Callable[[int | None, float | None], Any]) -> None:
        super().__init__(title, size_hint=(0.5, 0.85))
        self.tag = "discount"
        self.kind = Choices([("amount", "€"), ("percent", "%")], "discount:kind")
        self.box.add_widget(self.kind)
        self.error = TextLabel(color=COLOURS["bad"], size_hint_y=None, height=dp(30))
        self.keypad = Keypad(tag="discount:key")
        self.box.add_widget(self.keypad)
        self.box.add_widget(self.error)
        row = BoxLayout(spacing=dp(10), size_hint_y=None, height=dp(TOUCH * 1.3))
        cancel = TouchButton(_("Close"), tag="discount:close")
        cancel.bind(on_release=lambda *_: self.dismiss())
        ok = TouchButton(_("Apply"), tag="discount:apply", colour=list(COLOURS["pay"]))
        row.add_widget(cancel)
        row.add_widget(ok)
        self.box.add_widget(row)

        def apply(*_args: Any) -> None:
            typed = self.keypad.entry
            try:
                if self.kind.value == "percent":
                    on_apply(None, float(typed.replace(",", ".")))
                else:
                    on_apply(parse_amount(typed), None)
            except ValueError:
                self.error.text = _("Type an amount first.")
                return
            self.dismiss()

        ok.bind(on_release=apply)


class XReportDialog(Dialog):
    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__(_("X report of this till"), size_hint=(0.6, 0.85))
        self.tag = "xreport"
        lines = [
            _("Day: {day}").format(day=long_date(str(report.get("day")))),
            _("Sales: {n}").format(n=report.get("count", 0)),
            _("Total: {amount}").format(amount=money(int(report.get("total") or 0))),
            _("Of which in autonomous mode: {n}").format(n=report.get("autonomous", 0)),
            _("Waiting to be sent: {n}").format(n=report.get("pending", 0)),
        ]
        cancelled = report.get("cancelled") or {}
        if cancelled.get("count"):
            lines.append(
                _("Cancelled sales: {n}, {amount}").format(
                    n=cancelled["count"], amount=money(int(cancelled.get("total") or 0))
                )
            )
        lines.append("")
        for method, amount in (report.get("by_method") or {}).items():
            lines.append(label_value(method_name(method), money(int(amount))))
        excess = int(report.get("voucher_excess") or 0)
        if excess:
            lines.append(
                _("Meal voucher above the total (no change): {amount}").format(amount=money(excess))
            )
        if report.get("refunds"):
            lines.append(
                _("Refunds: {n}, {amount}").format(
                    n=report["refunds"], amount=money(int(report.get("refunded") or 0))
                )
            )
            for method, amount in (report.get("refunded_by_method") or {}).items():
                lines.append(label_value("  " + method_name(method), money(-int(amount))))
            net = money(int(report.get("net_total") or 0))
            lines.append(_("Net of refunds: {amount}").format(amount=net))
        lines.append("")
        lines += [*cash_lines(report), ""]
        for v in report.get("by_vat") or []:
            lines.append(
                _("VAT {rate}: {gross} incl. {vat} VAT").format(
                    rate=percent(int(v["vat_bp"])),
                    gross=money(int(v["gross"])),
                    vat=money(int(v["vat"])),
                )
            )
        body = Label(
            text="\n".join(lines),
            font_size=sp(SIZES["text"]),
            halign="left",
            valign="top",
            color=COLOURS["text"],
        )
        body.tag = "xreport:body"
        body.bind(size=lambda w, s: setattr(w, "text_size", s))
        self.box.add_widget(body)
        ok = TouchButton(_("Close"), tag="xreport:close", size_hint_y=None, height=dp(TOUCH * 1.3))
        ok.bind(on_release=lambda *_: self.dismiss())
        self.box.add_widget(ok)
