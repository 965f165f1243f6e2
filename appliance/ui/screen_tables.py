"""The restaurant's screens: the floor plan (rooms, tables where they stand, who holds
each) and the table (its bill, the dishes with their course and modifiers, the rounds
sent to the kitchen, the split and the guests' payments).

Both speak to the till core's table commands (`till.table(action, table_id, ...)`,
till/tables.py) on the controller's worker, and draw what its events say
(`floor_plan`, `table`, `round_sent`, ...), heard as a listener of the controller.
"""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView

from .controller import TillController
from .i18n import _, money, ngettext
from .texts_tables import table_news
from .theme import COLOURS, SIZES, rgba
from .widgets import TextLabel, TouchButton, fill

__all__ = ["FloorScreen", "TableScreen", "has_floor_plan"]

#: a table's colour on the floor plan, by its state
STATE_COLOURS = {
    "free": rgba("#5c7080"),
    "here": rgba("#2e9d57"),
    "elsewhere": rgba("#3b6ea5"),
    "unreachable": rgba("#6b3b3b"),
}
#: table events after which the table screen is drawn again
TABLE_EVENTS = {
    "table", "table_opened", "round_sent", "table_paid", "table_moved", "table_merged",
    "table_taken", "table_conflict",
}  # fmt: skip


def has_floor_plan(ctl: TillController) -> bool:
    cat = ctl.till.catalogue
    return bool((getattr(cat, "floor_plan", None) or {}).get("tables")) if cat else False


def _course(n: int) -> str:
    return {0: _("Direct"), 1: _("Starters"), 2: _("Mains"), 3: _("Desserts")}.get(n, str(n))


class _TableCalls:
    """The table commands, on the controller's worker."""

    ctl: TillController

    def call(self, action: str, table_id: str = "", **args: Any) -> None:
        till = self.ctl.till
        self.ctl.worker.submit(lambda: till.table(action, table_id, **args))


class FloorScreen(_TableCalls, Screen):
    """Each room's tables where they stand: free, held here, held by another till, or
    out of reach (autonomous). A free table opens with its covers; one held here shows
    its bill; one held elsewhere can be taken over."""

    def __init__(self, ctl: TillController, **kw: Any) -> None:
        super().__init__(name="tables", **kw)
        self.ctl = ctl
        self.room = ""
        self.covers = 2
        self.chosen = ""  # a table held elsewhere, touched once
        self.moving = ""  # the table whose bill is being moved or merged
        self.data: dict[str, Any] = {"rooms": [], "tables": []}
        root = BoxLayout(orientation="vertical", padding=dp(6), spacing=dp(6))
        top = BoxLayout(size_hint_y=None, height=dp(SIZES["tab"]), spacing=dp(4))
        self.rooms = BoxLayout(spacing=dp(4))
        back = TouchButton(_("Back to sale"), tag="tables:back", size_hint_x=0.25,
                           colour=list(COLOURS["function"]))  # fmt: skip
        back.bind(on_release=lambda _b: self._back())
        top.add_widget(self.rooms)
        top.add_widget(back)
        self.plan = FloatLayout()
        fill(self.plan, COLOURS["panel"])
        bottom = BoxLayout(size_hint_y=None, height=dp(56), spacing=dp(4))
        self.info = TextLabel(font_size=sp(SIZES["small"]), size_hint_x=0.4, color=COLOURS["text"])
        self.info.tag = "tables:info"
        bottom.add_widget(self.info)
        for n in (1, 2, 3, 4, 6, 8):
            b = TouchButton(str(n), tag=f"covers:{n}", size_hint_x=0.06)
            b.bind(on_release=lambda _b, c=n: self._covers(c))
            bottom.add_widget(b)
        self.take = TouchButton(_("Take over"), tag="tables:take", size_hint_x=0.2,
                                colour=list(COLOURS["warning"]))  # fmt: skip
        self.take.bind(on_release=lambda _b: self._take())
        bottom.add_widget(self.take)
        for w in (top, self.plan, bottom):
            root.add_widget(w)
        self.add_widget(root)
        ctl.listeners.append(self.heard)
        self._covers(2)

    def on_pre_enter(self, *_args: Any) -> None:
        self.call("floor")

    def _back(self) -> None:
        self.moving = ""
        if self.ctl.view is not None:
            self.ctl.view.show_screen("sale")

    def _covers(self, n: int) -> None:
        self.covers = n
        for child in self.walk(restrict=True):
            tag = getattr(child, "tag", "")
            if tag.startswith("covers:"):
                child.bold = tag == f"covers:{n}"
        self._info()

    def _info(self) -> None:
        unreachable = self.data.get("unreachable") or []
        parts = [ngettext("{n} cover", "{n} covers", self.covers).format(n=self.covers)]
        if self.moving:
            parts.append(_("Touch the table to move table {table} to").format(table=self.moving))
        if unreachable:
            parts.append(_("Out of reach: {tables}").format(tables=", ".join(unreachable)))
        self.info.text = " · ".join(parts)
        self.take.disabled = not self.chosen

    def close(self) -> None:
        if self.heard in self.ctl.listeners:
            self.ctl.listeners.remove(self.heard)

    def heard(self, ev: dict[str, Any]) -> None:
        name = ev.get("event")
        news = table_news(ev)
        if news is not None and self.ctl.view is not None:
            self.ctl.view.say(*news)
        if name == "floor_plan":
            self.data = ev
            self.draw()
        elif name in ("table_opened", "table_moved", "table_merged", "table_taken"):
            if name == "table_taken" or self._shown():
                self._show_table(str(ev["table"]["table_id"]))
        elif name in ("table_closed", "table_taken_over", "tables_synced") and self._shown():
            self.call("floor")

    def _shown(self) -> bool:
        return self.manager is not None and self.manager.current == self.name

    def draw(self) -> None:
        rooms = self.data.get("rooms") or []
        if rooms and self.room not in {r["room_id"] for r in rooms}:
            self.room = rooms[0]["room_id"]
        self.rooms.clear_widgets()
        for r in rooms:
            b = TouchButton(str(r.get("name")), tag=f"room:{r['room_id']}", font_size=sp(16))
            b.bold = r["room_id"] == self.room
            b.bind(on_release=lambda _b, rid=r["room_id"]: self._room(rid))
            self.rooms.add_widget(b)
        self.plan.clear_widgets()
        for t in self.data.get("tables") or []:
            if t["room_id"] != self.room:
                continue
            self.plan.add_widget(self._table_button(t))
        self._info()

    def _table_button(self, t: dict[str, Any]) -> TouchButton:
        state = str(t.get("state"))
        lines = [_("Table {name}").format(name=t.get("name"))]
        if state == "here":
            total = money(int(t["total"]))
            lines.append(_("{covers} cov. · {total}").format(covers=t["covers"], total=total))
            if t.get("unsent"):
                lines.append(_("{n} to send").format(n=t["unsent"]))
        elif state == "elsewhere":
            lines.append(_("till {n}").format(n=t.get("holder")))
        elif state == "unreachable":
            lines.append(_("out of reach"))
        else:
            lines.append(ngettext("{n} seat", "{n} seats", int(t["seats"])).format(n=t["seats"]))
        b = TouchButton(
            "\n".join(lines),
            tag=f"table:{t['table_id']}",
            font_size=sp(15),
            colour=list(STATE_COLOURS.get(state, STATE_COLOURS["free"])),
            size_hint=(t["w"] / 100, t["h"] / 100),
            pos_hint={"x": t["x"] / 100, "top": 1 - t["y"] / 100},
        )
        b.state_name = state
        if t["table_id"] == self.chosen:
            b.bold = True
        b.bind(on_release=lambda _b, tid=t["table_id"], s=state: self._touched(tid, s))
        return b

    def _room(self, room_id: str) -> None:
        self.room = room_id
        self.draw()

    def _touched(self, table_id: str, state: str) -> None:
        self.chosen = ""
        if self.moving and table_id != self.moving:
            moving, self.moving = self.moving, ""
            if state == "here":
                self.call("merge", table_id, other=moving)
            else:
                self.call("move", moving, to=table_id)
            return
        if state == "here":
            self._show_table(table_id)
        elif state == "free":
            self.call("open", table_id, covers=self.covers)
        elif state == "elsewhere":
            self.chosen = table_id
            self.draw()
        elif self.ctl.view is not None:
            self.ctl.view.say(
                _("Table {table} is held by a till this one cannot reach now.").format(
                    table=table_id
                ),
                "error",
            )

    def _take(self) -> None:
        if self.chosen:
            self.call("take", self.chosen)
            self.chosen = ""

    def _show_table(self, table_id: str) -> None:
        if self.manager is None:
            return
        screen = self.manager.get_screen("table")
        screen.table_id = table_id
        self.manager.current = "table"
        self.call("show", table_id)


class TableScreen(_TableCalls, Screen):
    """The bill of one table: its lines by course, what went to the kitchen; dishes
    added from the product pages with the course and modifiers chosen above them."""

    def __init__(self, ctl: TillController, **kw: Any) -> None:
        super().__init__(name="table", **kw)
        self.ctl = ctl
        self.table_id = ""
        self.tab: dict[str, Any] = {}
        self.course = 0
        self.mods: list[str] = []
        self.selected = ""
        self.guest = 1
        self.page = 0
        root = BoxLayout(padding=dp(6), spacing=dp(6))
        root.add_widget(self._bill_side())
        root.add_widget(self._order_side())
        self.add_widget(root)
        ctl.listeners.append(self.heard)

    # -- left: the bill ----------------------------------------------------------------------
    def _bill_side(self) -> BoxLayout:
        side = BoxLayout(orientation="vertical", spacing=dp(4), size_hint_x=0.42)
        self.title = TextLabel(font_size=sp(20), bold=True, size_hint_y=None, height=dp(36))
        self.title.tag = "tab:title"
        self.lines = GridLayout(cols=1, spacing=dp(2), size_hint_y=None)
        self.lines.bind(minimum_height=self.lines.setter("height"))
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(self.lines)
        fill(scroll, COLOURS["ticket"])
        self.total = TextLabel(font_size=sp(SIZES["total"]), bold=True, halign="right",
                               size_hint_y=None, height=dp(56))  # fmt: skip
        self.total.tag = "tab:total"
        keys = GridLayout(cols=3, spacing=dp(4), size_hint_y=None, height=dp(3 * 60 + 8))
        for tag, label, run in (
            ("tab:send", _("Send"), self._send),
            ("tab:send_all", _("Send all"), lambda: self.call("send", self.table_id)),
            ("tab:reprint", _("Reprint round"), self._reprint),
            ("tab:guest", _("For guest 1"), self._assign),
            ("tab:split", _("Split equally"), self._split),
            ("tab:move", _("Move / merge"), self._move),
            ("tab:pay_card", _("Pay by card"), lambda: self._pay("card")),
            ("tab:pay_cash", _("Pay cash"), lambda: self._pay("cash")),
            ("tab:floor", _("Floor plan"), self._floor),
        ):  # fmt: skip
            b = TouchButton(label, tag=tag, colour=list(COLOURS["function"]), font_size=sp(16))
            b.bind(on_release=lambda _b, r=run: r())
            keys.add_widget(b)
            if tag == "tab:guest":
                self.guest_button = b
            if tag.startswith("tab:pay"):
                b.colour = list(COLOURS["pay"])
        for w in (self.title, scroll, self.total, keys):
            side.add_widget(w)
        return side

    # -- right: what to add ------------------------------------------------------------------
    def _order_side(self) -> BoxLayout:
        side = BoxLayout(orientation="vertical", spacing=dp(4))
        courses = BoxLayout(size_hint_y=None, height=dp(50), spacing=dp(4))
        for n in (0, 1, 2, 3):
            b = TouchButton(_course(n), tag=f"course:{n}", font_size=sp(16))
            b.bind(on_release=lambda _b, c=n: self._course(c))
            courses.add_widget(b)
        self.modifiers = GridLayout(cols=5, spacing=dp(4), size_hint_y=None, height=dp(2 * 50 + 4))
        self.tabs = GridLayout(cols=5, size_hint_y=None, height=dp(2 * 46 + 4), spacing=dp(4))
        self.grid = GridLayout(cols=4, spacing=dp(4))
        for w in (courses, self.modifiers, self.tabs, self.grid):
            side.add_widget(w)
        return side

    def on_pre_enter(self, *_args: Any) -> None:
        self._modifier_buttons()
        self._pages()
        self._course(self.course)

    def _modifier_buttons(self) -> None:
        self.modifiers.clear_widgets()
        rows = (getattr(self.ctl.till.catalogue, "floor_plan", None) or {}).get("modifiers") or []
        for m in rows[:10]:
            price = f" +{money(int(m['price']))}" if m.get("price") else ""
            b = TouchButton(f"{m['name']}{price}", tag=f"mod:{m['modifier_id']}", font_size=sp(13))
            b.colour = list(COLOURS["warning"] if m["modifier_id"] in self.mods else COLOURS["key"])
            b.bind(on_release=lambda _b, mid=m["modifier_id"]: self._modifier(mid))
            self.modifiers.add_widget(b)

    def _modifier(self, mid: str) -> None:
        if mid in self.mods:
            self.mods.remove(mid)
        else:
            self.mods.append(mid)
        self._modifier_buttons()

    def _course(self, n: int) -> None:
        self.course = n
        for w in self.walk(restrict=True):
            tag = getattr(w, "tag", "")
            if tag.startswith("course:"):
                w.colour = list(COLOURS["warning"] if tag == f"course:{n}" else COLOURS["key"])

    def _pages(self) -> None:
        cat = self.ctl.till.catalogue
        pages = sorted((getattr(cat, "screens", None) or []) if cat else [],
                       key=lambda p: (p.get("position", 0), str(p.get("name"))))  # fmt: skip
        self.pages = pages
        self.tabs.clear_widgets()
        for i, page in enumerate(pages[:10]):
            b = TouchButton(str(page.get("name") or i + 1), tag=f"tabpage:{i}", font_size=sp(14),
                            colour=list(rgba(page.get("colour"))))  # fmt: skip
            b.bind(on_release=lambda _b, n=i: self._show_page(n))
            self.tabs.add_widget(b)
        self._show_page(min(self.page, max(len(pages) - 1, 0)))

    def _show_page(self, n: int) -> None:
        self.page = n
        self.grid.clear_widgets()
        if not self.pages:
            return
        cat = self.ctl.till.catalogue
        for button in sorted(self.pages[n].get("buttons") or [], key=lambda b: b["position"])[:24]:
            aid = str(button.get("article_id"))
            article = cat.by_id(aid) if cat is not None else None
            price = f"\n{money(int(article['price']))}" if article else ""
            b = TouchButton(f"{button.get('label') or aid}{price}", tag=f"dish:{aid}",
                            colour=list(rgba(button.get("colour"))), font_size=sp(14))  # fmt: skip
            b.bind(on_release=lambda _b, a=aid: self._order(a))
            self.grid.add_widget(b)

    # -- commands ------------------------------------------------------------------------------
    def _order(self, article_id: str) -> None:
        mods, self.mods = list(self.mods), []
        self.call("order", self.table_id, article_id=article_id, course=self.course,
                  modifiers=mods)  # fmt: skip
        self._modifier_buttons()

    def _send(self) -> None:
        """The course chosen (and the drinks); with "Direct" chosen, all not sent yet."""
        self.call("send", self.table_id, course=self.course or None)

    def _reprint(self) -> None:
        rounds = int(self.tab.get("rounds") or 0)
        if rounds:
            self.call("reprint", self.table_id, round=rounds)

    def _assign(self) -> None:
        """The chosen line for the guest shown on the button; the next guest after."""
        if self.selected:
            self.call("assign", self.table_id, line_id=self.selected, guest=self.guest)
            self.selected = ""
        self.guest = self.guest % max(int(self.tab.get("covers") or 1), 1) + 1
        self.guest_button.label = _("For guest {n}").format(n=self.guest)

    def _split(self) -> None:
        self.call("split", self.table_id, shares=int(self.tab.get("covers") or 1))

    def _pay(self, method: str) -> None:
        """The first guest's part (a split by item), the next share (an equal split),
        or all that is left."""
        guests = self.tab.get("guests") or []
        if guests and not self.tab.get("shares"):
            self.call("pay", self.table_id, method=method, guest=guests[0])
        else:
            self.call("pay", self.table_id, method=method)

    def _move(self) -> None:
        floor = self.manager.get_screen("tables") if self.manager else None
        if floor is not None:
            floor.moving = self.table_id
            self._floor()

    def _floor(self) -> None:
        if self.manager is not None:
            self.manager.current = "tables"

    # -- drawing ------------------------------------------------------------------------------
    def close(self) -> None:
        if self.heard in self.ctl.listeners:
            self.ctl.listeners.remove(self.heard)

    def heard(self, ev: dict[str, Any]) -> None:
        name = ev.get("event")
        tab = ev.get("table")
        if name in TABLE_EVENTS and isinstance(tab, dict):
            if name in ("table_moved", "table_merged"):
                self.table_id = str(tab["table_id"])
            if tab.get("table_id") == self.table_id:
                self.tab = tab
                self.draw()
        elif name == "table_closed" and isinstance(tab, dict):
            if tab.get("table_id") != self.table_id or self.manager is None:
                return
            if self.manager.current == self.name and self.ctl.view is not None:
                said = _("Table {table} is paid and closed.").format(table=self.table_id)
                self.ctl.view.say(said, "info")
            self.tab = {}
            self._floor()

    def draw(self) -> None:
        tab = self.tab
        self.title.text = _("Table {table} · {covers} covers").format(
            table=self.table_id, covers=tab.get("covers", "")
        )
        self.lines.clear_widgets()
        for ln in tab.get("lines") or []:
            self.lines.add_widget(self._line(ln))
        due = int(tab.get("due") or 0) - int(tab.get("bill_paid") or 0)
        total = int(tab.get("total") or 0)
        self.total.text = (
            money(total) if due == total else _("{due} due of {total}").format(
                due=money(due), total=money(total))
        )  # fmt: skip

    def _line(self, ln: dict[str, Any]) -> TouchButton:
        extras = sum(int(m.get("price") or 0) for m in ln.get("modifiers") or [])
        gross = (int(ln["unit_price"]) + extras) * int(ln["quantity"])
        said = [m["name"] for m in ln.get("modifiers") or []]
        if ln.get("note"):
            said.append(str(ln["note"]))
        state = (
            _("paid") if ln.get("paid_by")
            else _("round {n}").format(n=ln["sent_round"]) if ln.get("sent_round")
            else _("not sent")
        )  # fmt: skip
        guest = _(" · guest {n}").format(n=ln["guest"]) if ln.get("guest") else ""
        text = f"{ln['quantity']} × {ln['name']}   {money(gross)}\n"
        text += f"{_course(int(ln.get('course') or 0))} · {state}{guest}"
        if said:
            text += f"\n  {', '.join(said)}"
        colour = COLOURS["ticket_selected"] if ln["line_id"] == self.selected else COLOURS["ticket"]
        b = TouchButton(
            text,
            tag=f"tline:{ln['line_id']}",
            font_size=sp(14),
            size_hint_y=None,
            height=dp(74 if said else 56),
            colour=list(colour),
            halign="left",
        )
        b.bind(on_release=lambda _b, lid=ln["line_id"]: self._select(lid))
        return b

    def _select(self, line_id: str) -> None:
        self.selected = "" if self.selected == line_id else line_id
        self.draw()
