"""certs.generate: a CA and per-service certificates a TLS client and server accept for the
services' names, keys private to the service's uid, nothing ever overwritten."""
from __future__ import annotations

import datetime
import os
import ssl
import stat

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from symphony.app.certificates import generate, inspect
from symphony.core.platform.certs import CertSpec
from symphony.errors import SymphonyError, UsageError

PLAN = [CertSpec("user-service", ("user-service", "localhost"), ("127.0.0.1",), 1001),
        CertSpec("b2bua-service", ("b2bua-service", "sip-b2bua-service", "sentiric.cloud", "localhost"),
                 ("127.0.0.1",), 1001)]


def load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_layout_names_and_modes(tmp_path):
    created, kept = generate(tmp_path, PLAN, days=30)
    certs = tmp_path / "certs"
    assert sorted(p.name for p in certs.iterdir()) == sorted(
        ["ca.crt", "user-service.crt", "user-service-chain.crt", "user-service.key",
         "b2bua-service.crt", "b2bua-service-chain.crt", "b2bua-service.key"])
    # the CA key is never mounted
    assert not (certs / "ca.key").exists() and (tmp_path / "ca-private" / "ca.key").exists()
    for key in (certs / "user-service.key", tmp_path / "ca-private" / "ca.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    if os.geteuid() == 0:
        assert (certs / "user-service.key").stat().st_uid == 1001  # the service's own uid can read it
    assert stat.S_IMODE((tmp_path / "ca-private").stat().st_mode) == 0o700
    assert len(created) == 2 + 3 * len(PLAN) and kept == []


def test_certificates_verify_for_every_name_as_server_and_client(tmp_path):
    generate(tmp_path, PLAN, days=30)
    ca = load(tmp_path / "certs" / "ca.crt")
    leaf = load(tmp_path / "certs" / "b2bua-service.crt")
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == {"b2bua-service", "sip-b2bua-service",
                                                          "sentiric.cloud", "localhost"}
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in usages and ExtendedKeyUsageOID.CLIENT_AUTH in usages  # mTLS both ways
    leaf.verify_directly_issued_by(ca)
    # an independent TLS stack accepts the pair: OpenSSL via the ssl module, hostname checked by name
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "certs" / "b2bua-service-chain.crt", tmp_path / "certs" / "b2bua-service.key")
    server.load_verify_locations(tmp_path / "certs" / "ca.crt")
    server.verify_mode = ssl.CERT_REQUIRED
    client = ssl.create_default_context(cafile=str(tmp_path / "certs" / "ca.crt"))
    client.load_cert_chain(tmp_path / "certs" / "user-service.crt", tmp_path / "certs" / "user-service.key")
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client.wrap_bio(c_in, c_out, server_hostname="sip-b2bua-service")
    s = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for side in (c, s):
            try:
                side.do_handshake()
            except ssl.SSLWantReadError:
                pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
    assert c.version() and s.getpeercert()["subject"][0][0][1] == "user-service"


def test_nothing_is_ever_overwritten_and_missing_pieces_are_added(tmp_path):
    generate(tmp_path, PLAN[:1], days=30)
    before = {p.name: p.read_bytes() for p in (tmp_path / "certs").iterdir()}
    created, kept = generate(tmp_path, PLAN, days=30)
    after = {p.name: p.read_bytes() for p in (tmp_path / "certs").iterdir()}
    assert all(after[name] == data for name, data in before.items())
    assert {"certs/b2bua-service.crt", "certs/b2bua-service.key"} <= set(created)
    load(tmp_path / "certs" / "b2bua-service.crt").verify_directly_issued_by(load(tmp_path / "certs" / "ca.crt"))
    (tmp_path / "certs" / "user-service.crt").unlink()
    with pytest.raises(SymphonyError) as err:  # a key without its certificate: never replaced silently
        generate(tmp_path, PLAN, days=30)
    assert "user-service.key" in err.value.message


def test_an_incomplete_ca_is_refused_not_replaced(tmp_path):
    generate(tmp_path, PLAN[:1], days=30)
    (tmp_path / "ca-private" / "ca.key").unlink()
    ca = (tmp_path / "certs" / "ca.crt").read_bytes()
    with pytest.raises(SymphonyError):
        generate(tmp_path, PLAN, days=30)
    assert (tmp_path / "certs" / "ca.crt").read_bytes() == ca


def test_inspect_reports_missing_expiring_and_expired(tmp_path):
    assert any("missing" in f.message for f in inspect(tmp_path, PLAN))
    generate(tmp_path, PLAN, days=20)
    now = datetime.datetime.now(datetime.timezone.utc)
    # crt + chain expire in 20 days
    assert [f.level for f in inspect(tmp_path, PLAN, now)] == ["warn"] * (2 * len(PLAN))
    later = [f for f in inspect(tmp_path, PLAN, now + datetime.timedelta(days=21))]
    assert {f.level for f in later} == {"fail"} and all("expired" in f.message for f in later)


def test_bad_days_and_a_file_where_the_directory_should_be(tmp_path):
    with pytest.raises(UsageError):
        generate(tmp_path, PLAN, days=0)
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError):
        generate(tmp_path / "file", PLAN, days=10)


@pytest.mark.parametrize("days", ["abc", "", "1.5", "1e9", "nan", "-1", "99999999999", "3000000", "٣"])
def test_days_that_are_no_whole_number_of_days_are_refused(tmp_path, days):
    with pytest.raises(UsageError, match="is not a number of days"):
        generate(tmp_path, PLAN, days=days)
    assert list(tmp_path.iterdir()) == []


def test_a_half_pair_is_refused_before_the_ca_is_written(tmp_path):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "b2bua-service.key").write_text("orphan")
    with pytest.raises(SymphonyError, match="exists without its pair"):
        generate(tmp_path, PLAN, days=30)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["b2bua-service.key", "certs"]  # no CA left behind


def test_a_fifo_where_a_certificate_or_the_ca_should_be_is_refused_not_waited_on(tmp_path):
    for fifo in ("certs/user-service.crt", "certs/ca.crt"):
        generate(tmp_path / fifo.replace("/", "-"), PLAN[:1], days=30)
        target = tmp_path / fifo.replace("/", "-") / fifo
        target.unlink()
        os.mkfifo(target)
        with pytest.raises(UsageError, match="is a FIFO"):
            generate(tmp_path / fifo.replace("/", "-"), PLAN, days=30)


def test_a_dry_run_into_a_new_directory_says_what_it_would_write(tmp_path, capsys):
    created, _ = generate(tmp_path / "new", PLAN, days=30, dry_run=True)
    assert not (tmp_path / "new").exists() and "certs/ca.crt" in created
    assert f"+ (write {tmp_path / 'new' / 'certs' / 'ca.crt'}, mode 0644)" in capsys.readouterr().out


@pytest.mark.parametrize("directory", ["", "  ", "FILE"])
def test_a_dir_flag_that_names_no_directory_is_refused(tmp_path, directory):
    from symphony.app.certificates import profile_certificates
    from symphony.infra.settings import Settings

    (tmp_path / "FILE").write_text("x")
    given = str(tmp_path / directory) if directory == "FILE" else directory
    with pytest.raises(UsageError, match="names no directory|is not a directory"):
        profile_certificates(Settings(), "core", None, given)
