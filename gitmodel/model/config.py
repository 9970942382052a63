"""`.gitmodel.yaml`: where manifests live, the bump policy, gates, stages, hooks, remote."""

from __future__ import annotations

import re
from pathlib import Path

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import load_yaml, stored_path_problem
from gitmodel.model import components
from gitmodel.model.records import Record, field
from gitmodel.model.semver import Level

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from typing import Any

CONFIG_FILE = ".gitmodel.yaml"


def default_policy() -> dict[str, Level]:
    """Each component kind's default bump level (gitmodel/model/components.py), the strictest first."""
    registry = components.REGISTRY
    return {name: Level.parse(registry.by_name[name].level) for name in registry.policy_keys}

# The pattern of config.v1.json's gates (a test holds them equal): spaces and tabs only, a plain decimal number.
GATE_PATTERN = r"^[ \t]*(>=|<=|==|>|<)[ \t]*(-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?)[ \t]*$(?!\n)"
_GATE_RE = re.compile(GATE_PATTERN)


class Gate(Record, frozen=True):
    metric: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


class Config(Record):
    manifests: str = "models"
    policy: dict[str, Level] = field(default_factory=default_policy)
    gates: dict[str, list[Gate]] = field(default_factory=dict)
    stages: list[str] | None = None
    approvals: dict[str, list[str]] = field(default_factory=dict)
    pre_push: str = "check"
    remote: str | None = None

    def manifest_path(self, name: str) -> str:
        return f"{self.manifests}/{name}.yaml"

    def name_from_path(self, path: str) -> str | None:
        prefix = self.manifests.rstrip("/") + "/"
        if path.startswith(prefix) and path.endswith(".yaml"):
            return path[len(prefix) : -len(".yaml")]
        return None

    def gates_for(self, name: str, unit: str = "model") -> list[Gate]:
        """The gates of `name`; `*` stands for every model (a prompt, dataset or system has only its own)."""
        return self.gates.get(name, self.gates.get("*", []) if unit == "model" else [])


def _reference_key(key: object) -> bool:
    """`uses` (every reference) or `uses.ROLE` (one role): the level a moved reference requires."""
    from gitmodel.model.units import USES, role_problem

    if key == USES:
        return True
    return isinstance(key, str) and key.startswith(f"{USES}.") and role_problem(key[len(USES) + 1:]) is None


def default_text() -> str:
    from gitmodel.infra.resources import templates_dir

    return (templates_dir() / "gitmodel.yaml").read_text(encoding="utf-8")


def from_dict(data: Any, *, where: str = CONFIG_FILE) -> Config:
    """Build a Config with cheap type checks (the hook reads this; jsonschema runs in `validate`)."""
    if data is None:
        return Config()
    if not isinstance(data, dict):
        raise InvalidInput("config must be a YAML mapping", where=where)
    known = {"manifests", "policy", "gates", "stages", "approvals", "hooks", "remote"}
    for key in data:
        if key not in known:
            raise InvalidInput("unknown field", where=f"{where}: {key}", hint=f"known: {', '.join(sorted(known))}")
    cfg = Config()
    manifests = data.get("manifests", "models")
    # `models/` is how people write a directory: accept the trailing slash, nothing else
    if not isinstance(manifests, str) or stored_path_problem(manifests.rstrip("/")):
        raise InvalidInput(f"{manifests!r} is not a relative directory inside the repo", where=f"{where}: manifests")
    cfg.manifests = manifests.rstrip("/")
    policy = data.get("policy") or {}
    if not isinstance(policy, dict):
        raise InvalidInput("expected a mapping of component: level", where=f"{where}: policy")
    kinds = components.REGISTRY.policy_keys
    for comp, level in policy.items():
        if comp not in kinds and not _reference_key(comp):
            raise InvalidInput(f"unknown component {comp!r}", where=f"{where}: policy.{comp}",
                               hint=f"components: {', '.join(kinds)}; references: uses, uses.ROLE")
        try:
            cfg.policy[comp] = Level.parse(str(level))
        except InvalidInput:
            raise InvalidInput(f"{level!r} is not major, minor, patch or none", where=f"{where}: policy.{comp}") from None
    gates = data.get("gates") or {}
    if not isinstance(gates, dict):
        raise InvalidInput("expected a mapping of model: {metric: condition}", where=f"{where}: gates")
    for model, conds in gates.items():
        conds = conds or {}
        if not isinstance(conds, dict):
            raise InvalidInput("expected a mapping of metric: condition", where=f"{where}: gates.{model}")
        parsed = []
        for metric, cond in conds.items():
            match = _GATE_RE.match(str(cond))
            try:
                threshold = float(match.group(2)) if match else None
            except ValueError:
                threshold = None
            if match is None or threshold is None:
                raise InvalidInput(f"{cond!r} is not a condition like '>= 0.85'",
                                   where=f"{where}: gates.{model}.{metric}", hint="operators: >= > <= < ==")
            parsed.append(Gate(str(metric), match.group(1), threshold))
        cfg.gates[str(model)] = parsed
    stages = data.get("stages")
    if stages is not None:
        if not isinstance(stages, list) or not all(isinstance(s, str) and s for s in stages):
            raise InvalidInput("expected a list of stage names", where=f"{where}: stages")
        cfg.stages = list(stages)
    approvals = data.get("approvals") or {}
    if not isinstance(approvals, dict) or not all(
        isinstance(v, list) and all(isinstance(r, str) for r in v) for v in approvals.values()
    ):
        raise InvalidInput("expected a mapping of stage: [roles]", where=f"{where}: approvals")
    cfg.approvals = {str(k): list(v) for k, v in approvals.items()}
    hooks = data.get("hooks") or {}
    if not isinstance(hooks, dict):
        raise InvalidInput("expected a mapping", where=f"{where}: hooks")
    pre_push = hooks.get("pre_push", "check")
    if pre_push not in ("check", "push"):
        raise InvalidInput(f"{pre_push!r} is not check or push", where=f"{where}: hooks.pre_push")
    cfg.pre_push = pre_push
    remote = data.get("remote")
    if remote is not None and not isinstance(remote, str):
        raise InvalidInput("expected a DVC remote name or null", where=f"{where}: remote")
    cfg.remote = remote
    return cfg


def load_config(root: Path, *, full: bool = False) -> Config:
    path = root / CONFIG_FILE
    if not path.exists():
        return Config()
    data = load_yaml(path, where=CONFIG_FILE)
    if full:
        from gitmodel.model.schemas import validate

        validate(data if data is not None else {}, "config.v1.json", where=CONFIG_FILE)
    return from_dict(data)
