"""`certs.generate` and the certificate checks of `doctor` and `start`: a development CA and one
certificate per service, laid out as the services expect (core/platform/certs.py).

Keys are EC P-256, unencrypted PKCS#8 PEM (no service takes a passphrase), mode 0600 and owned
by the uid the service runs as (when Symphony runs as root), so a non-root service can read its
own key and no other user can. Existing files are never overwritten: a missing certificate is
added with the existing CA; to renew one, delete it and run again.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from symphony.core.platform.certs import CA_CERT, CA_KEY, CA_PRIVATE_SUBDIR, CERTS_SUBDIR, CertSpec
from symphony.errors import SymphonyError, UsageError
from symphony.infra import console as ui
from symphony.infra.files import read_file_bytes, write_file

CA_DAYS = 3650
EXPIRY_WARNING_DAYS = 30


@dataclass
class CertFinding:
    level: str   # ok | warn | fail
    message: str


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_cert(cert) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _new_ca(days: int):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sentiric development"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Sentiric development CA (Symphony)")])
    now = _now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def _leaf(spec: CertSpec, ca_cert, ca_key, days: int):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = _key()
    now = _now()
    sans = ([x509.DNSName(n) for n in spec.dns_names]
            + [x509.IPAddress(ipaddress.ip_address(i)) for i in spec.ip_addresses])
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spec.service)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, key_cert_sign=False,
                                         crl_sign=False, content_commitment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


def _check_dir(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise UsageError(f"{path} exists and is not a directory", hint="choose another --dir")


def _dir(path: Path, mode: int, dry_run: bool) -> None:
    _check_dir(path)
    if not path.exists() and not dry_run:
        path.mkdir(parents=True, mode=mode)
        os.chmod(path, mode)


def _chown(path: Path, uid: int | None) -> None:
    if uid is not None and os.geteuid() == 0:
        os.chown(path, uid, -1)


def _load_ca(certs_dir: Path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert_path, key_path = certs_dir / CERTS_SUBDIR / CA_CERT, certs_dir / CA_PRIVATE_SUBDIR / CA_KEY
    if not cert_path.exists() and not key_path.exists():
        return None
    if not (cert_path.exists() and key_path.exists()):
        missing = key_path if cert_path.exists() else cert_path
        raise SymphonyError(f"the CA in {certs_dir} is incomplete: {missing} is missing",
                            hint="restore it, or move the directory away to start a new CA (every service "
                                 "certificate must then be generated again)")
    try:
        return (x509.load_pem_x509_certificate(read_file_bytes(cert_path)),
                serialization.load_pem_private_key(read_file_bytes(key_path), password=None))
    except (ValueError, TypeError) as exc:
        raise SymphonyError(f"cannot read the CA in {certs_dir}: {exc}") from None


MAX_DAYS = 36500  # 100 years; X.509 dates end in 9999 and Python's in year 9999 too


def validity_days(value) -> int:
    """--days as a whole positive number of days, or a usage error."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_DAYS:
        raise UsageError(f"--days {str(value)!r} is not a number of days from 1 to {MAX_DAYS}",
                         hint="e.g. --days 365")
    return int(text)


def generate(certs_dir: Path, plan: list[CertSpec], *, days: int = 365,
             dry_run: bool = False) -> tuple[list[str], list[str]]:
    """Create what is missing; returns (created, kept) file names. Never overwrites. Everything
    that refuses (a half pair, an unreadable CA) does so before the first write."""
    days = validity_days(days)
    certs_dir = Path(certs_dir)
    for level in (certs_dir, certs_dir / CERTS_SUBDIR, certs_dir / CA_PRIVATE_SUBDIR):
        _check_dir(level)
    ca = None if not certs_dir.exists() else _load_ca(certs_dir)
    for spec in plan:
        crt, _, key = (certs_dir / CERTS_SUBDIR / f for f in spec.files)
        for path in (crt, key):
            if path.exists() or path.is_symlink():
                read_file_bytes(path)  # a FIFO or a directory: refused here, not hung on later
        if crt.exists() != key.exists():
            present = crt if crt.exists() else key
            raise SymphonyError(f"{present} exists without its pair; refusing to overwrite it (nothing was written)",
                                hint=f"restore the missing file, or delete {present} to issue a new certificate")
    _dir(certs_dir, 0o755, dry_run)
    _dir(certs_dir / CERTS_SUBDIR, 0o755, dry_run)
    _dir(certs_dir / CA_PRIVATE_SUBDIR, 0o700, dry_run)
    created, kept = [], []
    say = lambda line: ui.say(ui.paint(line, "info"))  # noqa: E731

    def write(path: Path, data: bytes, mode: int) -> None:
        if dry_run and not path.parent.exists():  # a directory the run would create first
            say(f"+ (write {path}, mode {mode:04o})")
        else:
            write_file(path, data, mode=mode, dry_run=dry_run, say=say)

    if ca is None:
        ca = _new_ca(CA_DAYS)
        write(certs_dir / CA_PRIVATE_SUBDIR / CA_KEY, _pem_key(ca[1]), 0o600)
        write(certs_dir / CERTS_SUBDIR / CA_CERT, _pem_cert(ca[0]), 0o644)
        created += [f"{CA_PRIVATE_SUBDIR}/{CA_KEY}", f"{CERTS_SUBDIR}/{CA_CERT}"]
    else:
        kept.append(f"{CERTS_SUBDIR}/{CA_CERT}")
    ca_cert, ca_key = ca
    for spec in plan:
        crt, chain, key = (certs_dir / CERTS_SUBDIR / f for f in spec.files)
        if crt.exists() and key.exists():
            kept.append(f"{CERTS_SUBDIR}/{crt.name}")
            if not chain.exists():  # the chain is derived from the two: add it without touching them
                write(chain, read_file_bytes(crt) + _pem_cert(ca_cert), 0o644)
                created.append(f"{CERTS_SUBDIR}/{chain.name}")
            continue
        cert, private = _leaf(spec, ca_cert, ca_key, days)
        write(key, _pem_key(private), 0o600)
        if not dry_run:
            _chown(key, spec.uid)
        write(crt, _pem_cert(cert), 0o644)
        write(chain, _pem_cert(cert) + _pem_cert(ca_cert), 0o644)
        created += [f"{CERTS_SUBDIR}/{n}" for n in spec.files]
    return created, kept


def inspect(certs_dir: Path, plan: list[CertSpec], now: datetime.datetime | None = None) -> list[CertFinding]:
    """Missing, unreadable, expired or expiring certificates; keys others can read."""
    from cryptography import x509

    now = now or _now()
    findings = []
    certs_dir = Path(certs_dir)
    files = [(CA_CERT, None)] + [(f, spec) for spec in plan for f in spec.files]
    missing = [f for f, _ in files if not (certs_dir / CERTS_SUBDIR / f).is_file()]
    if missing:
        findings.append(CertFinding("fail", f"{len(missing)} certificate file(s) missing in "
                                            f"{certs_dir / CERTS_SUBDIR}: "
                                            + ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")))
    for name, _spec in files:
        path = certs_dir / CERTS_SUBDIR / name
        if not path.is_file():
            continue
        if name.endswith(".key"):
            if path.stat().st_mode & 0o077:
                findings.append(CertFinding("warn", f"{path} is readable by others "
                                                    f"(mode {path.stat().st_mode & 0o777:04o})"))
            continue
        try:
            cert = x509.load_pem_x509_certificate(path.read_bytes())
        except ValueError:
            findings.append(CertFinding("fail", f"{path} is not a PEM certificate"))
            continue
        left = cert.not_valid_after_utc - now
        if left.total_seconds() <= 0:
            findings.append(CertFinding("fail", f"{path} expired on {cert.not_valid_after_utc:%Y-%m-%d}"))
        elif left.days < EXPIRY_WARNING_DAYS:
            findings.append(CertFinding("warn", f"{path} expires in {left.days} day(s) "
                                                f"({cert.not_valid_after_utc:%Y-%m-%d})"))
    return findings


def profile_certificates(settings, profile: str | None, config=None, directory=None):
    """(certificates directory, plan) for a profile: the directory from --dir, else the profile's
    SENTIRIC_CERTS_DIR; the plan for the catalog services of the profile."""
    from symphony.app.envfile import compile_profile, resolve_profile
    from symphony.app.platform import platform_catalog
    from symphony.core.platform.certs import certificate_plan

    profile = resolve_profile(settings, profile)
    catalog = platform_catalog()
    members = catalog.profiles.get(profile, ())
    if directory is not None:
        if not str(directory).strip():  # not "the default" by accident (an unset shell variable)
            raise UsageError(f"--dir {directory!r} names no directory", hint="give the certificates directory")
        certs_dir = Path(directory).expanduser().resolve()
        if certs_dir.exists() and not certs_dir.is_dir():
            raise UsageError(f"--dir {directory} is not a directory", hint="give the certificates directory")
    else:
        compiled, _ = compile_profile(settings, profile, config, allow_undefined=True)
        value = compiled.values.get("SENTIRIC_CERTS_DIR", "")
        if not value:
            raise UsageError(f"profile {profile!r} defines no SENTIRIC_CERTS_DIR",
                             hint="pass --dir, or define it in the config repo")
        certs_dir = Path(value).expanduser().resolve()
    return certs_dir, certificate_plan(catalog.services[n] for n in members)
