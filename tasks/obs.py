"""`obs.*`: Prometheus, Grafana, Loki with a log collector, Tempo or Jaeger, on sentiric-net."""
from __future__ import annotations

from symphony.cli import CONTEXT_HELP, DRY_HELP, settings, task


@task(iterable=["service"], help={
    "service": "only this observability service (repeatable): prometheus, grafana, loki, alloy, promtail, tempo, "
               "jaeger",
    "collector": "log collector: alloy (default), promtail (end of life), none (with --log-driver loki on the "
                 "platform)",
    "tracing": "trace backend: tempo (default), jaeger, none",
    "profile": "profile whose env supplies GRAFANA_ADMIN_PASSWORD and ports (default: the active one)",
    "config": "config repo path (default: the usual config source)",
    "standalone": "start even though no profile runs on the engine (Prometheus finds services started later)",
    "dry_run": DRY_HELP, "context": CONTEXT_HELP,
})
def up(c, service=None, collector="alloy", tracing="tempo", profile=None, config=None, standalone=False, dry_run=False,
       context=None):
    """Start the observability stack on sentiric-net (UIs on 127.0.0.1)."""
    from symphony.app.observability import bring_up, print_urls, report_untailed
    from symphony.infra.runner import engine_runner

    runner = engine_runner(c, context, dry_run)
    env = bring_up(settings(c), runner, services=service or (), collector=collector, tracing=tracing, profile=profile,
                   config=config, standalone=standalone)
    if not runner.dry_run:
        print_urls(env)
        report_untailed(runner, collector, service or ())


@task(help={"volumes": "also delete the stack's volumes (metrics, logs, traces, Grafana state)",
            "yes": "do not ask for confirmation", "dry_run": DRY_HELP, "context": CONTEXT_HELP})
def down(c, volumes=False, yes=False, dry_run=False, context=None):
    """Stop the observability stack (its data volumes are kept unless --volumes)."""
    from symphony.app.observability import stop_stack
    from symphony.infra.runner import engine_runner

    stop_stack(engine_runner(c, context, dry_run), volumes, yes)


@task(help={"json": "print JSON for scripts", "context": CONTEXT_HELP})
def status(c, json=False, context=None):
    """Backends ready or not, Prometheus targets up/down per service, the URLs."""
    import json as jsonlib

    from symphony.app.observability import stack_status
    from symphony.infra import console as ui
    from symphony.infra.runner import engine_runner

    report = stack_status(engine_runner(c, context, False))
    if json:
        print(jsonlib.dumps(report, indent=2))
        return
    if not report["backends"]:
        ui.status("warn", "the observability stack is not running", "inv obs.up")
        return
    for name, health in sorted(report["backends"].items()):
        ui.status("ok" if health in ("healthy", "running", "completed") else "warn",
                  f"{name:<12} {health:<10} {' '.join(report['urls'].get(name, []))}")
    if report["targets_error"]:
        ui.status("warn", f"Prometheus did not answer its targets API: {report['targets_error']}")
    elif report["prometheus_running"] and not report["targets"]:
        ui.status("warn", "Prometheus answered no targets yet (discovery refreshes every 5s)")
    for t in report["targets"]:
        ui.status("ok" if t["health"] == "up" else "fail",
                  f"target {t['service']:<22} {t['health']:<5} {t['project']:<18} {t['address']} {t['error']}".rstrip())


@task(help={"check": "do not write; fail if a committed file differs from its builder"})
def render(c, check=False):
    """Write the Overview dashboard and the Grafana datasources from their builders."""
    from symphony.app.generated import sync_generated
    from symphony.app.observability import generated_files

    sync_generated(generated_files(), check=check, source="its builder in symphony/core/observability/",
                   fix="inv obs.render")


@task(help={"profile": "profile to plan for (default: the active one)",
            "config": "config repo path (default: the usual config source)"})
def plan(c, profile=None, config=None):
    """What Prometheus will scrape for a profile's services (port, path, why), without running it."""
    from symphony.app.observability import print_scrape_plan
    from symphony.infra.runner import parse_context

    print_scrape_plan(settings(c), parse_context(c, None, False), profile, config)
