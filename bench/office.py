"""The back office's figures (issue 13): an article saved reaches every online till,
a delta applied on a 100,000-article till, the article list searched, page weight."""

from __future__ import annotations

import shutil
import statistics
import threading
import time
from pathlib import Path

import httpx

from bench.figures import Figure, big_snapshot, big_store, p99

__all__ = ["OFFICE_FIGURES"]

TILLS = 10
SAVES = 20


def article_to_tills(work: Path) -> float:
    """p99 (s) from an article's save answered to its delta received, on each of 10
    tills long-polling the feed (real server process, HTTPS, 20 saves)."""
    from appliance.processes import ServerProcess
    from testbed.office import Office

    server = ServerProcess(work / "server", mdns=False)
    server.init("--demo", "--server-id", "bench-office")
    server.start()
    try:
        tokens = []
        for i in range(TILLS):
            code = server.enrolment_code(f"till {i}")
            r = httpx.post(f"{server.url}/api/v1/enroll", json={"code": code},
                           verify=server.tls())  # fmt: skip
            tokens.append(r.json()["token"])
        office = Office(server)
        office.login()
        arrived: dict[tuple[int, int], float] = {}
        stop = threading.Event()

        def follow(i: int, token: str) -> None:
            with httpx.Client(base_url=server.url + "/api/v1", verify=server.tls(),
                              headers={"Authorization": f"Bearer {token}"},
                              timeout=40) as c:  # fmt: skip
                after = c.get("/deltas", params={"after": 0}).json()["latest"]
                while not stop.is_set():
                    r = c.get("/deltas", params={"after": after, "wait": 5}).json()
                    for d in r["deltas"]:
                        arrived[(i, d["seq"])] = time.monotonic()
                        after = d["seq"]

        threads = [threading.Thread(target=follow, args=(i, t), daemon=True)
                   for i, t in enumerate(tokens)]  # fmt: skip
        for t in threads:
            t.start()
        time.sleep(2)
        saved: dict[int, float] = {}
        for n in range(SAVES):
            r = office.save_article(name=f"Bench {n}", price="1,00", vat_bp="550")
            saved[n + 1] = time.monotonic()
            assert r.status_code == 303, r.text
            time.sleep(0.3)
        time.sleep(3)
        stop.set()
        samples = [arrived.get((i, s), saved[s] + 60) - saved[s] for i in range(TILLS)
                   for s in saved]  # fmt: skip
        return p99(samples)
    finally:
        server.stop()


def delta_on_big_till(work: Path) -> float:
    """Median (ms) of one delta checked, kept on disk (fsync) and applied on a till
    holding the 100,000-article snapshot."""
    from appliance.protocol.deltas import delta_body
    from appliance.protocol.signing import load_private_key, public_key_b64, sign
    from appliance.till.deltas import DeltaLog
    from appliance.till.snapshot import Catalogue

    body, _doc = big_snapshot()
    cat = Catalogue.from_bytes(body)
    key = load_private_key((big_store() / "signing.key").read_bytes())
    log = DeltaLog(work, public_key_b64(key))
    any_article = next(iter(cat.articles.values()))
    times = []
    for n in range(1, 201):
        article = {**any_article, "price": n, "barcodes": list(any_article["barcodes"])}
        raw = delta_body(cat.delta_seq + 1, "2026-12-03T10:00:00+00:00",
                         [{"op": "article", "article": article}])  # fmt: skip
        wire = {"seq": cat.delta_seq + 1, "body": raw.decode(), "signature": sign(key, raw)}
        t0 = time.perf_counter()
        log.apply(cat, wire)
        times.append((time.perf_counter() - t0) * 1000)
    assert cat.by_id(any_article["article_id"])["price"] == 200
    return statistics.median(times)


def _big_office(work: Path):
    from appliance.processes import ServerProcess

    data = work / "server"
    shutil.copytree(big_store(), data)
    server = ServerProcess(data, mdns=False)
    return server.start()


def article_search(work: Path) -> float:
    """p99 (ms) of an article list page (50 rows, with its count) answered over HTTPS,
    on 100,000 articles: searches by part of a name, a barcode, an id, and paging."""
    from testbed.office import Office

    server = _big_office(work)
    try:
        office = Office(server)
        office.login()
        items = office.http.get("/admin/api/articles", params={"page": 7}).json()["items"]
        queries = [{"q": "pain"}, {"q": "choc"}, {"q": "zzzz"}, {"page": 900},
                   {"q": items[0]["barcodes"][0]}, {"q": items[3]["article_id"]},
                   {"q": "a", "page": 40}, {}]  # fmt: skip
        times = []
        for _ in range(5):
            for params in queries:
                t0 = time.perf_counter()
                r = office.http.get("/admin/articles", params=params)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200
        return p99(times)
    finally:
        server.stop()


def page_weight(work: Path) -> float:
    """The heaviest back-office page (kB), its stylesheet included (no script, no font,
    no image but inline SVG), on the 100,000-article store."""
    from testbed.office import Office

    server = _big_office(work)
    try:
        office = Office(server)
        office.login()
        css = len(office.http.get("/admin/static/admin.css").content)
        pages = ["/admin/articles", "/admin/articles?q=pain", "/admin/articles/new",
                 "/admin/cashiers", "/admin/tills", "/admin/printers", "/admin/reports",
                 "/admin/journal", "/admin/import"]  # fmt: skip
        sizes = [len(office.http.get(p).content) for p in pages]
        code = office.post("/admin/tills/code", {"name": "x"})
        sizes.append(len(code.content))
        return (max(sizes) + css) / 1000
    finally:
        server.stop()


OFFICE_FIGURES = [
    Figure("office_article_to_10_tills_p99", 2.0, "s", article_to_tills),
    Figure("office_delta_apply_100k_till", 5.0, "ms", delta_on_big_till),
    Figure("office_article_list_search_100k_p99", 200.0, "ms", article_search),
    Figure("office_page_weight", 200.0, "kB", page_weight),
]
