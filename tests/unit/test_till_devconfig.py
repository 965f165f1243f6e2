"""devices.toml read into dataclasses; every mistake names the file and the key; the
kitchen lines a till prints itself."""

from __future__ import annotations

import pytest

from appliance.till.devconfig import (
    DevicesConfigError,
    DrawerSettings,
    KitchenPrinterConfig,
    PrinterConfig,
    ScannerConfig,
    load_devices,
    parse_devices,
)
from appliance.till.kitchen import split_direct

FULL = """
[scanner]
kind = "usb"
vid_pid = "05e0:1200"
layout = "be"

[printer]
kind = "usb"
vid_pid = "0416:5011"
paper = "58mm"

[drawer]
enabled = true
pin = 5
on_ms = 60
off_ms = 120
open_is_high = false

[[kitchen]]
id = "cuisine"
kind = "tcp"
address = "10.0.0.41:9100"

[[kitchen]]
id = "bar"
kind = "tcp"
direct = false
"""


def test_a_full_file():
    c = parse_devices(FULL, "devices.toml")
    assert c.scanner == ScannerConfig("usb", "05e0:1200", "be")
    assert c.printer == PrinterConfig("usb", vid_pid="0416:5011", paper="58mm")
    assert c.printer.vid_pid_ints == (0x0416, 0x5011)
    assert c.drawer == DrawerSettings(True, 5, 60, 120, False)
    assert c.kitchen[0] == KitchenPrinterConfig("cuisine", "tcp", "10.0.0.41:9100", True)
    assert set(c.direct_kitchen) == {"cuisine"}  # the bar prints through the server


def test_no_file_is_no_devices(tmp_path):
    c = load_devices(tmp_path)
    assert c.empty and c.scanner is None and c.printer is None and c.kitchen == ()


def test_kinds_none_and_a_disabled_drawer():
    c = parse_devices('[scanner]\nkind = "none"\n[printer]\nkind = "tcp"\naddress = "p:9100"\n'
                      "[drawer]\nenabled = false\n")  # fmt: skip
    assert c.scanner is None and c.drawer is None and c.printer.host_port == ("p", 9100)
    assert parse_devices('[scanner]\nkind = "sim"\n').scanner.layout == "us"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[printer]\nkind = 'ftp'", "[printer] kind: 'ftp' is not one of usb, tcp, serial"),
        ("[printer]\nkind = 'usb'", "[printer] vid_pid: missing"),
        ("[printer]\nkind = 'usb'\nvid_pid = '416:5011'", "[printer] vid_pid: a USB device"),
        ("[printer]\nkind = 'tcp'\naddress = 'printer'", "[printer] address: an address is"),
        ("[printer]\nkind = 'serial'", "[printer] path: missing"),
        ("[printer]\nkind = 'sim'\npaper = '110mm'", "[printer] paper: '110mm' is not one of"),
        ("[printer]\nkind = 'sim'\nspeed = 3", "[printer] speed: unknown key"),
        ("[scanner]\nkind = 'usb'\nlayout = 'de'", "[scanner] layout: 'de' is not one of us"),
        ("[scanner]\nkind = 'tcp'", "[scanner] kind: 'tcp' is not one of usb, sim, none"),
        ("[scanner]\nkind = 'usb'\nvid_pid = 'zebra'", "[scanner] vid_pid: a scanner is named"),
        ("[printer]\nkind = 'sim'\n[drawer]\npin = 3", "[drawer] pin: a drawer is wired to pin 2"),
        ("[printer]\nkind = 'sim'\n[drawer]\non_ms = 900", "[drawer] on_ms: a pulse lasts"),
        ("[printer]\nkind = 'sim'\n[drawer]\nenabled = 'yes'", "[drawer] enabled: must be true"),
        ("[drawer]\nenabled = true", "[drawer]: the drawer opens from the receipt printer"),
        ("[printer]\nkind = 'tcp'\naddress = 'p:9100'\nbaudrate = true", "baudrate: must be a"),
        ("[[kitchen]]\nkind = 'tcp'", "[kitchen 1] id: missing"),
        ("[[kitchen]]\nid = 'k'\nkind = 'usb'", "[kitchen 1] kind: 'usb' is not one of tcp, sim"),
        ("[[kitchen]]\nid='k'\nkind='sim'\n[[kitchen]]\nid='k'\nkind='sim'", "'k' is given twice"),
        ("[kitchen]\nid = 'k'", "kitchen printers are [[kitchen]] tables"),
        ("[screen]\nkind = 'hdmi'", "unknown table [screen]"),
        ("[printer\nkind = 'usb'", "not valid TOML"),
    ],
)
def test_mistakes_name_the_file_and_the_key(text, said):
    with pytest.raises(DevicesConfigError) as e:
        parse_devices(text, "/data/till/devices.toml")
    assert str(e.value).startswith("/data/till/devices.toml: ")
    assert said in str(e.value)


def test_an_unreadable_file_says_so(tmp_path):
    (tmp_path / "devices.toml").write_bytes(b"\xff\xfe[printer]")
    with pytest.raises(DevicesConfigError, match="devices.toml: cannot be read"):
        load_devices(tmp_path)


PRINTERS = [
    {"printer_id": "cuisine", "categories": ["plats", "desserts"], "direct": True},
    {"printer_id": "bar", "categories": ["boissons"], "direct": False},
    {"printer_id": "terrasse", "categories": ["plats", "glaces"], "direct": True},
]


def test_kitchen_lines_a_till_prints_itself():
    lines = [
        {"name": "Croque", "quantity": 2, "category": "plats"},
        {"name": "Bière", "quantity": 1, "category": "boissons"},
        {"name": "Glace", "quantity": 1, "category": "glaces"},
        {"name": "Pain", "quantity": 1, "category": "pain"},  # no printer: the server says so
        {"name": "Note", "quantity": 1},
    ]
    direct, rest = split_direct(lines, PRINTERS, {"cuisine"})
    assert direct == {"cuisine": [lines[0]]}  # first printer of the category wins, as on the server
    assert rest == lines[1:]  # the terrasse printer is direct but not configured here
    direct, rest = split_direct(lines, PRINTERS, {"cuisine", "terrasse", "bar"})
    assert direct == {"cuisine": [lines[0]], "terrasse": [lines[2]]}
    assert [ln["name"] for ln in rest] == ["Bière", "Pain", "Note"]
