"""The server's TLS certificate and the till's pin (appliance.protocol.tls, DataDir)."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from appliance.protocol.tls import (
    fingerprint_of_pem,
    https_url,
    new_certificate,
    normalise_fingerprint,
    pinned_context,
    same_fingerprint,
)
from appliance.server.bootstrap import init_data_dir, open_data
from appliance.server.config import DataDir
from appliance.till.config import NotEnrolled, TillConfig


def test_the_certificate_is_its_own_anchor_for_twenty_years():
    _key, pem = new_certificate("autonome-1234")
    cert = x509.load_pem_x509_certificate(pem)
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"
    assert cert.subject == cert.issuer
    cert.verify_directly_issued_by(cert)  # self-signed
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca
    now = datetime.now(UTC)
    assert cert.not_valid_before_utc <= now
    assert cert.not_valid_after_utc >= now + timedelta(days=365 * 20)
    pinned_context(pem.decode())  # loads as the one trust anchor


def test_fingerprints_are_written_one_way_and_read_in_any():
    _key, pem = new_certificate("x")
    fp = fingerprint_of_pem(pem.decode())
    assert len(fp) == 95 and fp.count(":") == 31 and fp == fp.upper()
    bare = fp.replace(":", "").lower()
    assert normalise_fingerprint(bare) == fp == normalise_fingerprint(f"  {fp.lower()} ")
    assert same_fingerprint(bare, fp)
    assert not same_fingerprint(fp, None) and not same_fingerprint(fp, "junk")
    with pytest.raises(ValueError):
        normalise_fingerprint(fp[:-3])


def test_server_urls_are_https():
    assert https_url("http://10.0.0.2:8470/") == "https://10.0.0.2:8470"
    assert https_url("10.0.0.2:8470") == "https://10.0.0.2:8470"
    assert https_url("https://srv:8470") == "https://srv:8470"


def test_init_makes_the_key_0600_and_a_certificate_naming_the_server(tmp_path):
    data = init_data_dir(tmp_path / "srv", server_id="shop-1")
    assert stat.S_IMODE(data.tls_key_file.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(data.tls_cert_file.read_bytes())
    assert cert.subject.rfc4514_string() == "CN=shop-1"
    fp = data.tls_fingerprint()
    _d, store, _s = open_data(data.root)  # opening again keeps them
    store.close()
    assert data.tls_fingerprint() == fp


def test_a_folder_from_before_tls_gets_them_at_first_open(tmp_path):
    data = init_data_dir(tmp_path / "srv", server_id="shop-1")
    data.tls_key_file.unlink()
    data.tls_cert_file.unlink()
    _d, store, _s = open_data(data.root)
    store.close()
    assert data.tls_key_file.exists() and data.tls_cert_file.exists()


def test_a_certificate_of_another_key_is_made_again(tmp_path):
    data = init_data_dir(tmp_path / "srv", server_id="shop-1")
    _other_key, other_cert = new_certificate("shop-1")
    data.tls_cert_file.write_bytes(other_cert)
    fp = DataDir(data.root).tls_fingerprint()
    assert fp != fingerprint_of_pem(other_cert.decode())


def test_a_till_without_a_valid_pin_is_not_enrolled(tmp_path):
    _key, pem = new_certificate("srv-1")
    good = TillConfig(
        1,
        "tok",
        "srv-1",
        server_cert=pem.decode(),
        server_fingerprint=fingerprint_of_pem(pem.decode()),
    )
    good.save(tmp_path)
    assert TillConfig.load(tmp_path).tls_context() is not None
    assert "tok" not in repr(good) and "BEGIN CERTIFICATE" not in repr(good)
    raw = json.loads((tmp_path / "till.json").read_text())
    for broken in ({"server_cert": None}, {"server_fingerprint": "AB" * 32}, {"server_cert": "x"}):
        (tmp_path / "till.json").write_text(json.dumps({**raw, **broken}))
        with pytest.raises(NotEnrolled, match="enrol it again"):
            TillConfig.load(tmp_path).tls_context()
