"""Today's changes of the catalogue on the till: the server's delta feed, applied on
top of the installed snapshot and kept on disk.

A delta (appliance/protocol/deltas.py) is applied only if

- its Ed25519 signature is the server's (the key received at enrolment),
- it is the next one: seq = the catalogue's `delta_seq` + 1 (a gap is refused),
- every field is known (a change the till does not understand is not half-applied).

It is then appended to `snapshot/deltas.log` (one line of JSON, fsync'd), and only
then applied to the catalogue in memory, with plain dict assignments that cannot
fail half-way. Rewriting the snapshot file itself (15 MB for 100,000 articles) for
each change would take far more than the 5 ms a delta may cost: the log is replayed
on top of `current.json` at start, and starts again with each snapshot installed.
A refused delta is logged and leaves the catalogue as it was.

`DeltaFollower` long-polls the server while the till is online and applies what
comes; told it is too far behind, it asks for the current snapshot.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from appliance.protocol import API_PREFIX
from appliance.protocol.deltas import TILL_VERSION_HEADER, DeltaInvalid, check_delta
from appliance.protocol.signing import BadKey, load_public_key, verify
from appliance.system.files import fsync_dir

from .snapshot import Catalogue

if TYPE_CHECKING:
    from .ports import Core

__all__ = ["DeltaFollower", "DeltaLog", "DeltaRefused", "apply_ops", "till_version"]

log = logging.getLogger(__name__)

#: how long one poll waits on the server for a change (s)
WAIT_S = 25.0


class DeltaRefused(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _drop_buttons(screens: list[dict[str, Any]], article_id: str) -> list[dict[str, Any]]:
    out = []
    for s in screens:
        buttons = s.get("buttons") or []
        if any(b.get("article_id") == article_id for b in buttons):
            s = {**s, "buttons": [b for b in buttons if b.get("article_id") != article_id]}
        out.append(s)
    return out


def _forget(cat: Catalogue, article_id: str) -> None:
    old = cat.articles.pop(article_id, None)
    if old is not None:
        for code in old.get("barcodes") or ():
            if cat.barcodes.get(code) is old:
                del cat.barcodes[code]


def apply_ops(cat: Catalogue, ops: list[dict[str, Any]]) -> None:
    """Apply checked operations to the catalogue in memory (dict assignments only;
    the till's pages are a new list, swapped in whole)."""
    screens = cat.screens
    for op in ops:
        kind = op["op"]
        if kind == "article":
            row = dict(op["article"])
            _forget(cat, row["article_id"])
            cat.articles[row["article_id"]] = row
            for code in row["barcodes"]:
                cat.barcodes[code] = row
        elif kind == "archive":
            _forget(cat, op["article_id"])
            screens = _drop_buttons(screens, op["article_id"])
        elif kind == "button":
            screens = _drop_buttons(screens, op["article_id"])
            if op["screen_id"] is not None:
                button = {k: op[k] for k in ("position", "label", "colour", "article_id")}
                placed = []
                for s in screens:
                    if s.get("screen_id") == op["screen_id"]:
                        buttons = [*(s.get("buttons") or []), button]
                        buttons.sort(key=lambda b: b.get("position", 0))
                        s = {**s, "buttons": buttons}
                    placed.append(s)
                screens = placed
        elif kind == "page":
            page = {k: op[k] for k in ("screen_id", "name", "position", "colour")}
            old = next((s for s in screens if s.get("screen_id") == op["screen_id"]), None)
            page["buttons"] = list((old or {}).get("buttons") or [])
            screens = [s for s in screens if s is not old] + [page]
            screens.sort(key=lambda s: s.get("position", 0))
        elif kind == "cashier":
            cat.cashiers[op["cashier"]["cashier_id"]] = dict(op["cashier"])
        elif kind == "cashier_off":
            cat.cashiers.pop(op["cashier_id"], None)
    if screens is not cat.screens:
        cat.screens = screens


class DeltaLog:
    """`deltas.log` beside the snapshot: the deltas applied on top of `current.json`."""

    def __init__(self, directory: Path, signing_key: str | None) -> None:
        self.dir = Path(directory)
        self.path = self.dir / "deltas.log"
        self._key = None
        if signing_key:
            with contextlib.suppress(BadKey):
                self._key = load_public_key(signing_key)
        self._lock = threading.Lock()

    def _check(self, cat: Catalogue, wire: Any) -> dict[str, Any]:
        if self._key is None:
            raise DeltaRefused("no_signing_key", "this till holds no key to check deltas")
        if not isinstance(wire, dict) or set(wire) != {"seq", "body", "signature"}:
            raise DeltaRefused("bad_shape", "a delta is {seq, body, signature}")
        body, signature, seq = wire["body"], wire["signature"], wire["seq"]
        if not isinstance(body, str) or not isinstance(signature, str):
            raise DeltaRefused("bad_shape", "a delta's body and signature are texts")
        if not verify(self._key, body.encode("utf-8"), signature):
            raise DeltaRefused(
                "bad_signature", f"delta {seq}: not signed by this till's server: refused"
            )
        if seq != cat.delta_seq + 1:
            raise DeltaRefused(
                "gap", f"delta {seq} does not follow {cat.delta_seq}: refused (missed some)"
            )
        try:
            return check_delta(orjson.loads(body), seq)
        except orjson.JSONDecodeError:
            raise DeltaRefused("bad_json", f"delta {seq} is not JSON") from None
        except DeltaInvalid as e:
            raise DeltaRefused(e.reason, f"delta {seq}: {e.message}") from None

    def apply(self, cat: Catalogue, wire: Any) -> int:
        """Check, keep on disk, apply; the catalogue's new delta seq. DeltaRefused (the
        catalogue untouched) or OSError (disk: untouched too)."""
        with self._lock:
            try:
                doc = self._check(cat, wire)
            except DeltaRefused as e:
                log.error("delta refused (%s): %s; the catalogue stays as it was", e.reason, e)
                raise
            line = orjson.dumps(wire) + b"\n"
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            apply_ops(cat, doc["ops"])
            cat.delta_seq = doc["seq"]
            return cat.delta_seq

    def replay(self, cat: Catalogue) -> int:
        """At start: apply the kept deltas that follow the snapshot; how many."""
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return 0
        done = 0
        with self._lock:
            for raw in lines:
                try:
                    wire = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    continue  # a line torn by a power cut: never applied in memory either
                if not isinstance(wire, dict) or wire.get("seq", 0) <= cat.delta_seq:
                    continue
                try:
                    doc = self._check(cat, wire)
                except DeltaRefused as e:
                    log.error("kept delta not applied again: %s", e.message)
                    break
                apply_ops(cat, doc["ops"])
                cat.delta_seq = doc["seq"]
                done += 1
        return done

    def restart(self, cat: Catalogue) -> None:
        """A new snapshot is installed: keep only the deltas it does not fold in."""
        with self._lock:
            try:
                lines = self.path.read_bytes().splitlines()
            except FileNotFoundError:
                return
            keep = []
            for raw in lines:
                with contextlib.suppress(orjson.JSONDecodeError, AttributeError, TypeError):
                    if orjson.loads(raw).get("seq", 0) > cat.delta_seq:
                        keep.append(raw + b"\n")
            tmp = self.path.with_name(".deltas.log.tmp")
            with open(tmp, "wb") as f:
                f.writelines(keep)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            fsync_dir(self.dir)


class DeltaFollower:
    """The thread that keeps an online till's catalogue at the server's latest delta (an
    autonomous one's too while its server answers again)."""

    def __init__(
        self,
        core: Core,
        config: Any,
        snapshot_dir: Path,
        *,
        tls: Any,
        stop: threading.Event,
        server_url: Callable[[], str | None],
        follows: Callable[[], bool],
        take_snapshot: Callable[[], Any],
        version: str = "",
    ) -> None:
        """`core`: its catalogue (whose dicts it changes), `publish` and `error`;
        `config`: the till's (its token, the snapshot's signing key). It polls while
        `follows()` (online, or autonomous while the server answers) at `server_url()`
        over `tls`, and calls `take_snapshot` when the feed says it is too far behind."""
        self.core = core
        self.version = version
        self.log = DeltaLog(snapshot_dir, config.signing_key)
        self.token, self.tls, self.server_url = config.token, tls, server_url
        self.follows, self.take_snapshot, self.stop = follows, take_snapshot, stop
        self._http: Any = None
        self._url: str | None = None
        self.refused = 0

    def replay(self) -> None:
        cat = self.core.catalogue
        if cat is not None:
            n = self.log.replay(cat)
            if n:
                log.info("%d delta(s) of today applied again on snapshot %s", n, cat.version)

    def snapshot_installed(self) -> None:
        cat = self.core.catalogue
        if cat is not None:
            try:
                self.log.restart(cat)
            except OSError as e:
                log.warning("deltas.log not restarted: %s", e)
            self.replay()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="till-deltas", daemon=True)
        thread.start()
        return thread

    def _client(self) -> Any:
        import httpx

        url = self.server_url()
        if self._http is None or url != self._url:
            if self._http is not None:
                self._http.close()
            from .client import https_url

            self._url = url
            self._http = httpx.Client(
                base_url=https_url(str(url)) + API_PREFIX,
                headers={
                    "Authorization": f"Bearer {self.token}",
                    TILL_VERSION_HEADER: self.version,
                },
                timeout=httpx.Timeout(2.0, read=WAIT_S + 5),
                verify=self.tls,
            )
        return self._http

    def run(self) -> None:
        while not self.stop.is_set():
            cat = self.core.catalogue
            if not self.follows() or cat is None or not self.server_url():
                self.stop.wait(0.5)
                continue
            try:
                self.poll_once(cat)
            except Exception as e:  # the network, mostly: the link notices it too
                log.debug("delta poll failed: %r", e)
                self.stop.wait(1.0)
        if self._http is not None:
            self._http.close()

    def poll_once(self, cat: Catalogue, wait: float = WAIT_S) -> int:
        """One long-poll; the deltas applied."""
        core = self.core
        resp = self._client().get("/deltas", params={"after": cat.delta_seq, "wait": wait})
        if resp.status_code == 410:
            log.info("delta feed: too far behind (%s): taking the current snapshot", resp.text)
            self.take_snapshot()  # its SnapshotReady restarts the log (snapshot_installed)
            self.stop.wait(5.0)
            return 0
        if resp.status_code != 200:
            self.stop.wait(1.0)
            return 0
        applied = 0
        for wire in resp.json().get("deltas", []):
            if core.catalogue is not cat:
                break  # a snapshot was installed meanwhile: ask again from it
            try:
                self.log.apply(cat, wire)
                applied += 1
            except DeltaRefused as e:
                self.refused += 1
                core.error("delta_refused", e.message)
                self.stop.wait(min(30.0, 2.0 * self.refused))
                break
            except OSError as e:
                core.error("delta_not_saved", f"today's change not saved: {e}")
                self.stop.wait(5.0)
                break
        if applied:
            self.refused = 0
            core.publish("catalogue_changed", delta_seq=cat.delta_seq, articles=len(cat.articles))
        return applied


def till_version() -> str:
    """This till's software version, told to the server with its delta polls."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"autonome/{version('autonome')}"
    except PackageNotFoundError:
        return "autonome"
