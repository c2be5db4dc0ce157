"""The Helm chart: values validate against values.schema.json, the default render equals the
plain manifests (test-only template evaluator), and Helm's own linter accepts it (helm-sdkpy)."""
from __future__ import annotations

import glob
import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.helm_subset import render
from tests.invoke_helpers import inv

MEANINGS = Path(__file__).parent.parent / "k8s_cases" / "meanings"


def export(tmp_path, profile, fmt):
    out = tmp_path / f"{profile}-{fmt}"
    res = inv("k8s.export", "--profile", profile, "--format", fmt, "--output", str(out), state_dir=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    return out


def rendered_objects(chart, values, namespace="release-ns"):
    objs = []
    for path in sorted((chart / "templates").glob("*.yaml")):
        objs += [d for d in yaml.safe_load_all(render(path.read_text(), values, namespace)) if d]
    return objs


def plain_objects(directory):
    objs = []
    for path in sorted(directory.glob("*.yaml")):
        objs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return objs


def key(obj):
    return obj["kind"], obj["metadata"]["name"]


@pytest.mark.parametrize("profile", ["demo", "prod"])
def test_default_render_equals_the_plain_manifests(profile, tmp_path):
    """The chart follows the release: every object lands in `helm install -n NS`'s namespace, and
    the chart ships no Namespace of its own; otherwise the render is the plain manifests."""
    chart, plain = export(tmp_path, profile, "helm"), export(tmp_path, profile, "manifests")
    values = yaml.safe_load((chart / "values.yaml").read_text())
    jsonschema.validate(values, json.loads((chart / "values.schema.json").read_text()))
    got = sorted(rendered_objects(chart, values, "release-ns"), key=key)
    want = sorted(plain_objects(plain), key=key)
    assert "Namespace" not in {o["kind"] for o in got}
    assert {o["metadata"]["namespace"] for o in got} == {"release-ns"}
    assert all("namespace" not in o["metadata"] for o in want)  # plain manifests follow kubectl -n
    for obj in want:
        obj["metadata"]["namespace"] = "release-ns"
    assert [key(o) for o in got] == [key(o) for o in want]
    assert got == want


@pytest.mark.parametrize("expose", [["--expose", "loadbalancer"], ["--expose", "ingress", "--ingress-domain", "a.org"]])
def test_default_render_equals_the_plain_manifests_for_each_exposure(expose, tmp_path):
    outs = {}
    for fmt in ("helm", "manifests"):
        outs[fmt] = tmp_path / fmt
        res = inv("k8s.export", "--file", str(MEANINGS / "published.yml"), "--format", fmt, *expose,
                  "--output", str(outs[fmt]), state_dir=tmp_path)
        assert res.returncode == 0, res.stderr
    values = yaml.safe_load((outs["helm"] / "values.yaml").read_text())
    got = sorted(rendered_objects(outs["helm"], values, "ns"), key=key)
    want = sorted(plain_objects(outs["manifests"]), key=key)
    for obj in want:
        obj["metadata"]["namespace"] = "ns"
    assert got == want and {o["kind"] for o in got} >= {"Service", "Deployment"}


def test_values_drive_the_render_and_the_schema_guards_them(tmp_path):
    chart = export(tmp_path, "demo", "helm")
    values = yaml.safe_load((chart / "values.yaml").read_text())
    gateway = values["services"]["api-gateway"]
    gateway["image"]["tag"] = "1.2.3"
    gateway["replicas"] = 3
    gateway["resources"] = {"limits": {"memory": "256Mi", "cpu": "500m"}}
    gateway["ingress"].update(enabled=True, host="api.example.org")
    values["services"]["datastore"]["persistence"]["datastore-data"]["size"] = "5Gi"
    objs = {key(o): o for o in rendered_objects(chart, values)}
    deployment = objs["Deployment", "api-gateway"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "sentiric-demo-api-gateway:1.2.3" and deployment["spec"]["replicas"] == 3
    assert container["resources"]["limits"]["memory"] == "256Mi"
    assert objs["Ingress", "api-gateway"]["spec"]["rules"][0]["host"] == "api.example.org"
    storage = objs["StatefulSet", "datastore"]["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]
    assert storage["storage"] == "5Gi"
    schema = json.loads((chart / "values.schema.json").read_text())
    persistence = values["services"]["datastore"]["persistence"]["datastore-data"]
    for size in ("10G", "1.5Gi", "500M", "1e9"):  # every quantity the API server takes for a claim's storage
        persistence["size"] = size
        jsonschema.validate(values, schema)
    persistence["size"] = "10GB"  # no Kubernetes quantity
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(values, schema)
    persistence["size"] = "5Gi"
    gateway["resources"] = {"limits": {"memory": "10485760e3"}}  # kompose's famous quantity
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(values, schema)


def python312_with_helm():
    for python in sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python"))):
        if subprocess.run([python, "-c", "import helm_sdkpy"], capture_output=True).returncode == 0:
            return python
    return None


LINT = """
import asyncio, json, sys
import helm_sdkpy
print(json.dumps(asyncio.run(helm_sdkpy.Lint(helm_sdkpy.Configuration()).run(sys.argv[1]))))
"""


@pytest.mark.skipif(python312_with_helm() is None,
                    reason="helm-sdkpy (Python 3.12) not installed: chart not linted by Helm")
def test_helm_lints_the_chart(tmp_path):
    chart = export(tmp_path, "prod", "helm")
    res = subprocess.run([python312_with_helm(), "-c", LINT, str(chart)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert not report["Errors"], report
    assert all(m["Severity"] <= 1 for m in report["Messages"]), report  # INFO only (e.g. no icon)
    braces = tmp_path / "braces"  # compose text with Go-template syntax: escaped, so Helm accepts the chart
    res = inv("k8s.export", "--file", str(MEANINGS / "braces.yml"), "--format", "helm", "--output", str(braces),
              state_dir=tmp_path)
    assert res.returncode == 0, res.stderr
    report = json.loads(subprocess.run([python312_with_helm(), "-c", LINT, str(braces)], capture_output=True,
                                       text=True).stdout)
    assert not report["Errors"], report
    (chart / "templates" / "zz-broken.yaml").write_text("{{ .Values.services.nope.image }}\n")
    broken = subprocess.run([python312_with_helm(), "-c", LINT, str(chart)], capture_output=True, text=True)
    assert broken.returncode != 0 or json.loads(broken.stdout)["Errors"]
