"""Compose volumes, binds, tmpfs, secrets and configs → pod volumes, mounts and their objects (pure).

The shell reads the host side (`HostPath` per bind source and secret/config file); nothing here
touches the file system.
"""
from __future__ import annotations

import base64
import posixpath
from dataclasses import dataclass, field

from symphony.core.kube import quantities
from symphony.core.kube.names import config_key, dns_label, is_config_key, is_dns_subdomain
from symphony.core.secrets import is_secret

# a ConfigMap/Secret holds at most 1 MiB (etcd's object limit) including its metadata
OBJECT_BUDGET = 1024 * 1024 - 16 * 1024
DEFAULT_VOLUME_SIZE = "1Gi"
SIZE_LABEL = "com.sentiric.volume.size"
SECRET_FILE_SUFFIXES = (".key", ".pem", ".p12", ".pfx", ".jks", ".keystore", ".env")


@dataclass(frozen=True)
class HostPath:
    """What the shell found at a host path: kind is "file", "dir", "missing", "outside" (not
    under a directory the export may read), "special" (socket, device), "large" (more than an
    object holds; not read) or "unreadable"."""

    kind: str
    files: dict = field(default_factory=dict)  # relative path → bytes
    skipped: tuple = ()  # relative paths left out (symlinks, sockets) with the reason


@dataclass
class PodStorage:
    volumes: list = field(default_factory=list)
    mounts: list = field(default_factory=list)
    objects: list = field(default_factory=list)  # ConfigMaps, Secrets, PVCs of this service
    claim_templates: list = field(default_factory=list)
    rwo_claims: bool = False  # a ReadWriteOnce claim shared by the replicas (Deployment → Recreate)
    writable: bool = False  # a volume the container writes to (fsGroup makes it group-writable)

    def volume_name(self, desired: str) -> str:
        taken = {v["name"] for v in self.volumes} | {t["metadata"]["name"] for t in self.claim_templates}
        name, n = dns_label(desired), 2
        while name in taken:
            suffix = f"-{n}"
            name, n = dns_label(desired, 63 - len(suffix)) + suffix, n + 1
        return name


def is_secret_files(source: str, files: dict, known=None) -> bool:
    """Certificates directories, key files and files named like secrets go to a Secret, and so do
    files whose text holds a secret (holds_secret)."""
    parts = source.replace("\\", "/").split("/")
    return "tls" in parts or "secrets" in parts or any(
        f.lower().endswith(SECRET_FILE_SUFFIXES) or is_secret(posixpath.basename(f).split(".")[0]) for f in files) \
        or holds_secret(files, known)


def holds_secret(files: dict[str, bytes], known=None) -> bool:
    """A file's text that the secret rule calls secret as a ConfigMap entry (a URL with a password:
    what k8s.validate refuses in a ConfigMap), or that holds a value the `known` masker hides (the
    env's secrets, e.g. a config file with the database password written in)."""
    for rel, data in files.items():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if is_secret(config_key(rel), text) or (known is not None and known.spans(text)):
            return True
    return False


def files_object(kind: str, meta: dict, files: dict[str, bytes]) -> tuple[dict, list[dict]]:
    """(ConfigMap or Secret, volume items mapping keys back to relative paths; [] when the keys
    are the file names themselves)."""
    obj = {"apiVersion": "v1", "kind": kind, "metadata": meta}
    keys: dict[str, str] = {}
    for rel in sorted(files):
        key, n = config_key(rel), 2
        while key in keys:
            key, n = f"{config_key(rel)}-{n}", n + 1
        keys[key] = rel
    text, binary = {}, {}
    for key, rel in keys.items():
        try:
            text[key] = files[rel].decode("utf-8")
        except UnicodeDecodeError:
            binary[key] = base64.b64encode(files[rel]).decode()
    if kind == "Secret":
        obj["type"] = "Opaque"
        data = {k: base64.b64encode(v.encode()).decode() for k, v in text.items()} | binary
        if data:
            obj["data"] = dict(sorted(data.items()))
    else:
        if text:
            obj["data"] = text
        if binary:
            obj["binaryData"] = binary
    items = ([] if all(k == rel for k, rel in keys.items())
             else [{"key": k, "path": rel} for k, rel in sorted(keys.items())])
    return obj, items


def claim_size(declared: dict | None) -> str | None:
    """The claim's size: the volume's SIZE_LABEL when it is a positive Kubernetes quantity (the API
    server refuses anything else, e.g. "10GB"), the default when there is no label, None when the
    label is not a size."""
    from symphony.core.kube.quantities import parse_quantity

    labels = (declared or {}).get("labels") or {}
    size = str(labels.get(SIZE_LABEL, DEFAULT_VOLUME_SIZE)).strip()
    amount = parse_quantity(size)
    return size if amount is not None and amount > 0 else None


def claim(name: str, meta: dict, declared: dict | None) -> dict:
    size = claim_size(declared) or DEFAULT_VOLUME_SIZE
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {**meta, "name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}


def _subpath(value: str, where: str, warnings: list[str]) -> str | None:
    parts = str(value).split("/")
    if value.startswith("/") or ".." in parts:
        warnings.append(f"{where}: subpath {value!r} must be relative without '..'; left out")
        return None
    return value


def _report_sub(where: str, vol: dict, section: str, known: set[str], warnings: list[str], why: str) -> None:
    for key in sorted(set((vol.get(section) or {})) - known):
        value = vol[section][key]
        if value in (None, False, "", {}):
            continue
        warnings.append(f"{where}: {section}.{key} is not mapped ({why})")


def service_storage(ctx, name: str, svc: dict, *, meta, data_service: bool, one_shot: bool) -> PodStorage:
    """Everything `volumes`, `tmpfs` and `shm_size` of one service need."""
    st = PodStorage()
    warnings = ctx.warnings
    declared_volumes = ctx.model.get("volumes") or {}
    base = ctx.base[name]
    copied = []
    named: dict[str, str] = {}  # named volume -> the pod's volume for it (Compose mounts one volume, however often)
    for _index, vol in enumerate(svc.get("volumes") or []):
        target = vol.get("target", "")
        kind = vol.get("type")
        label = vol.get("source") or ("tmpfs" if kind == "tmpfs" else "(anonymous)")
        where = f"{name}: volume {label} -> {target}"
        read_only = bool(vol.get("read_only"))
        if vol.get("consistency"):
            warnings.append(f"{where}: consistency {vol['consistency']} is not mapped "
                            "(a Docker Desktop file-sharing hint)")
        if kind == "volume" and vol.get("source"):
            source = vol["source"]
            declared = declared_volumes.get(source) or {}
            options = vol.get("volume") or {}
            _report_sub(where, vol, "volume", {"nocopy", "subpath"}, warnings,
                        "volume labels apply when Docker creates it")
            if not options.get("nocopy"):
                copied.append(target)
            mount = {"mountPath": target, **({"readOnly": True} if read_only else {})}
            if options.get("subpath"):
                sub = _subpath(options["subpath"], where, warnings)
                if sub:
                    mount["subPath"] = sub
            if source in named:  # the same volume again (another path, a subpath): one claim, one more mount
                st.mounts.append({"name": named[source], **mount})
                st.writable |= not read_only
                continue
            if declared.get("driver") not in (None, "", "local"):
                warnings.append(f"{where}: volume driver {declared['driver']} is not mapped; the claim uses the "
                                "cluster's default storage class")
            if claim_size(declared) is None:
                warnings.append(f"volume {source}: {SIZE_LABEL} {str(declared['labels'][SIZE_LABEL])!r} is not a "
                                f"Kubernetes quantity (e.g. 10Gi, 500Mi); the claim asks for {DEFAULT_VOLUME_SIZE}")
            extra_labels = sorted(set(declared.get("labels") or {}) - {SIZE_LABEL})
            if extra_labels:
                warnings.append(f"volume {source}: labels {', '.join(extra_labels)} are not mapped (only "
                                f"{SIZE_LABEL} sizes the claim)")
            if declared.get("driver_opts"):
                opts = ", ".join(f"{k}={v}" for k, v in sorted(declared["driver_opts"].items()))
                warnings.append(f"{where}: driver_opts ({opts}) are not mapped: create a PersistentVolume with that "
                                "storage (e.g. NFS) and bind the claim to it; the claim uses the default storage class")
            if declared.get("external"):
                existing = str(declared.get("name") or source)
                if not is_dns_subdomain(existing):
                    warnings.append(f"{where}: external volume {existing!r} is not a valid claim name; not mounted "
                                    "(name the existing PersistentVolumeClaim as a DNS-1123 subdomain)")
                    continue
                vname = named[source] = st.volume_name(source)
                st.volumes.append({"name": vname, "persistentVolumeClaim": {"claimName": existing}})
                st.mounts.append({"name": vname, **mount})
                st.writable |= not read_only
                warnings.append(f"{where}: external volume -> the existing PersistentVolumeClaim {existing!r} "
                                "(it must exist in the namespace; nothing is created)")
                continue
            if data_service and not one_shot:
                vname = named[source] = st.volume_name(source)
                st.claim_templates.append(claim(vname, {k: v for k, v in meta.items() if k != "namespace"}, declared))
                st.mounts.append({"name": vname, **mount})
            else:
                claim_name = ctx.names.derived("PersistentVolumeClaim", f"{base}-{source}")
                st.objects.append(claim(claim_name, meta, declared))
                vname = named[source] = st.volume_name(source)
                st.volumes.append({"name": vname, "persistentVolumeClaim": {"claimName": claim_name}})
                st.mounts.append({"name": vname, **mount})
                st.rwo_claims = True
            st.writable |= not read_only
        elif kind == "volume":
            vname = st.volume_name(f"anon-{posixpath.basename(target.rstrip('/')) or 'root'}")
            st.volumes.append({"name": vname, "emptyDir": {}})
            st.mounts.append({"name": vname, "mountPath": target, **({"readOnly": True} if read_only else {})})
            st.writable = True
            warnings.append(f"{where}: anonymous volume -> an emptyDir (it lives as long as the pod; Compose keeps "
                            "it across container recreation)")
        elif kind == "bind":
            _bind(ctx, st, name, vol, meta, where, read_only)
        elif kind == "tmpfs":
            options = vol.get("tmpfs") or {}
            _report_sub(where, vol, "tmpfs", {"size"}, warnings, "an emptyDir is created 0777")
            _tmpfs(st, target, options.get("size"), where, warnings)
        else:
            warnings.append(f"{where}: volume type {kind} is not mapped (no Kubernetes equivalent)")
    ctx.copied.extend(f"{name}:{target}" for target in copied)
    for entry in svc.get("tmpfs") or []:
        path, _, opts = str(entry).partition(":")
        size = None
        for opt in filter(None, opts.split(",")):
            key, _, value = opt.partition("=")
            if key == "size":
                size = value
            else:
                warnings.append(f"{name}: tmpfs {path} option {opt} is not mapped (an emptyDir is created 0777)")
        _tmpfs(st, path, size, f"{name}: tmpfs {path}", warnings)
    if svc.get("shm_size") not in (None, "", 0, "0"):
        _tmpfs(st, "/dev/shm", svc["shm_size"], f"{name}: shm_size", warnings, vname="dshm")
    _files(ctx, st, name, svc, "secrets")
    _files(ctx, st, name, svc, "configs")
    return st


def _tmpfs(st: PodStorage, target: str, size, where: str, warnings: list[str], vname: str | None = None) -> None:
    if any(m["mountPath"] == target for m in st.mounts):
        warnings.append(f"{where}: {target} is already mounted; left out")
        return
    empty: dict = {"medium": "Memory"}
    if size not in (None, "", 0, "0"):
        try:
            empty["sizeLimit"] = quantities.memory(size)
        except ValueError:
            warnings.append(f"{where}: size {size!r} is not a size; no sizeLimit")
    name = st.volume_name(vname or f"tmp-{target.strip('/').replace('/', '-') or 'root'}")
    st.volumes.append({"name": name, "emptyDir": empty})
    st.mounts.append({"name": name, "mountPath": target})
    st.writable = True


def _bind(ctx, st: PodStorage, name: str, vol: dict, meta: dict, where: str, read_only: bool) -> None:
    warnings = ctx.warnings
    source, target = vol.get("source", ""), vol.get("target", "")
    _report_sub(where, vol, "bind", set(), warnings, "it concerns the host's mount, which a pod does not have")
    host = ctx.host_paths.get(source) or HostPath("outside")
    base = ctx.base[name]
    if host.kind in ("outside", "special", "unreadable", "large"):
        why = {"outside": "it is outside the project and config directories the export reads",
               "special": "it is a socket or device, which has no Kubernetes equivalent",
               "unreadable": "it could not be read",
               "large": f"it holds {''.join(host.skipped)}, more than a ConfigMap/Secret holds (1 MiB)"}[host.kind]
        warnings.append(f"{where}: bind mount not exported: {why} (hostPath volumes are refused by Pod Security; "
                        "bake the files into the image or put them under the project directory)")
        return
    for skipped in host.skipped:
        warnings.append(f"{where}: {skipped}")
    if host.kind == "missing" or (host.kind == "dir" and not host.files):
        # Docker creates the missing directory and the container writes into it: data
        what = "does not exist" if host.kind == "missing" else "is empty"
        vname = st.volume_name(posixpath.basename(source.rstrip("/")) or "bind")
        if read_only:
            st.volumes.append({"name": vname, "emptyDir": {}})
            warnings.append(f"{where}: the host directory {what}; mounted as an empty read-only emptyDir")
        else:
            claim_name = ctx.names.derived("PersistentVolumeClaim", f"{base}-{vname}")
            st.objects.append(claim(claim_name, meta, None))
            st.volumes.append({"name": vname, "persistentVolumeClaim": {"claimName": claim_name}})
            st.rwo_claims = st.writable = True
            warnings.append(f"{where}: the host directory {what}; it becomes the claim {claim_name} "
                            f"({DEFAULT_VOLUME_SIZE}, starts empty)")
        st.mounts.append({"name": vname, "mountPath": target, **({"readOnly": True} if read_only else {})})
        return
    total = sum(len(c) for c in host.files.values())
    if total > OBJECT_BUDGET:
        warnings.append(f"{where}: bind mount not exported: its {total} bytes exceed what a ConfigMap/Secret holds "
                        "(1 MiB); bake the files into the image or use a volume")
        return
    kind = "Secret" if is_secret_files(source, host.files, ctx.known) else "ConfigMap"
    label = posixpath.basename(source.rstrip("/")) or "files"
    obj_name = ctx.names.derived(kind, f"{base}-{label}")
    obj, items = files_object(kind, {**meta, "name": obj_name}, host.files)
    st.objects.append(obj)
    vname = st.volume_name(label)
    ref = {"secretName": obj_name} if kind == "Secret" else {"name": obj_name}
    mount = {"name": vname, "mountPath": target, "readOnly": True}
    if host.kind == "file":
        key = next(iter(items))["key"] if items else next(iter(host.files))
        ref["items"] = [{"key": key, "path": key}]
        mount["subPath"] = key
    elif items:
        ref["items"] = items
    st.volumes.append({"name": vname, ("secret" if kind == "Secret" else "configMap"): ref})
    st.mounts.append(mount)
    if not read_only:
        warnings.append(f"{where}: writable bind mount -> a read-only {kind} volume with the files' content "
                        "(writes fail; the host's later edits are not seen)")


def _files(ctx, st: PodStorage, name: str, svc: dict, section: str) -> None:
    """Service `secrets:`/`configs:` → the shared Secret/ConfigMap mounted at Compose's target."""
    warnings = ctx.warnings
    secret = section == "secrets"
    for ref in svc.get(section) or []:
        source = ref.get("source")
        shared = ctx.shared_files.get((section, source))
        where = f"{name}: {section[:-1]} {source}"
        if shared is None:
            continue  # reported once where the top-level entry is converted
        target = ref.get("target") or ""
        default_dir = "/run/secrets/" if secret else "/"
        if not target:
            target = default_dir + source
        elif not target.startswith("/"):
            target = default_dir + target
        if any(m["mountPath"] == target for m in st.mounts):
            warnings.append(f"{where}: {target} is already mounted by a volume (Compose lets the volume win); left out")
            continue
        item = {"key": shared["key"], "path": shared["key"]}
        if ref.get("mode") not in (None, ""):
            if shared["from_file"]:
                warnings.append(f"{where}: mode is not mapped (Compose ignores it for file-based {section} too)")
            else:
                item["mode"] = int(str(ref["mode"]), 8) if isinstance(ref["mode"], str) else int(ref["mode"])
        elif not shared["from_file"]:
            item["mode"] = 0o444  # Compose's mode for injected content
        for owner in ("uid", "gid"):
            if ref.get(owner) not in (None, ""):
                warnings.append(f"{where}: {owner} {ref[owner]} is not mapped (Kubernetes sets the files' group from "
                                "fsGroup only)")
        vname = st.volume_name(f"{section[:-1]}-{source}")
        body = {"items": [item]}
        if shared.get("kind", "Secret" if secret else "ConfigMap") == "Secret":
            st.volumes.append({"name": vname, "secret": {"secretName": shared["name"], **body}})
        else:
            st.volumes.append({"name": vname, "configMap": {"name": shared["name"], **body}})
        st.mounts.append({"name": vname, "mountPath": target, "subPath": shared["key"], "readOnly": True})


def shared_file_objects(ctx, meta_for) -> list[dict]:
    """The top-level `secrets:`/`configs:` the exported services use, one object each; fills
    ctx.shared_files[(section, name)] = {"name", "key", "from_file", "kind"} (a config whose text holds a
    secret is a Secret)."""
    objs = []
    used = {(section, ref.get("source")) for svc in ctx.services.values() for section in ("secrets", "configs")
            for ref in svc.get(section) or []}
    for section, source in sorted(used):
        top = (ctx.model.get(section) or {}).get(source) or {}
        secret = section == "secrets"
        kind = "Secret" if secret else "ConfigMap"
        where = f"{section[:-1]} {source}"
        for key in ("driver", "driver_opts", "template_driver", "labels"):
            if top.get(key):
                ctx.warnings.append(f"{where}: {key} is not mapped (Compose itself refuses drivers outside Swarm)")
        key = config_key(source) if is_config_key(config_key(source)) else "value"
        if top.get("external"):
            existing = str(top.get("name") or source)
            if not is_dns_subdomain(existing):
                ctx.warnings.append(f"{where}: external {section[:-1]} {existing!r} is not a valid {kind} name; "
                                    "not mounted")
                continue
            ctx.shared_files[(section, source)] = {"name": existing, "key": key, "from_file": False}
            ctx.warnings.append(f"{where}: external -> the existing {kind} {existing!r}, key {key!r} (it must exist "
                                "in the namespace; Compose refuses external secrets/configs outside Swarm)")
            continue
        content, from_file = None, False
        if top.get("file"):
            host = ctx.host_paths.get(top["file"]) or HostPath("missing")
            from_file = True
            if host.kind == "file":
                content = next(iter(host.files.values()))
            else:
                ctx.warnings.append(f"{where}: file {top['file']} is not a readable file; not mounted")
        elif top.get("environment"):
            value = ctx.env.get(top["environment"])
            if value is None:
                ctx.warnings.append(f"{where}: variable {top['environment']} is not set; not mounted "
                                    "(Compose refuses to start the service)")
            else:
                content = value.encode()
        elif "content" in top:
            content = str(top["content"]).replace("$$", "$").encode()
        else:
            ctx.warnings.append(f"{where}: no file, environment or content; not mounted")
        if content is None:
            continue
        if len(content) > OBJECT_BUDGET:
            ctx.warnings.append(f"{where}: larger than a {kind} holds (1 MiB); not mounted")
            continue
        if not secret and holds_secret({key: content}, ctx.known):
            kind = "Secret"  # a config whose text holds a secret: mounted the same way, kept out of ConfigMaps
        obj_name = ctx.names.derived(kind, dns_label(source))
        obj, _ = files_object(kind, meta_for(obj_name, "secret" if secret else "config"), {key: content})
        objs.append(obj)
        ctx.shared_files[(section, source)] = {"name": obj_name, "key": key, "from_file": from_file, "kind": kind}
    return objs
