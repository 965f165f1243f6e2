"""The store server as a till's client sees it, in memory: the one fake behind
`appliance.till.ports.ServerApi`, for the tests that drive a till core without a
network (a real server over loopback is `testbed.fakestore.FakeStore`, or the
product's own server process).

It answers with the protocol's wire models, as `ServerClient` does, keeps the
sales and kitchen jobs it is sent, and can be down (`down = True`: every call
raises `ServerUnreachable`, as a refused connection does).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from appliance.protocol import API_VERSION
from appliance.protocol.models import Article, BatchItemResult, BatchResult, Health
from appliance.till.client import NotFound, Rejected, ServerUnreachable

__all__ = ["FakeServer"]


class FakeServer:
    def __init__(self, articles: list[dict[str, Any]], *, server_id: str = "srv-1") -> None:
        self.server_id = server_id
        self.articles = {a["article_id"]: a for a in articles}
        self.down = False
        self.fail_upload_after: int | None = None  # batches answered before the server dies
        self.sales: dict[str, dict[str, Any]] = {}
        self.batches: list[int] = []
        self.jobs: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.calls: list[str] = []
        #: what /health says of this till (None: nothing, as without a till token)
        self.contiguous_seq: int | None = None
        self.clock_offset_s: int | None = None

    def __call__(self, *args: Any, **kw: Any) -> FakeServer:
        """As a till's `client_factory`: every address reaches this server."""
        return self

    def _check(self, what: str) -> None:
        self.calls.append(what)
        if self.down:
            raise ServerUnreachable("unreachable", "connection refused")

    def close(self) -> None:
        pass

    def health(self, last_seq: int | None = None, till_time: datetime | None = None) -> Health:
        self._check("health")
        return Health(
            server_id=self.server_id,
            api=API_VERSION,
            time=datetime.now(UTC).isoformat(),
            snapshot=None,
            contiguous_seq=self.contiguous_seq,
            clock_offset_s=self.clock_offset_s,
        )

    def barcode(self, code: str) -> Article:
        self._check("barcode")
        for a in self.articles.values():
            if code in a["barcodes"]:
                return Article.model_validate(a)
        raise NotFound("unknown_barcode", f"unknown barcode {code}", 404)

    def article(self, article_id: str) -> Article:
        self._check("article")
        if article_id not in self.articles:
            raise NotFound("unknown_article", article_id, 404)
        return Article.model_validate(self.articles[article_id])

    def create_article(self, article: dict[str, Any]) -> dict[str, Any]:
        self._check("create_article")
        if article.get("article_id") in self.articles:
            raise Rejected("article_exists", "taken", 409)
        return {**article, "article_id": article.get("article_id", "X1")}

    def put_sale(self, record: dict[str, Any]) -> str:
        self._check("put_sale")
        old = self.sales.get(record["sale_id"])
        if old is None:
            self.sales[record["sale_id"]] = record
            return "stored"
        return "duplicate" if old == record else "conflict"

    def upload(self, till_id: int, records: list[dict[str, Any]]) -> BatchResult:
        self._check("upload")
        if self.fail_upload_after is not None and len(self.batches) >= self.fail_upload_after:
            raise ServerUnreachable("timeout", "no answer")
        self.batches.append(len(records))
        results = []
        for i, r in enumerate(records):
            status = "quarantined" if "raw" in r else self.put_sale(r)
            results.append(
                BatchItemResult(index=i, sale_id=r.get("sale_id"), seq=r.get("seq"), status=status)
            )
        seqs = {r["seq"] for r in self.sales.values()}
        n = 0
        while n + 1 in seqs:
            n += 1
        return BatchResult(results=results, contiguous_seq=n)

    def post_events(self, till_id: int, events: list[dict[str, Any]]) -> dict[str, Any]:
        self._check("post_events")
        self.events.extend(events)
        return {"stored": len(events)}

    def snapshot_meta(self) -> Any:
        self._check("snapshot_meta")
        raise ServerUnreachable("no_snapshot", "this server holds no snapshot")

    def snapshot(self, version: int) -> tuple[bytes, str | None, str | None]:
        self._check("snapshot")
        raise ServerUnreachable("no_snapshot", "this server holds no snapshot")

    def print_job(self, job: dict[str, Any]) -> dict[str, Any]:
        self._check("print_job")
        self.jobs.append(job)
        return {"job_id": job["job_id"], "status": "queued", "printers": ["bar"]}

    def print_job_status(self, job_id: str) -> dict[str, Any]:
        return {"job_id": job_id, "status": "printed", "message": "", "deliveries": []}
