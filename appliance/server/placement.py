"""Where a new article goes on the tills' pages: its category's page, else "Nouveaux".

An article created at a till must be on a page at once, or the cashier who made
it cannot sell it but by its barcode. Its page is, in this order:

- the page named as its category (the category's name or id, case and accents
  as written: "Pains" for `pains`);
- the page that holds the most buttons of that category's articles;
- the page `NEW_PAGE` ("Nouveaux"), made at the end of the pages when missing.

The button goes after the page's last one, in the colour of the category's other
buttons (or the page's), its label the article's name. Called inside the write
transaction that creates the article, so the button's delta goes with it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, func, select

from .storage import articles, categories, screen_buttons, screens

__all__ = ["LABEL_MAX", "NEW_PAGE", "place_article"]

#: the page of the articles that have no page of their own
NEW_PAGE = "Nouveaux"
#: a button's label, at most (the column holds 120)
LABEL_MAX = 40


def _category_page(conn: Connection, category: str) -> int | None:
    names = {category.casefold()}
    name = conn.execute(select(categories.c.name).where(categories.c.id == category)).scalar()
    if name:
        names.add(str(name).casefold())
    for row in conn.execute(select(screens.c.id, screens.c.name).order_by(screens.c.position)):
        if str(row.name).casefold() in names:
            return int(row.id)
    held = Counter(
        int(sid)
        for sid in conn.execute(
            select(screen_buttons.c.screen_id)
            .join(articles, articles.c.id == screen_buttons.c.article_id)
            .where(articles.c.category == category)
        ).scalars()
    )
    return held.most_common(1)[0][0] if held else None


def _new_page(conn: Connection) -> tuple[int, dict[str, Any] | None]:
    """The page "Nouveaux": (its id, its `page` operation when it was made now)."""
    found = conn.execute(select(screens.c.id).where(screens.c.name == NEW_PAGE)).scalar()
    if found is not None:
        return int(found), None
    last = conn.execute(select(func.max(screens.c.position))).scalar()
    row = {"name": NEW_PAGE, "position": (int(last) + 1) if last is not None else 0}
    row["colour"] = "#f2c14e"
    done = conn.execute(screens.insert().values(**row))
    page = int(done.inserted_primary_key[0])
    return page, {"op": "page", "screen_id": page, **row}


def place_article(
    conn: Connection, article_id: str, name: str, category: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Put a button of the article on its page: the button (screen_id, position, label,
    colour), and the `page` delta operation of the page "Nouveaux" if it was made now."""
    made = None
    page = _category_page(conn, category) if category else None
    if page is None:
        page, made = _new_page(conn)
    last = conn.execute(
        select(func.max(screen_buttons.c.position)).where(screen_buttons.c.screen_id == page)
    ).scalar()
    colour = (
        conn.execute(
            select(screen_buttons.c.colour)
            .join(articles, articles.c.id == screen_buttons.c.article_id)
            .where(articles.c.category == category, screen_buttons.c.screen_id == page)
            .limit(1)
        ).scalar()
        or conn.execute(select(screens.c.colour).where(screens.c.id == page)).scalar()
    )
    button = {
        "screen_id": page,
        "position": (int(last) + 1) if last is not None else 0,
        "label": name[:LABEL_MAX],
        "colour": str(colour or "#cccccc"),
        "article_id": article_id,
    }
    conn.execute(screen_buttons.insert().values(**button))
    return button, made
