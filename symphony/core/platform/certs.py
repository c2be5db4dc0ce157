"""Which certificates the platform's services need, and where they live (pure).

The services read their mTLS material from files under /sentiric-certificates/certs (the
catalog's env values): `ca.crt`, `<service>.crt` (also `<service>-chain.crt`, leaf + CA, the
name some services default to) and `<service>.key`. Symphony mounts only the `certs/` folder of
SENTIRIC_CERTS_DIR; the CA's private key stays in `ca-private/`, which no container sees.
Every gRPC server here demands a client certificate, so each service's certificate is both a
server and a client certificate; its names are the service's compose name, the names its
callers verify (catalog `tls_names`, e.g. the fixed `sentiric.cloud`), and localhost.
"""
from __future__ import annotations

from dataclasses import dataclass

CERTS_SUBDIR = "certs"
CA_PRIVATE_SUBDIR = "ca-private"
CA_CERT = "ca.crt"
CA_KEY = "ca.key"
EXTRA_NAMES = ("localhost",)
EXTRA_IPS = ("127.0.0.1",)


@dataclass(frozen=True)
class CertSpec:
    service: str
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    uid: int | None  # the uid the service's process runs as: it must be able to read its key

    @property
    def files(self) -> tuple[str, str, str]:
        return f"{self.service}.crt", f"{self.service}-chain.crt", f"{self.service}.key"


def certificate_plan(services) -> list[CertSpec]:
    """One CertSpec per catalog service that reads certificates."""
    plan = []
    for svc in services:
        if not svc.certificates:
            continue
        names = tuple(dict.fromkeys((svc.name, *svc.tls_names, *EXTRA_NAMES)))
        uid = int(svc.process_uid) if svc.process_uid.isdigit() else None
        plan.append(CertSpec(svc.name, names, EXTRA_IPS, uid))
    return sorted(plan, key=lambda c: c.service)
