"""`python -m testbed.office_screenshots DIR` (make office-screenshots): each back-office
page in headless Chromium, on a demo store served on loopback, as DIR/office-*.png."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from appliance.processes import ServerProcess
from testbed.office import Office, chromium

PAGES = [
    ("login", "/admin/login"),
    ("articles", "/admin/articles"),
    ("article", "/admin/articles/new"),
    ("import", "/admin/import"),
    ("cashiers", "/admin/cashiers"),
    ("tills", "/admin/tills"),
    ("printers", "/admin/printers"),
    ("reports", "/admin/reports"),
    ("journal", "/admin/journal"),
]


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="autonome-office-shots-") as tmp:
        server = ServerProcess(Path(tmp) / "server", mdns=False)
        server.init("--demo", "--server-id", "boulangerie-demo")
        server.start()
        try:
            Office(server).login()
            browser = chromium(width=1280, height=900)
            try:
                from selenium.webdriver.common.by import By

                for name, path in PAGES:
                    if name == "articles":  # log in once, past the login page
                        browser.find_element(By.ID, "cashier_id").send_keys("m1")
                        browser.find_element(By.ID, "secret").send_keys("9876")
                        browser.find_element(By.ID, "login").click()
                    browser.get(server.url + path)
                    if name == "tills":
                        browser.find_element(By.ID, "till-name").send_keys("Caisse 2")
                        browser.find_element(By.ID, "make-code").click()
                    browser.save_screenshot(str(out / f"office-{name}.png"))
                    print(out / f"office-{name}.png")
            finally:
                browser.quit()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
