"""`certs.*`: the development CA and the services' mTLS certificates."""
from __future__ import annotations

from symphony.cli import DRY_HELP, settings, task


@task(help={
    "profile": "profile whose services get certificates (default: the active profile)",
    "dir": "certificates directory (default: the profile's SENTIRIC_CERTS_DIR)",
    "days": "validity of new service certificates in days (default 365; the CA gets 10 years)",
    "config": "config repo path (default: the usual config source)",
    "dry_run": DRY_HELP,
})
def generate(c, profile=None, dir=None, days=None, config=None, dry_run=False):
    """Create a development CA and a certificate per service (never overwrites)."""
    from symphony.app.certificates import generate as make
    from symphony.app.certificates import profile_certificates, validity_days
    from symphony.infra import console as ui

    days = validity_days(365 if days is None else days)  # text, not Invoke's int: "abc" is Symphony's message
    certs_dir, plan = profile_certificates(settings(c), profile, config, dir)
    created, kept = make(certs_dir, plan, days=days, dry_run=dry_run or bool(getattr(c.config.run, "dry", False)))
    if not dry_run:
        ui.status("ok", f"{certs_dir}: {len(created)} file(s) created, {len(kept)} kept (never overwritten)")


@task(help={"profile": "profile to check (default: the active profile)",
            "dir": "certificates directory (default: the profile's SENTIRIC_CERTS_DIR)",
            "config": "config repo path (default: the usual config source)"})
def check(c, profile=None, dir=None, config=None):
    """Missing, expired or expiring certificates of the profile's services (exit 1 on a failure)."""
    from symphony.app.certificates import inspect, profile_certificates
    from symphony.errors import SymphonyError
    from symphony.infra import console as ui

    certs_dir, plan = profile_certificates(settings(c), profile, config, dir)
    findings = inspect(certs_dir, plan)
    for f in findings:
        ui.status(f.level, f.message, "inv certs.generate" if f.level == "fail" else "")
    if any(f.level == "fail" for f in findings):
        raise SymphonyError(f"certificates in {certs_dir} are not usable", hint="inv certs.generate")
    if not findings:
        ui.status("ok", f"{len(plan)} service certificate(s) and the CA in {certs_dir} are present and valid")
