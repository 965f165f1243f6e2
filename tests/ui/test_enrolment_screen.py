"""The till image's first screen: the server found by mDNS (on loopback here), a wrong
code refused with the server's reason, the right code and fingerprint typed in, the
till enrolled (till.json, its certificate pinned), and then its login screen."""

from __future__ import annotations

import re

import pytest

from appliance.processes import ServerProcess, autonome

pytestmark = pytest.mark.timeout(100)


@pytest.fixture
def mdns_server(template, tmp_path):
    import shutil

    data = tmp_path / "server"
    shutil.copytree(template, data)
    s = ServerProcess(data, mdns=True, mdns_interface="127.0.0.1").start()
    yield s
    s.stop()


def _pump(loop, predicate, timeout, what):
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        loop.idle()
        assert time.monotonic() < deadline, f"not seen within {timeout} s: {what}"
        time.sleep(0.01)


def test_enrolment_screen_finds_the_server_enrols_and_opens_the_login(mdns_server, tmp_path):
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from appliance.ui.enrol import EnrolApp

    said = autonome("server", "enroll-code", "--data", str(mdns_server.data), "--name", "till 1")
    code = re.search(r"\): (\S+)", said).group(1)
    fingerprint = re.search(r"sha256: (\S+)", said).group(1)
    data = tmp_path / "till"
    settings = {"language": "en", "till_name": "caisse 1", "mdns_interfaces": ["127.0.0.1"]}
    app = EnrolApp(data, settings)
    closed = []
    app.on_enrolled = lambda: closed.append(True)
    EventLoop.ensure_window()
    Window.add_widget(app.build())
    found = f"Server found: {mdns_server.url}"
    _pump(EventLoop, lambda: app.server_label.text == found, 30, "the server found by mDNS")

    app.submit()  # nothing typed: said, nothing sent
    assert app.message.text == "Type the code and the fingerprint the server shows"

    app.code.text = "WRONG-CODE"
    app.fingerprint.text = fingerprint
    app.submit()
    _pump(EventLoop, lambda: not app.button.disabled, 30, "the refusal")
    assert not (data / "till.json").exists()
    assert app.message.text and app.message.text != "Enrolling...", app.message.text

    app.code.text = code
    app.submit()
    _pump(EventLoop, lambda: closed, 30, "the enrolment")
    assert app.message.text == "Till enrolled"
    assert (data / "till.json").exists()

    # the kiosk's next process: the till itself, on its login screen
    from appliance.till import Till
    from tests.ui.driver import TillScreen

    for w in list(Window.children):
        Window.remove_widget(w)
    screen = TillScreen(Till(data, server_hint=mdns_server.url, mdns=False))
    try:
        screen.until(lambda: screen.screen() == "login", 20, "the login screen")
    finally:
        screen.close()


def test_a_preseeded_code_enrols_by_itself_once_the_server_is_found(mdns_server, tmp_path):
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from appliance.ui.enrol import EnrolApp

    said = autonome("server", "enroll-code", "--data", str(mdns_server.data), "--name", "till 2")
    code = re.search(r"\): (\S+)", said).group(1)
    fingerprint = re.search(r"sha256: (\S+)", said).group(1)
    data = tmp_path / "till"
    settings = {
        "language": "fr",
        "mdns_interfaces": ["127.0.0.1"],
        "enrolment_code": code,
        "fingerprint": fingerprint,
    }
    app = EnrolApp(data, settings)
    closed = []
    app.on_enrolled = lambda: closed.append(True)
    EventLoop.ensure_window()
    Window.add_widget(app.build())
    assert (app.code.text, app.fingerprint.text) == (code, fingerprint)
    _pump(EventLoop, lambda: closed, 40, "the enrolment by itself")
    assert app.message.text == "Caisse enrôlée"
    assert app.server_label.text == f"Serveur trouvé : {mdns_server.url}"
    assert (data / "till.json").exists()
