"""Deterministic YAML for manifests: sorted keys, block style, no timestamps, stable order."""
from __future__ import annotations


def dump_all(objs: list[dict]) -> str:
    import yaml

    class _Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data):  # plain YAML for reviewers and kubectl: no &id001 anchors
            return True

    def _str(dumper, value):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    return "".join("---\n" + yaml.dump(o, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=1000,
                                       allow_unicode=True)
                   for o in objs)


def group_by_service(objs: list[dict]) -> dict[str, list[dict]]:
    """File name (one per service) → its objects, in kind order."""
    files: dict[str, list[dict]] = {}
    for obj in objs:
        labels = obj["metadata"].get("labels") or {}
        name = labels.get("app.kubernetes.io/name") or obj["metadata"]["name"]
        files.setdefault(f"{name}.yaml", []).append(obj)
    return dict(sorted(files.items()))
