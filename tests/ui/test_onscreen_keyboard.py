"""The on-screen keyboard by touch on the real screens: it follows the till's
language (French AZERTY with its accents, Belgian AZERTY, English QWERTY), types
what its keys say into the field, and never covers the field nor the dialog's
button (kitchen note, new article)."""

from __future__ import annotations

import pytest

from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

COFFEE = "A112"  # Café crème, on the first page (favourites)
CREME_BRULEE = ["shift", "key:c", "key:r", "key:è", "key:m", "key:e", "space",
                "key:b", "key:r", "key:û", "key:l", "key:é", "key:e"]  # fmt: skip


def _rect(w) -> tuple[float, float, float, float]:
    x, y = w.to_window(w.x, w.y)
    return x, y, x + w.width, y + w.height


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _in_sight(ui: TillScreen, *tags: str) -> None:
    """Each of `tags` whole inside the window and clear of the keyboard."""
    width, height = ui.window.size
    keyboard = _rect(ui.find("osk"))
    for tag in tags:
        r = _rect(ui.find(tag))
        assert not _overlap(r, keyboard), f"{tag} {r} under the keyboard {keyboard}"
        assert r[0] >= -0.5 and r[1] >= -0.5 and r[2] <= width + 0.5 and r[3] <= height + 0.5, (
            f"{tag} {r} outside the window"
        )


def _keys(ui: TillScreen, keys: list[str]) -> None:
    for k in keys:
        ui.touch(f"osk:{k}")


def _online(ui: TillScreen, cashier: str = "c1", pin: str = "1234") -> None:
    ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
    ui.login(cashier, pin)


def test_the_kitchen_note_typed_in_french_stays_in_sight(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        _online(ui)
        ui.touch("tab:0")
        ui.touch(f"product:{COFFEE}")
        ui.idle()
        ui.touch("fn:kitchen")
        assert not ui.has("osk")
        ui.touch("kitchen:note")
        ui.until(lambda: ui.has("osk"), 5, "the keyboard")
        assert ui.find("kitchen:note").focus
        # French AZERTY: a z e r t y on the first row of letters, the accents there
        for ch in "azertyéèçàêâôùûîëï":
            assert ui.has(f"osk:key:{ch}"), ch
        assert ui.text("osk:space") == "Espace"
        _in_sight(ui, "kitchen:note", "kitchen:send", "kitchen:name")
        _keys(ui, CREME_BRULEE)
        assert ui.find("kitchen:note").text == "Crème brûlée"
        assert ui.find("kitchen:note").focus
        _keys(ui, ["backspace", "key:e"])
        assert ui.find("kitchen:note").text == "Crème brûlée"
        # another field of the dialog: the keyboard stays, both still in sight
        ui.touch("kitchen:name")
        ui.frames(2)
        assert ui.has("osk")
        _in_sight(ui, "kitchen:name", "kitchen:send")
        _keys(ui, ["shift", "key:d", "key:u", "key:p", "key:o", "key:n", "key:t"])
        assert ui.find("kitchen:name").text == "Dupont"
        ui.touch("osk:done")
        ui.frames(2)
        assert not ui.has("osk")
        assert ui.find("kitchen:key:1").opacity == 1  # the keypad is back
        ui.touch("kitchen:send")
        ui.event("kitchen_sent", timeout=20)
    finally:
        ui.close()


def test_the_new_article_form_keeps_its_fields_and_button_in_sight(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr", size=(1280, 800))
    try:
        _online(ui, "m1", "9876")
        ui.touch("fn:article")
        ui.touch("article:name")
        ui.until(lambda: ui.has("osk"), 5, "the keyboard")
        _in_sight(ui, "article:name", "article:price", "article:create")
        _keys(ui, CREME_BRULEE)
        ui.touch("article:price")
        ui.frames(2)
        _in_sight(ui, "article:price", "article:create")
        _keys(ui, ["key:4", "key:,", "key:2", "key:0"])
        assert ui.find("article:name").text == "Crème brûlée"
        assert ui.find("article:price").text == "4,20"
        ui.touch("osk:done")
        ui.frames(2)
        assert not ui.has("osk")
        ui.touch("article:create")
        created = ui.event("article_created", timeout=20)
        assert created["article"]["name"] == "Crème brûlée" and created["article"]["price"] == 420
    finally:
        ui.close()


def test_english_is_qwerty_and_a_belgian_till_is_belgian_azerty(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="en")
    try:
        _online(ui)
        ui.touch("tab:0")
        ui.touch(f"product:{COFFEE}")
        ui.idle()
        ui.touch("fn:kitchen")
        ui.touch("kitchen:note")
        ui.until(lambda: ui.has("osk"), 5, "the keyboard")
        assert ui.find("osk").layout == "en" and not ui.has("osk:key:é")
        q, w, a = (_rect(ui.find(f"osk:key:{c}")) for c in "qwa")
        assert q[0] < w[0] and q[1] > a[1]  # q then w on the top row, a under q
        _keys(ui, ["shift", "key:s", "key:o", "key:u", "key:p"])
        assert ui.find("kitchen:note").text == "Soup"
        ui.touch("kitchen:close")
        ui.frames(2)
        assert not ui.has("osk")
    finally:
        ui.close()
    belgian = enrolled_till(server, tmp_path / "till-be", keyboard="be")
    ui = TillScreen(belgian, lang="fr")
    try:
        _online(ui)
        ui.touch("tab:0")
        ui.touch(f"product:{COFFEE}")
        ui.idle()
        ui.touch("fn:kitchen")
        ui.touch("kitchen:note")
        ui.until(lambda: ui.has("osk"), 5, "the keyboard")
        assert ui.find("osk").layout == "be" and ui.has("osk:key:µ") and ui.has("osk:key:é")
        a, z = (_rect(ui.find(f"osk:key:{c}")) for c in "az")
        assert a[0] < z[0] and abs(a[1] - z[1]) < 1
    finally:
        ui.close()
