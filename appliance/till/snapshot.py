"""The nightly snapshot on the till: installed atomically, read into dict indexes.

A snapshot is one TinyDB JSON document (tables meta, articles, barcodes,
screens, cashiers, vat, printers). A till never works on a partial or corrupt
one: before anything is written, the bytes' Ed25519 signature is checked
with the server's public key received at enrolment (a till refuses an
unsigned snapshot or one signed by any other key), the bytes are checked
against the announced sha256 and version, parsed and validated; only then is
`current.json` replaced, and the replaced one stays as `previous.json`, the
fallback.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from appliance.protocol.signing import BadKey, load_public_key, verify
from appliance.system.files import fsync_dir, write_fsynced

from .search import LIMIT, NameIndex

__all__ = ["Catalogue", "SnapshotRejected", "SnapshotStore"]

log = logging.getLogger(__name__)

REQUIRED_TABLES = ("meta", "articles", "barcodes")


class SnapshotRejected(ValueError):
    """A snapshot that must not be installed; `reason` is a short code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _rows(doc: dict[str, Any], table: str) -> list[dict[str, Any]]:
    rows = doc.get(table) or {}
    if not isinstance(rows, dict):
        raise SnapshotRejected("bad_table", f"table {table!r} is not a TinyDB table")
    return [r for r in rows.values() if isinstance(r, dict)]


@dataclass
class Catalogue:
    """What a till sells from: articles by barcode and by id, cashiers, screens."""

    version: int
    built_at: str | None = None
    server_id: str | None = None
    #: of the file's bytes: a restored server may build a version number again with
    #: other content, and the till tells them apart by it
    sha256: str | None = None
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    barcodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    cashiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    screens: list[dict[str, Any]] = field(default_factory=list)
    #: the store's identity for the receipts (name, address, siret, vat_number, phone,
    #: timezone, footer; any may be missing), from the snapshot's meta
    store: dict[str, Any] = field(default_factory=dict)
    printers: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    #: a restaurant's rooms, tables and modifiers ({} for a shop): domain.tables reads it
    floor_plan: dict[str, Any] = field(default_factory=dict)
    #: the store's till rules (what needs a manager's PIN...): domain.approval reads them
    rules: dict[str, Any] = field(default_factory=dict)
    #: the last delta of the server's feed this catalogue holds: the one the snapshot
    #: folds in, then each applied on top of it (deltas.py)
    delta_seq: int = 0
    #: the name index (search.py), built at the first search, with the delta it is of
    _names: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_document(cls, doc: Any) -> Catalogue:
        if not isinstance(doc, dict):
            raise SnapshotRejected("not_a_snapshot", "the snapshot is not a JSON object")
        for table in REQUIRED_TABLES:
            if table not in doc:
                raise SnapshotRejected("missing_table", f"the snapshot has no {table!r} table")
        meta = _rows(doc, "meta")
        version = meta[0].get("version") if meta else None
        if isinstance(version, bool) or not isinstance(version, int):
            raise SnapshotRejected("bad_meta", "the snapshot's meta has no integer version")
        cat = cls(version, meta[0].get("built_at"), meta[0].get("server_id"))
        folded = meta[0].get("delta_seq")
        if isinstance(folded, int) and not isinstance(folded, bool) and folded >= 0:
            cat.delta_seq = folded
        try:  # the shape the server writes: each article lists its own barcodes
            cat.articles = {r["article_id"]: r for r in doc["articles"].values()}
            cat.barcodes = {c: r for r in cat.articles.values() for c in r["barcodes"]}
            if len(cat.barcodes) != len(doc["barcodes"]):  # the table knows other codes
                raise KeyError("barcodes")
        except (KeyError, TypeError, AttributeError):
            cat._index_slowly(doc)
        for row in _rows(doc, "cashiers"):
            cid = row.get("cashier_id", row.get("id"))
            if cid is not None:
                cat.cashiers[str(cid)] = row
        cat.screens = _rows(doc, "screens")
        cat.printers = _rows(doc, "printers")
        store, categories = meta[0].get("store"), meta[0].get("categories")
        cat.store = store if isinstance(store, dict) else {}
        cat.categories = categories if isinstance(categories, list) else []
        plan = meta[0].get("floor_plan")
        cat.floor_plan = plan if isinstance(plan, dict) else {}
        rules = meta[0].get("rules")
        cat.rules = rules if isinstance(rules, dict) else {}
        return cat

    def _index_slowly(self, doc: dict[str, Any]) -> None:
        """Any other shape: the barcodes table first, then the articles' own lists."""
        self.articles, self.barcodes = {}, {}
        for row in _rows(doc, "articles"):
            aid = row.get("article_id", row.get("id"))
            if aid is not None:
                self.articles[str(aid)] = row
        for row in self.articles.values():
            codes = row.get("barcodes")
            for code in codes if isinstance(codes, list) else ():
                self.barcodes[str(code)] = row
        orphans = 0
        for row in _rows(doc, "barcodes"):
            article = self.articles.get(str(row.get("article_id")))
            if article is None or row.get("code") is None:
                orphans += 1
            else:
                self.barcodes[str(row["code"])] = article
        if orphans:
            log.warning("snapshot %s: %d barcode(s) name no article", self.version, orphans)

    @classmethod
    def from_bytes(cls, data: bytes) -> Catalogue:
        """Parse and index. Half a million fresh containers, none in a cycle: the
        cyclic GC is paused while they are made, then they are frozen out of its
        reach (gc.freeze), so no collection ever walks the catalogue again. The
        objects are still freed by reference counting when the catalogue goes."""
        paused = gc.isenabled()
        gc.disable()
        try:
            cat = cls.from_document(orjson.loads(data))
            gc.freeze()
            return cat
        except orjson.JSONDecodeError as e:
            raise SnapshotRejected("bad_json", f"the snapshot is not valid JSON: {e}") from None
        finally:
            if paused:
                gc.enable()

    def by_barcode(self, code: str) -> dict[str, Any] | None:
        return self.barcodes.get(code)

    def by_id(self, article_id: str) -> dict[str, Any] | None:
        return self.articles.get(article_id)

    def cashier(self, cashier_id: str) -> dict[str, Any] | None:
        return self.cashiers.get(cashier_id)

    def search(self, query: str, limit: int | None = None) -> list[dict[str, Any]]:
        """Articles whose name holds every word of `query` (search.py), from an index
        built once, and again only after a delta changed the articles."""
        index = self._names
        if index is None or index[0] != (self.delta_seq, len(self.articles)):
            index = ((self.delta_seq, len(self.articles)), NameIndex(self.articles.values()))
            self._names = index
        return index[1].search(query, LIMIT if limit is None else limit)


def _enrolled_key(signing_key: str | None) -> Ed25519PublicKey:
    if not signing_key:
        raise SnapshotRejected(
            "no_signing_key",
            "this till holds no key to check the server's snapshots (it was enrolled "
            "before snapshots were signed): enrol it again with a new code "
            "(autonome till enroll); until then it keeps the snapshot it has",
        )
    try:
        return load_public_key(signing_key)
    except BadKey as e:
        raise SnapshotRejected(
            "no_signing_key",
            f"the signing key in till.json is unusable ({e}): enrol this till again",
        ) from None


class SnapshotStore:
    """`snapshot/current.json` and `snapshot/previous.json`, replaced atomically."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.current = self.dir / "current.json"
        self.previous = self.dir / "previous.json"
        self._incoming = self.dir / ".incoming.json"

    def install(
        self,
        data: bytes,
        expected_sha256: str,
        expected_version: int | None = None,
        expected_server_id: str | None = None,
        *,
        signature: str | None,
        signing_key: str | None,
    ) -> Catalogue:
        """Check, write durably and switch to a new snapshot; SnapshotRejected if bad.

        `signature` is the server's (base64), `signing_key` the public key of
        till.json (base64); both are required: nothing unsigned is installed.
        On rejection the installed snapshot is untouched.
        """
        key = _enrolled_key(signing_key)
        if not signature:
            raise SnapshotRejected(
                "unsigned",
                "the snapshot carries no signature: refused (is this the store's server?)",
            )
        # The hash first: bytes damaged on the way are told apart from a forgery.
        got = hashlib.sha256(data).hexdigest()
        if got != (expected_sha256 or "").lower():
            raise SnapshotRejected(
                "bad_sha256",
                f"snapshot hash mismatch: expected {expected_sha256}, got {got} "
                "(corrupted in transit?)",
            )
        if not verify(key, data, signature):
            raise SnapshotRejected(
                "bad_signature",
                "the snapshot's signature does not match the key of the server this till "
                "was enrolled with: refused (altered, or not from the store's server)",
            )
        cat = Catalogue.from_bytes(data)
        if expected_version is not None and cat.version != expected_version:
            raise SnapshotRejected(
                "bad_version",
                f"snapshot says version {cat.version}, the server announced {expected_version}",
            )
        if expected_server_id and cat.server_id and cat.server_id != expected_server_id:
            raise SnapshotRejected(
                "other_server", f"snapshot of server {cat.server_id}, not {expected_server_id}"
            )
        cat.sha256 = got
        self.dir.mkdir(parents=True, exist_ok=True)
        # disk full: the installed snapshot stays, and half a new one does not keep the
        # space the outbox needs (write_fsynced removes it)
        write_fsynced(self._incoming, data)
        if self.current.exists():
            os.replace(self.current, self.previous)
        os.replace(self._incoming, self.current)
        fsync_dir(self.dir)
        return cat

    def load(self) -> Catalogue | None:
        """The installed catalogue; the previous one if the current is unreadable."""
        for path in (self.current, self.previous):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            try:
                cat = Catalogue.from_bytes(data)
                cat.sha256 = hashlib.sha256(data).hexdigest()
                return cat
            except SnapshotRejected as e:
                log.error("snapshot %s unreadable (%s): trying the previous one", path.name, e)
        return None
