"""`platform.audit`: compare the catalog with the service checkouts the dev profile builds from
(`../sentiric-<repo>` by default) and say where they disagree."""
from __future__ import annotations

from pathlib import Path

from symphony.errors import SymphonyError, UsageError
from symphony.infra import console as ui

MAX_FILE = 2 * 1024 * 1024  # a generated or vendored blob is not code the audit needs
SKIP_DIRS = {".git", "node_modules", "vendor", "target", "dist", "build", ".venv", "__pycache__"}


def checkout_files(root: Path) -> dict[str, str]:
    """Repo-relative path -> text of the Dockerfile and every code file (symlinks not followed)."""
    from symphony.core.platform.audit import CODE_SUFFIXES

    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS for part in rel.parts) or path.is_symlink() or not path.is_file():
            continue
        if rel.as_posix() == "Dockerfile" or path.suffix in CODE_SUFFIXES:
            if path.stat().st_size <= MAX_FILE:
                files[rel.as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    return files


def audit(path: Path, services=None) -> tuple[int, int, list[str]]:
    """(services audited, findings, services without a checkout); prints each finding."""
    from symphony.app.platform import CATALOG_DIR, platform_catalog
    from symphony.core.platform.audit import catalog_lines, compare, read_checkout

    catalog = platform_catalog()
    names = list(services or catalog.services)
    unknown = [n for n in names if n not in catalog.services]
    if unknown:
        raise UsageError(f"no catalog service {', '.join(unknown)}", hint=f"services: {', '.join(catalog.services)}")
    if not path.is_dir():
        raise UsageError(f"--path {path} is not a directory",
                         hint="give the directory holding the sentiric-* checkouts")
    audited, total, missing = 0, 0, []
    pinned = [f"{n} ({catalog.services[n].image})" for n in names if not catalog.services[n].sentiric]
    if pinned:
        # their facts come from the image's own repository at the commit of the pinned tag; a newer
        # commit there describes another tag, so a checkout of it is no evidence either way
        ui.status("info", "not audited (third-party images pinned by tag; the catalog cites their repository "
                          "at that tag's commit): " + ", ".join(pinned))
    for name in names:
        svc = catalog.services[name]
        checkout = path / svc.source_dir
        if not (checkout / "Dockerfile").is_file() or not svc.sentiric:
            if svc.sentiric:
                missing.append(f"{name} ({checkout})")
            continue
        audited += 1
        catalog_file = CATALOG_DIR / f"{name}.yaml"
        lines = catalog_lines(catalog_file.read_text(encoding="utf-8"))
        facts = read_checkout(checkout_files(checkout), str(checkout))
        findings = compare(svc, facts, lines, str(catalog_file.relative_to(CATALOG_DIR.parent.parent)))
        head = _head(checkout)
        if head and head != svc.commit:
            ui.status("info", f"{name}: checkout at {head[:12]}, the catalog was read at {svc.commit[:12]}")
        for f in findings:
            ui.status("fail", f"{name}: " + f.render())
        if not findings:
            ui.status("ok", f"{name}: the catalog agrees with {checkout}")
        total += len(findings)
    return audited, total, missing


def _head(checkout: Path) -> str:
    from symphony.infra.runner import Runner

    try:
        res = Runner(echo=False).query(["git", "-C", str(checkout), "rev-parse", "HEAD"], check=False)
    except SymphonyError:
        return ""
    return res.stdout.strip() if res.code == 0 else ""
