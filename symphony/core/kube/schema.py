"""Strict Kubernetes schema validation with the schemas kubernetes-validate ships, cached.

`kubernetes_validate.validate` re-reads and re-parses the multi-megabyte definitions file for
every object; an export has hundreds of objects, so the validator is built once per kind.
"""
from __future__ import annotations

import functools
import re


class SchemaMissing(Exception):
    pass


def check_version(version: str) -> str:
    """A Kubernetes minor version the bundled schemas cover ("1.31"), or a usage error."""
    from kubernetes_validate import utils

    from symphony.errors import UsageError

    wanted = str(version).lstrip("v")
    known = sorted({utils.major_minor(v) for v in utils.all_versions()}, key=lambda v: tuple(map(int, v.split("."))))
    if not re.match(r"^\d+\.\d+(\.\d+)?$", wanted) or utils.major_minor(wanted) not in known:
        raise UsageError(f"--kubernetes-version {version!r} is not one the bundled schemas cover",
                         hint=f"choose one of {known[0]} .. {known[-1]}")
    return wanted


@functools.lru_cache(maxsize=None)
def _version_dir(desired: str) -> str:
    from kubernetes_validate import utils

    desired = desired.lstrip("v")
    versions = [v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(desired)]
    if not versions:
        raise SchemaMissing(f"no schemas for Kubernetes {desired}")
    return f"v{versions[-1]}-local-strict"


@functools.lru_cache(maxsize=None)
def _definitions(schema_dir: str, desired: str):
    from kubernetes_validate import utils

    return utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", desired)


@functools.lru_cache(maxsize=None)
def validator_for(kind: str, api_version: str, desired: str):
    import jsonschema
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    schema_dir = _version_dir(desired)
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{api}.json", desired)
    except FileNotFoundError:
        raise SchemaMissing(f"no schema for {api_version}/{kind} in Kubernetes {desired}") from None
    registry = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(_definitions(schema_dir, desired)) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def schema_errors(obj: dict, desired: str) -> list[str]:
    """Every schema violation of `obj` as `message at path`; [] when valid."""
    try:
        validator = validator_for(obj.get("kind", ""), obj.get("apiVersion", ""), desired)
    except SchemaMissing as exc:
        return [str(exc)]
    return [f"{e.message} at /{'/'.join(str(p) for p in e.absolute_path)}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]
