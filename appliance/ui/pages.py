"""Which product page the sale screen shows: the one it showed, or the page of an
article just created at this till, once the catalogue has it on one (no Kivy here)."""

from __future__ import annotations

from typing import Any

from .state import UiState

__all__ = ["placed_page"]


def placed_page(state: UiState, pages: list[dict[str, Any]], shown: int) -> tuple[int, str | None]:
    """The page to show among `pages` and the article to bring in sight on it: the new
    article's page (then forgotten), else `shown` and None."""
    wanted = state.show_article
    if wanted:
        for i, page in enumerate(pages):
            if any(str(b.get("article_id")) == wanted for b in page.get("buttons") or []):
                state.show_article = None
                return i, wanted
    return min(shown, max(len(pages) - 1, 0)), None
