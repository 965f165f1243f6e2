"""The back office spoken to as a browser would, over HTTP (httpx), for the tests and
the benchmarks; and the system Chromium driven by Selenium (no browser download)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import httpx

from appliance.processes import ServerProcess

__all__ = ["CHROMIUM", "CHROMEDRIVER", "Office", "chromium", "csrf_of"]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    if found is None:
        raise AssertionError("no CSRF token in the page")
    return found.group(1)


class Office:
    """A manager's session: cookies kept, the CSRF token read from the pages."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, verify=server.tls(), timeout=30)
        self.csrf = ""

    def login(self, cashier_id: str = "m1", secret: str = "9876") -> httpx.Response:
        pre = csrf_of(self.http.get("/admin/login").text)
        r = self.http.post(
            "/admin/login", data={"csrf": pre, "cashier_id": cashier_id, "secret": secret}
        )
        if r.status_code == 303:
            self.csrf = csrf_of(self.http.get("/admin/articles").text)
        return r

    def post(self, path: str, data: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.http.post(path, data={"csrf": self.csrf, **data}, **kw)

    def save_article(self, **fields: str) -> httpx.Response:
        form = {"name": "", "price": "", "vat_bp": "2000", "category": "", "barcodes": "",
                "screen_id": "", "colour": "#cccccc", **fields}  # fmt: skip
        return self.post("/admin/articles/new", form)

    def close(self) -> None:
        self.http.close()


def chromium(downloads: Path | None = None, width: int = 1280, height: int = 900) -> Any:
    """Debian's headless Chromium through its chromedriver, with a fresh profile; it
    accepts the server's self-signed certificate (the browser has no pin)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="autonome-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--ignore-certificate-errors",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--lang=en",
    ):
        options.add_argument(flag)
    if downloads is not None:
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                "intl.accept_languages": "en",
            },
        )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)  # a page that comes late on a busy machine is waited for
    if downloads is not None:  # headless Chromium downloads only when told where
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
        )
    return driver


def page_replaced(element: Any) -> Any:
    """A wait condition: the page that held `element` has been replaced by the answer.

    Selenium's `staleness_of` only knows StaleElementReferenceException; Chromium
    also answers "Node with given id does not belong to the document" (a generic
    WebDriverException) when it catches the node mid-navigation. Both mean gone."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def gone(_driver: Any) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise
        return False

    return gone
