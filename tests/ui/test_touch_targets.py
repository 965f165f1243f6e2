"""Every button a finger presses is at least 48 px a side (12 mm at 100 dpi) and lies
whole inside the window, on each screen and dialog, at 1024x768 and 1280x800."""

from __future__ import annotations

import pytest

from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)

MIN_PX = 48


def targets(ui: TillScreen) -> list:
    from kivy.uix.textinput import TextInput

    from appliance.ui.widgets import TouchButton

    found = []
    for top in ui.window.children:
        for w in top.walk(restrict=True):
            if isinstance(w, TouchButton | TextInput) and w.opacity > 0:
                found.append(w)
    return found


def check(ui: TillScreen, where: str) -> int:
    ui.frames(4)
    width, height = ui.window.size
    bad = []
    for w in targets(ui):
        x, y = w.to_window(w.x, w.y)
        name = getattr(w, "tag", "") or type(w).__name__
        if w.width < MIN_PX or w.height < MIN_PX:
            bad.append(f"{name}: {w.width:.0f}x{w.height:.0f}")
        elif x < -0.5 or y < -0.5 or x + w.width > width + 0.5 or y + w.height > height + 0.5:
            bad.append(f"{name}: outside the window at ({x:.0f}, {y:.0f})")
        if getattr(w, "font_size", 99) < 15:
            bad.append(f"{name}: text {w.font_size} px")
    assert bad == [], f"{where} at {width}x{height}: {bad}"
    return len(targets(ui))


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)], ids=["1024x768", "1280x800"])
def test_touch_targets_are_big_enough_everywhere(server, tmp_path, size):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, size=size, lang="fr")  # the longer texts
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE" and ui.has("cashier:m1"), 20)
        assert check(ui, "login") >= 14
        ui.login("m1", "9876")
        for aid in list(till.catalogue.articles)[:3]:
            ui.ctl.add(aid)
        ui.idle()
        assert check(ui, "sale") >= 40
        ui.touch("sale:pay")
        assert check(ui, "payment") >= 25
        view = ui.root
        ui.touch("pay:back")
        for open_dialog, name in (
            (view.article_dialog, "article"),
            (view.kitchen_dialog, "kitchen"),
            (lambda: ui.touch("sale:sale_discount"), "discount"),
            (lambda: view.x_report({"day": "2026-11-28", "count": 0, "total": 0}), "xreport"),
            (lambda: view.upload({"state": "finished", "sent": 3, "total": 3}), "upload"),
            (lambda: view.ask({"id": "go_autonomous", "pending": 12}), "go_autonomous"),
            (lambda: view.ask({"id": "send_sales", "pending": 12}), "send_sales"),
            (lambda: view.info("Title", "text"), "info"),
        ):
            open_dialog()
            ui.frames(3)
            assert len(ui.window.children) == 2, name
            check(ui, name)
            ui.window.children[0].dismiss()
            ui.frames(2)
    finally:
        ui.close()
