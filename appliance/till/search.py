"""Looking an article up without selling it: by barcode, or by name.

`NameIndex(articles)` is built once from the catalogue: each word of the names,
folded (lower case, accents dropped), with the articles it is in. `search("pain
camp")` gives the articles with a word starting "pain" and one starting "camp", in
the catalogue's order, at most `limit` of them: the articles of the query's rarest
word, merged in order from its words' lists, each checked for the other words,
until the limit; never a loop over the 100,000 rows.

`price_check(catalogue, query)`: a barcode that is known gives its one article;
otherwise the name search. The catalogue keeps its index (snapshot.py) until a
delta changes its articles.
"""

from __future__ import annotations

import bisect
import heapq
import unicodedata
from collections.abc import Iterable
from typing import Any

__all__ = ["LIMIT", "NameIndex", "fold", "price_check"]

LIMIT = 30
#: up to this many words a query's word starts, their lists are merged lazily
MERGED = 32


def fold(text: str) -> str:
    """Lower case, accents dropped, spaces single: "Pâté  Crème" -> "pate creme"."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


class NameIndex:
    """Each word of the names (folded) with the articles it is in, the words sorted:
    a query's word is the start of a name's word, found by bisection, and the
    articles of the query are those its words share (the smallest set first)."""

    def __init__(self, articles: Iterable[dict[str, Any]]) -> None:
        self.rows: list[dict[str, Any]] = []
        self.tokens: list[tuple[str, ...]] = []  # each row's folded words
        postings: dict[str, list[int]] = {}
        folded: dict[str, str] = {}
        for i, row in enumerate(articles):
            self.rows.append(row)
            parts: list[str] = []
            for word in str(row.get("name") or "").split():
                if word.isascii() and word.isalnum():  # most words: nothing to fold
                    parts.append(word.lower())
                    continue
                key = folded.get(word)
                if key is None:
                    key = folded[word] = fold(word)
                parts.extend(key.split())
            self.tokens.append(tuple(parts))
            for part in parts:
                ids = postings.setdefault(part, [])
                if not ids or ids[-1] != i:
                    ids.append(i)
        self.words = sorted(postings)
        self.postings = [postings[w] for w in self.words]

    def __len__(self) -> int:
        return len(self.rows)

    def _span(self, word: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self.words, word)
        return lo, bisect.bisect_left(self.words, word + "\U0010ffff", lo)

    def search(self, query: str, limit: int = LIMIT) -> list[dict[str, Any]]:
        words = fold(query).split()
        if not words:
            return []
        spans = [self._span(w) for w in words]
        if any(lo == hi for lo, hi in spans):
            return []
        sizes = [sum(map(len, self.postings[lo:hi])) for lo, hi in spans]
        first = min(range(len(spans)), key=sizes.__getitem__)
        lo, hi = spans[first]
        others = [w for k, w in enumerate(words) if k != first]
        found: list[dict[str, Any]] = []
        last = -1
        lists = self.postings[lo:hi]
        # in the catalogue's order: merged lazily from a few lists, or gathered at once
        # from many (a short prefix such as "1" starts thousands of words)
        ids = heapq.merge(*lists) if len(lists) <= MERGED else sorted(set().union(*lists))
        for i in ids:
            if i == last:
                continue
            last = i
            if all(any(t.startswith(w) for t in self.tokens[i]) for w in others):
                found.append(self.rows[i])
                if len(found) >= limit:
                    break
        return found


def price_check(catalogue: Any, query: Any) -> dict[str, Any]:
    """What `price_check` says: {"query", "by": "barcode" | "name", "articles": [...]}."""
    text = str(query or "").strip()
    if catalogue is None or not text:
        return {"query": text, "by": "name", "articles": []}
    row = catalogue.by_barcode(text)
    if row is not None:
        return {"query": text, "by": "barcode", "articles": [_shown(row)]}
    return {"query": text, "by": "name", "articles": [_shown(r) for r in catalogue.search(text)]}


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("article_id", "name", "price", "vat_bp", "category", "barcodes")
    return {k: row.get(k) for k in keys}
