"""The store's identity (name, address, SIRET, VAT number): checked, stored, in every snapshot."""

from __future__ import annotations

import json

import pytest

from appliance.server.bootstrap import init_data_dir, open_data
from appliance.server.cli import main as server_main
from appliance.server.demo import STORE, demo_catalogue
from appliance.server.identity import (
    StoreIdentityError,
    check_identity,
    read_identity,
    set_identity,
)
from appliance.server.snapshot import build_snapshot, snapshot_path
from appliance.till.snapshot import Catalogue


@pytest.fixture
def shop(tmp_path):
    init_data_dir(tmp_path / "srv", server_id="shop-1", catalogue=demo_catalogue())
    data, store, _settings = open_data(tmp_path / "srv")
    yield data, store
    store.close()


def test_a_siret_is_fourteen_digits_with_a_luhn_check_digit():
    assert check_identity({"siret": "732 829 320 00074"}) == {"siret": "73282932000074"}
    for bad in ("73282932000075", "7328293200007", "7328293200007A"):
        with pytest.raises(StoreIdentityError, match="siret"):
            check_identity({"siret": bad})
    # La Poste's establishments use the digit sum instead of Luhn (its head office, Luhn)
    assert check_identity({"siret": "35600000000006"})["siret"] == "35600000000006"
    assert check_identity({"siret": "35600000000048"})["siret"] == "35600000000048"


def test_a_french_vat_number_carries_the_key_of_its_siren():
    assert check_identity({"vat_number": "fr 44 732829320"}) == {"vat_number": "FR44732829320"}
    with pytest.raises(StoreIdentityError, match="vat_number"):
        check_identity({"vat_number": "FR45732829320"})


def test_unknown_fields_time_zones_and_long_addresses_are_refused():
    with pytest.raises(StoreIdentityError, match="unknown store field"):
        check_identity({"nom": "x"})
    with pytest.raises(StoreIdentityError, match="time zone"):
        check_identity({"timezone": "Europe/Lutece"})
    with pytest.raises(StoreIdentityError, match="4 lines"):
        check_identity({"address": ["a"] * 5})


def test_the_identity_goes_into_every_snapshot_and_the_till_reads_it(shop):
    data, store = shop
    assert read_identity(store) == STORE  # the demo sets it at init
    set_identity(store, {"phone": "", "name": "Boulangerie du Quai"})
    meta = build_snapshot(store, data, "shop-1")
    cat = Catalogue.from_bytes(snapshot_path(data, meta["version"]).read_bytes())
    assert cat.store["name"] == "Boulangerie du Quai"
    assert cat.store["siret"] == STORE["siret"] and "phone" not in cat.store
    assert {p["printer_id"] for p in cat.printers} == {"cuisine", "bar"}


def test_a_bad_change_leaves_the_stored_identity_as_it_was(shop):
    _data, store = shop
    with pytest.raises(StoreIdentityError):
        set_identity(store, {"name": "Autre", "siret": "123"})
    assert read_identity(store) == STORE


def test_the_store_command_shows_and_changes_it(tmp_path, capsys):
    init_data_dir(tmp_path / "srv", server_id="shop-2")
    d = str(tmp_path / "srv")
    assert server_main(["store", "--data", d, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {}
    args = ["store", "--data", d, "--name", "Chez Léa", "--address", "1 rue Haute"]
    assert server_main([*args, "--address", "69001 Lyon", "--siret", "73282932000074"]) == 0
    assert "next snapshot" in capsys.readouterr().out
    assert server_main(["store", "--data", d, "--siret", "1234"]) == 2
    assert "nothing changed" in capsys.readouterr().err
    assert server_main(["store", "--data", d, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == {
        "name": "Chez Léa",
        "address": ["1 rue Haute", "69001 Lyon"],
        "siret": "73282932000074",
    }


def test_tickets_are_dated_in_the_stores_time_zone():
    from datetime import UTC, datetime

    from appliance.server.identity import store_now

    for zone in ("Europe/Paris", "America/Cayenne", "Indian/Reunion"):
        now = store_now({"timezone": zone})
        assert str(now.tzinfo) == zone
        assert abs((now - datetime.now(UTC)).total_seconds()) < 5
    assert str(store_now({}).tzinfo) == "Europe/Paris"


def test_what_a_kitchen_order_must_name_is_one_of_three_settings():
    for need in ("table", "name", "table_or_name"):
        assert check_identity({"kitchen_order": need}) == {"kitchen_order": need}
    assert check_identity({"kitchen_order": ""}) == {}
    with pytest.raises(StoreIdentityError, match="kitchen_order: 'tables' is none of"):
        check_identity({"kitchen_order": "tables"})
