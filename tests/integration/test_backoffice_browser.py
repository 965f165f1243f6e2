"""The back office in a real headless Chromium (Debian's, through its chromedriver),
with a headless till beside it: an article created in the browser rings up on the
till by its barcode within 2 s, and again once the till is alone."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from appliance.processes import ServerProcess, TillProcess
from testbed.office import CHROMEDRIVER, CHROMIUM, page_replaced

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="chromium and chromium-driver (apt) are not installed",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("browser") / "server"
    s = ServerProcess(data, mdns=False)
    s.init("--demo", "--server-id", "test-browser")
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    from testbed.office import chromium

    driver = chromium(downloads)
    yield driver
    driver.quit()


def _login(browser, server, who="m1", secret="9876"):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url + "/admin/login")
    browser.find_element(By.ID, "cashier_id").clear()
    browser.find_element(By.ID, "cashier_id").send_keys(who)
    browser.find_element(By.ID, "secret").send_keys(secret)
    button = browser.find_element(By.ID, "login")
    button.click()
    # the answer's page replaces this one (a click does not wait for it on a busy machine)
    WebDriverWait(browser, 15).until(page_replaced(button))


def _until(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("not in time")


def test_an_article_made_in_the_browser_rings_up_on_the_till_then_alone(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    till = TillProcess(tmp_path / "till", "till 1")
    till.enroll(server.enrolment_code("till 1"), server.url)
    till.start(server.url, args=["--no-mdns"])
    try:
        till.wait_event("mode", mode="ONLINE", timeout=30)
        till.send("login", cashier="c1", pin="1234")
        till.wait_event("logged_in")
        _login(browser, server)
        assert browser.current_url.endswith("/admin/articles")
        browser.find_element(By.ID, "new-article").click()
        browser.find_element(By.ID, "name").send_keys("Flan pâtissier")
        browser.find_element(By.ID, "price").send_keys("3,40")
        Select(browser.find_element(By.ID, "vat_bp")).select_by_value("550")
        browser.find_element(By.ID, "barcodes").send_keys("3760000000079")
        Select(browser.find_element(By.ID, "screen_id")).select_by_index(1)
        time.sleep(1.0)  # the till's long-poll is waiting
        saved = time.monotonic()
        browser.find_element(By.ID, "save").click()
        assert "Saved" in browser.find_element(By.CLASS_NAME, "flash").text
        changed = till.wait_event("catalogue_changed", timeout=5)
        assert time.monotonic() - saved < 2.0
        assert changed["delta_seq"] >= 1
        till.send("scan", code="3760000000079")
        line = till.wait_event("line_added", timeout=5)["line"]
        assert (line["name"], line["unit_price"]) == ("Flan pâtissier", 340)
        # the server cut off: the till goes on alone and sells it from its own copy
        server.stop()
        till.wait_event("question", id="go_autonomous", timeout=15)
        till.send("answer", question="go_autonomous", answer="yes")
        till.wait_event("mode", mode="AUTONOMOUS", timeout=10)
        till.send("scan", code="3760000000079")
        line = till.wait_event("line_added", timeout=5)["line"]
        assert (line["name"], line["unit_price"]) == ("Flan pâtissier", 340)
        till.send("pay", method="cash")
        closed = till.wait_event("sale_closed", timeout=10)
        assert (closed["total"], closed["mode"]) == (680, "autonomous")
        # the server back: the sale goes up once the cashier says so
        server.start()
        till.wait_event("question", id="send_sales", timeout=30)
        till.send("answer", question="send_sales", answer="send")
        till.wait_event("mode", mode="ONLINE", timeout=30)
        _login(browser, server)  # the server restarted: sessions are in memory
        browser.get(server.url + "/admin/journal")
        assert "Flan pâtissier" in browser.find_element(By.ID, "journal").text
        # revoked from the tills page: the till's token is refused from then on
        browser.get(server.url + "/admin/tills")
        assert "online" in browser.find_element(By.ID, "till-1").text
        browser.find_element(By.ID, "revoke-1").click()
        _until(lambda: "revoked" in browser.find_element(By.CLASS_NAME, "flash").text)
        assert "revoked" in browser.find_element(By.ID, "till-1").text
        token = json.loads((tmp_path / "till" / "till.json").read_text())["token"]
        r = httpx.get(f"{server.url}/api/v1/health", verify=server.tls(),
                      headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert r.status_code == 401 and r.json()["error"] == "till_revoked"
    finally:
        till.kill()


def test_the_z_report_closed_and_downloaded(server, browser, downloads):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _login(browser, server)
    browser.get(server.url + "/admin/reports")
    assert "✔" in browser.find_element(By.ID, "chain").text
    close = browser.find_element(By.ID, "close-day")
    close.click()
    WebDriverWait(browser, 15).until(page_replaced(close))
    assert "Z report" in browser.find_element(By.ID, "report-title").text
    link = browser.find_element(By.ID, "csv").get_attribute("href")
    browser.find_element(By.ID, "csv").click()
    try:
        got = _until(lambda: list(downloads.glob("Z-*.csv")), timeout=10)
        text = got[0].read_text()
    except AssertionError:  # headless Chromium kept the file to itself: the same link
        cookie = browser.get_cookie("autonome_admin")["value"]
        r = httpx.get(link, verify=server.tls(), cookies={"autonome_admin": cookie})
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        text = r.text
    assert text.startswith("report,Z,1,")
    assert re.search(r"^sales,1,total,6\.80", text, re.M)


def test_wrong_pin_five_times_then_locked(server, browser):
    """Last: it locks m1 for five minutes."""
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    for _ in range(4):
        _login(browser, server, "m1", "0000")
        assert "wrong PIN" in browser.find_element(By.ID, "login-error").text
    _login(browser, server, "m1", "0000")
    assert "Too many wrong attempts" in browser.find_element(By.ID, "login-error").text
    _login(browser, server, "m1", "9876")  # the right PIN, too late: still locked
    assert "Too many wrong attempts" in browser.find_element(By.ID, "login-error").text
    assert browser.current_url.endswith("/admin/login")
