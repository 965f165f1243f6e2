"""Product buttons on the real sale screen: every name wraps between words, its font
shrunk first, on every page ("Croque-monsieur salade" never cut inside a word)."""

from __future__ import annotations

import pytest

from tests.ui.driver import TillScreen, enrolled_till

pytestmark = pytest.mark.timeout(110)


def sp(n: float) -> float:
    from kivy.metrics import sp

    return float(sp(n))


def drawn_lines(button) -> list[str]:
    """The lines Kivy drew on the button, as it laid them out."""
    button.texture_update()
    return [
        "".join(w.text for w in line.words).strip()
        for line in button._label._cached_lines
        if line.words
    ]


def test_no_product_name_is_cut_inside_a_word(server, tmp_path):
    till = enrolled_till(server, tmp_path / "till")
    ui = TillScreen(till, lang="fr")
    try:
        ui.until(lambda: ui.ctl.state.mode == "ONLINE", 20, "online")
        ui.login("c1", "1234")
        seen, shrunk = 0, set()
        for n, page in enumerate(till.catalogue.screens):
            ui.touch(f"tab:{n}")
            ui.frames(2)
            for b in page["buttons"]:
                w = ui.find(f"product:{b['article_id']}")
                name, price = w.label.split("\n")
                lines = drawn_lines(w)
                assert lines[-1] == price, (name, lines)
                words = " ".join(lines[:-1]).split()
                assert words == name.split(), (name, lines)  # whole words, in order
                assert w.font_size <= sp(16)
                if w.font_size < sp(16):
                    shrunk.add(name)
                seen += 1
        assert seen >= 20
        assert "Croque-monsieur salade" in shrunk  # smaller rather than cut
        aid = next(a for a, r in till.catalogue.articles.items()
                   if r["name"] == "Croque-monsieur salade")  # fmt: skip
        ui.touch(f"tab:{page_of(till, aid)}")
        ui.frames(2)
        croque = ui.find(f"product:{aid}")
        assert "Croque-monsieur" in drawn_lines(croque)[0]
    finally:
        ui.close()


def page_of(till, article_id: str) -> int:
    return next(
        i for i, p in enumerate(till.catalogue.screens)
        if any(b["article_id"] == article_id for b in p["buttons"])
    )  # fmt: skip
