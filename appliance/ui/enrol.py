"""The till's enrolment screen (first boot of a till image): the server found by mDNS,
the one-time code and the server's certificate fingerprint typed on the touchscreen.

The integrator reads both from the server's console (`autonome server enroll-code`
prints them; the server image shows its first one at first boot). The enrolment is
`autonome till enroll`'s own, run in a worker thread; its message is shown as is.
On success the screen closes and the kiosk starts the till (its login screen).
A code and fingerprint pre-seeded in autonome.toml fill the fields, and the till
enrols by itself as soon as its server is found (a refusal is shown; the fields
can then be typed again).
"""

from __future__ import annotations

import contextlib
import io
import threading
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.textinput import TextInput

from .keyboard import attach
from .theme import TOUCH
from .widgets import TextLabel, TouchButton

__all__ = ["EnrolApp", "enrol", "find_server", "run_enrolment"]

TEXTS = {
    "fr": {
        "title": "Enrôler cette caisse",
        "searching": "Recherche du serveur du magasin sur le réseau (mDNS)...",
        "found": "Serveur trouvé : {url}",
        "not_found": "Aucun serveur trouvé pour l'instant : vérifiez le câble ; "
        "la recherche continue",
        "code": "Code d'enrôlement (affiché par le serveur)",
        "fingerprint": "Empreinte du certificat du serveur (sha256)",
        "enrol": "Enrôler",
        "working": "Enrôlement...",
        "missing": "Tapez le code et l'empreinte affichés par le serveur",
        "done": "Caisse enrôlée",
    },
    "en": {
        "title": "Enrol this till",
        "searching": "Looking for the store server on the network (mDNS)...",
        "found": "Server found: {url}",
        "not_found": "No server found yet: check the cable; still looking",
        "code": "Enrolment code (shown by the server)",
        "fingerprint": "Server certificate fingerprint (sha256)",
        "enrol": "Enrol",
        "working": "Enrolling...",
        "missing": "Type the code and the fingerprint the server shows",
        "done": "Till enrolled",
    },
}


def find_server(timeout: float, interfaces: list[str] | None = None) -> str | None:
    """The URL of a store server seen by mDNS within `timeout` seconds, or None."""
    from appliance.till.discovery import Discovery

    found = Discovery(None, interfaces=interfaces or [])
    try:
        found.start()
        seen = found.wait(timeout)
    finally:
        found.stop()
    return seen.url if seen else None


def enrol(data: Path, code: str, fingerprint: str, url: str | None, name: str) -> tuple[int, str]:
    """`autonome till enroll`; its status and what it said."""
    from appliance.till.cli import enroll

    args = ["--data", str(data), "--code", code.strip(), "--name", name]
    if fingerprint.strip():
        args += ["--fingerprint", fingerprint.strip()]
    if url:
        args += ["--server", url]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = enroll(args)
    said = (err.getvalue() or out.getvalue()).strip()
    return status, said.removeprefix("autonome till enroll: ")


class EnrolApp(App):
    def __init__(self, data: Path, settings: dict[str, Any], **kw: Any) -> None:
        super().__init__(**kw)
        self.data = data
        self.settings = settings
        lang = settings.get("language") if settings.get("language") in TEXTS else "fr"
        self.t = TEXTS[lang]
        self.url: str | None = settings.get("server_url")
        self.enrolled = False
        # a pre-seeded code and fingerprint: enrol by itself once the server is found
        self.auto = bool(settings.get("enrolment_code") and settings.get("fingerprint"))
        self._stop = threading.Event()

    def build(self) -> BoxLayout:
        self.title = "Autonome"
        root = BoxLayout(orientation="vertical", padding=24, spacing=12)
        root.add_widget(TextLabel(text=self.t["title"], font_size="32sp", size_hint_y=None))
        self.server_label = TextLabel(text=self.t["searching"], size_hint_y=None)
        root.add_widget(self.server_label)
        self.code = self._field(root, self.t["code"])
        self.fingerprint = self._field(root, self.t["fingerprint"])
        # an integrator's pre-seed may carry them: then a touch on Enrol is enough
        self.code.text = str(self.settings.get("enrolment_code") or "")
        self.fingerprint.text = str(self.settings.get("fingerprint") or "")
        self.button = TouchButton(text=self.t["enrol"], size_hint_y=None, height=TOUCH * 1.5)
        self.button.bind(on_release=lambda *_a: self.submit())
        root.add_widget(self.button)
        self.message = TextLabel(text="", size_hint_y=None)
        root.add_widget(self.message)
        root.add_widget(BoxLayout())
        if self.url:
            self.server_label.text = self.t["found"].format(url=self.url)
        if self.settings.get("mdns", True):
            threading.Thread(target=self._look, name="enrol-mdns", daemon=True).start()
        return root

    def _field(self, root: BoxLayout, hint: str) -> TextInput:
        root.add_widget(TextLabel(text=hint, size_hint_y=None))
        field = TextInput(multiline=False, size_hint_y=None, height=TOUCH, font_size="20sp")
        root.add_widget(field)
        return attach(field)

    def _look(self) -> None:
        while not self._stop.is_set() and not self.enrolled:
            url = find_server(5.0, self.settings.get("mdns_interfaces"))
            if url:
                self.url = url
                Clock.schedule_once(lambda _dt, u=url: self._show_server(u), 0)
                return
            if not self.url:
                Clock.schedule_once(lambda _dt: self._show_server(None), 0)

    def _show_server(self, url: str | None) -> None:
        self.server_label.text = self.t["found"].format(url=url) if url else self.t["not_found"]
        if url and self.auto:
            self.auto = False
            self.submit()

    def submit(self) -> None:
        code, fingerprint = self.code.text, self.fingerprint.text
        if not code.strip() or not fingerprint.strip():
            self.message.text = self.t["missing"]
            return
        self.button.disabled = True
        self.message.text = self.t["working"]
        name = str(self.settings.get("till_name") or "till")
        threading.Thread(
            target=self._enrol, args=(code, fingerprint, name), name="enrol", daemon=True
        ).start()

    def _enrol(self, code: str, fingerprint: str, name: str) -> None:
        status, said = enrol(self.data, code, fingerprint, self.url, name)
        Clock.schedule_once(lambda _dt: self._done(status, said), 0)

    def _done(self, status: int, said: str) -> None:
        self.button.disabled = False
        if status == 0:
            self.enrolled = True
            self.message.text = self.t["done"]
            Clock.schedule_once(lambda _dt: self.on_enrolled(), 0.5)
        else:
            self.message.text = said

    def on_enrolled(self) -> None:
        """The till is enrolled: the screen closes (the kiosk then starts the till)."""
        self.stop()

    def on_stop(self) -> None:
        self._stop.set()


def run_enrolment(data: Path, settings: dict[str, Any]) -> int:
    """The enrolment screen until the till is enrolled; 0 once it is."""
    app = EnrolApp(data, settings)
    app.run()
    return 0 if app.enrolled else 1
