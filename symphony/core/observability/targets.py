"""Prometheus `/api/v1/targets` → one row per target (pure)."""
from __future__ import annotations


def summarize_targets(payload: dict) -> list[dict]:
    rows = []
    for t in (payload.get("data") or {}).get("activeTargets") or []:
        labels = t.get("labels") or {}
        rows.append({
            "service": labels.get("service", labels.get("job", "?")),
            "project": labels.get("project", ""),
            "container": labels.get("container", ""),
            "address": t.get("scrapeUrl") or labels.get("instance", ""),
            "health": t.get("health", "unknown"),
            "error": t.get("lastError", ""),
        })
    return sorted(rows, key=lambda r: (r["project"], r["service"], r["address"]))
