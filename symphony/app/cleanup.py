"""What `inv clean` may remove: only resources labelled as Symphony's (never other projects')."""
from __future__ import annotations

from dataclasses import dataclass, field

from symphony.app.devbuild import IMAGE_PROJECT_LABEL
from symphony.core.containers import PROJECT_LABEL
from symphony.infra import state
from symphony.infra.engine import MANAGED_LABEL, symphony_projects

BUILT_BY_LABEL = "com.sentiric.built-by=symphony"


@dataclass
class CleanupPlan:
    containers: list[tuple[str, str]] = field(default_factory=list)  # (id, name)
    volumes: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)      # (id, repo:tag)
    kept: list[str] = field(default_factory=list)                    # why something was left

    @property
    def empty(self) -> bool:
        return not (self.containers or self.volumes or self.networks or self.images)

    def describe(self) -> list[str]:
        return ([f"container {name}" for _, name in self.containers] + [f"volume    {v}" for v in self.volumes]
                + [f"network   {n}" for n in self.networks] + [f"image     {ref}" for _, ref in self.images]
                + [f"(kept: {why})" for why in self.kept])

    def commands(self) -> list[list[str]]:
        cmds = []
        if self.containers:
            cmds.append(["docker", "rm", "-f", "-v", *[cid for cid, _ in self.containers]])
        if self.volumes:
            cmds.append(["docker", "volume", "rm", *self.volumes])
        for net in self.networks:
            cmds.append(["docker", "network", "rm", net])
        if self.images:
            # by name: one image id may carry several of our tags
            cmds.append(["docker", "image", "rm", *dict.fromkeys(ref for _, ref in self.images)])
        return cmds


def owned_projects() -> set[str]:
    return set(symphony_projects()) | {state.PROJECT_PREFIX + "obs"}


def image_projects(runner, ids) -> dict[str, str]:
    """Image id (short) -> the project label it was built with ("" for none), in one call."""
    if not ids:
        return {}
    fmt = '{{.Id}}\t{{index .Config.Labels "' + IMAGE_PROJECT_LABEL + '"}}'
    out = runner.query(["docker", "image", "inspect", "--format", fmt, *sorted(ids)], check=False).stdout
    found = {}
    for line in out.splitlines():
        full, _, project = line.partition("\t")
        found[full.removeprefix("sha256:")[:12]] = "" if project == "<no value>" else project
    return found


def built_for(ours: set[str], ref: str, project: str) -> bool:
    """Whether an image Symphony built belongs to one of `ours`: its project label says so, or
    (an image built before that label existed) its name is `<project>-<service>`."""
    if project:
        return project in ours
    return any(ref.startswith(p + "-") for p in ours)


def plan_cleanup(runner) -> CleanupPlan:
    ours = owned_projects()
    plan = CleanupPlan()
    label_fmt = '{{.Label "' + PROJECT_LABEL + '"}}'
    for line in runner.query(["docker", "ps", "-a", "--filter", f"label={PROJECT_LABEL}",
                              "--format", "{{.ID}}\t{{.Names}}\t" + label_fmt]).stdout.splitlines():
        cid, name, project = (line.split("\t") + ["", ""])[:3]
        if project in ours:
            plan.containers.append((cid, name))
    for line in runner.query(["docker", "volume", "ls", "--filter", f"label={PROJECT_LABEL}",
                              "--format", "{{.Name}}\t" + label_fmt]).stdout.splitlines():
        name, _, project = line.partition("\t")
        if project in ours:
            plan.volumes.append(name)
    net = runner.query(["docker", "network", "ls", "--filter", f"label={MANAGED_LABEL}",
                        "--filter", f"name=^{state.NETWORK_NAME}$", "--format", "{{.Name}}"]).stdout.split()
    if state.NETWORK_NAME in net:
        ours_ids = {cid[:12] for cid, _ in plan.containers}
        attached = runner.query(["docker", "ps", "-a", "--filter", f"network={state.NETWORK_NAME}",
                                 "--format", "{{.ID}} {{.Names}}"]).stdout.splitlines()
        foreign = [line.split()[1] for line in attached if line.split()[0][:12] not in ours_ids]
        if foreign:
            plan.kept.append(f"network {state.NETWORK_NAME}, still used by {', '.join(foreign)}")
        else:
            plan.networks.append(state.NETWORK_NAME)
    removing = {cid[:12] for cid, _ in plan.containers}
    built = [line.partition("\t")[::2] for line in runner.query(
        ["docker", "images", "--filter", f"label={BUILT_BY_LABEL}",
         "--format", "{{.ID}}\t{{.Repository}}:{{.Tag}}"]).stdout.splitlines()]
    projects = image_projects(runner, {iid for iid, _ in built})
    for iid, ref in built:
        if not built_for(ours, ref, projects.get(iid, "")):
            continue  # another checkout's (or prefix's) build
        users = [u.split() for u in runner.query(["docker", "ps", "-a", "--filter", f"ancestor={iid}",
                                                   "--format", "{{.ID}} {{.Names}}"]).stdout.splitlines()]
        foreign = [name for cid, name in users if cid[:12] not in removing]
        if foreign:
            plan.kept.append(f"image {ref}, used by {', '.join(foreign)}")
            continue
        plan.images.append((iid, iid if "<none>" in ref else ref))  # an untagged old build: by id
    return plan
