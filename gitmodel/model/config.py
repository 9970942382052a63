"""`.gitmodel.yaml`: where manifests live, the bump policy, gates, stages, hooks, remote, and governance
(who holds each role, the file of their keys, what each stage needs approved, where signatures are required)."""

from __future__ import annotations

from pathlib import Path

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import load_yaml, stored_path_problem
from gitmodel.infra.lazy_re import LazyPattern
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
_GATE_RE = LazyPattern(GATE_PATTERN)
# A role's name (config.v1.json's roles and approvals hold the same pattern; a test holds them equal)
ROLE_PATTERN = r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$(?!\n)"
ROLE_RE = LazyPattern(ROLE_PATTERN)
# A role member: an e-mail address (the principal of an SSH allowed-signers line) or a GPG key fingerprint
MEMBER_PATTERN = r"^[^ \t\n\r]{1,200}$(?!\n)"
_MEMBER_RE = LazyPattern(MEMBER_PATTERN)


class Gate(Record, frozen=True):
    metric: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


class ApprovalRule(Record, frozen=True):
    """What a stage needs approved: each role in `roles` at least once (one person may hold several),
    approvals by `count` different people in all, and with `distinct` none by the release's own tagger."""

    roles: tuple[str, ...]
    distinct: bool = False
    count: int = 0   # 0: no more than one per role

    @property
    def needed(self) -> int:
        return max(self.count, len(self.roles))


class Config(Record):
    manifests: str = "models"
    policy: dict[str, Level] = field(default_factory=default_policy)
    gates: dict[str, list[Gate]] = field(default_factory=dict)
    stages: list[str] | None = None
    approvals: dict[str, ApprovalRule] = field(default_factory=dict)
    pre_push: str = "check"
    remote: str | None = None
    signers: str | None = None                                    # git's allowed-signers file, repo-relative
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> e-mails or GPG fingerprints
    require_signatures: bool | tuple[str, ...] = False            # True: everywhere; a tuple: those stages

    def signatures_required(self, stage: str | None = None) -> bool:
        """For a stage event: does that stage need signatures. For a release or approval (stage None): does
        any stage need them (an approval or release may be what a signed stage is judged on)."""
        if isinstance(self.require_signatures, bool):
            return self.require_signatures
        return bool(self.require_signatures) if stage is None else stage in self.require_signatures

    @property
    def governed(self) -> bool:
        """Anything beyond the plain role-name approvals: roles, signers or required signatures."""
        return bool(self.roles or self.signers or self.require_signatures)

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
    known = {"manifests", "policy", "gates", "stages", "approvals", "hooks", "remote", "signers", "roles",
             "require_signatures"}
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
    cfg.approvals = _approvals(data.get("approvals"), where)
    _governance(cfg, data, where)
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


def _roles_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidInput("expected a non-empty list of role names", where=where)
    for role in value:
        if not isinstance(role, str) or not ROLE_RE.match(role) or len(role) > 64:
            raise InvalidInput(f"{role!r} is not a role name", where=where,
                               hint="lower-case letters, digits and . _ - (e.g. ml-lead)")
    return tuple(value)


def _approvals(approvals: Any, where: str) -> dict[str, ApprovalRule]:
    """`stage: [roles]` (each role once) or `stage: {roles: [...], distinct: bool, count: N}`."""
    if approvals is None:
        return {}
    if not isinstance(approvals, dict):
        raise InvalidInput("expected a mapping of stage: [roles] or stage: {roles, distinct, count}",
                           where=f"{where}: approvals")
    rules = {}
    for stage, rule in approvals.items():
        at = f"{where}: approvals.{stage}"
        if isinstance(rule, list):
            rules[str(stage)] = ApprovalRule(_roles_list(rule, at) if rule else ())
            continue
        if not isinstance(rule, dict):
            raise InvalidInput("expected [roles] or {roles: [...], distinct: bool, count: N}", where=at)
        for key in rule:
            if key not in ("roles", "distinct", "count"):
                raise InvalidInput("unknown field", where=f"{at}.{key}", hint="known: count, distinct, roles")
        distinct, count = rule.get("distinct", False), rule.get("count", 0)
        if not isinstance(distinct, bool):
            raise InvalidInput(f"{distinct!r} is not true or false", where=f"{at}.distinct")
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100:
            raise InvalidInput(f"{count!r} is not a whole number from 0 to 100", where=f"{at}.count")
        rules[str(stage)] = ApprovalRule(_roles_list(rule.get("roles"), f"{at}.roles"), distinct, count)
    return rules


def _governance(cfg: Config, data: dict[str, Any], where: str) -> None:
    """signers, roles, require_signatures: who holds each role, their keys, where signatures are needed."""
    signers = data.get("signers")
    if signers is not None and (not isinstance(signers, str) or stored_path_problem(signers)):
        raise InvalidInput(f"{signers!r} is not a relative file path inside the repo", where=f"{where}: signers",
                           hint="e.g. signers: .gitmodel/allowed_signers (git's allowed-signers format)")
    cfg.signers = signers
    roles = data.get("roles") or {}
    if not isinstance(roles, dict):
        raise InvalidInput("expected a mapping of role: [members]", where=f"{where}: roles")
    for role, members in roles.items():
        at = f"{where}: roles.{role}"
        if not isinstance(role, str) or not ROLE_RE.match(role) or len(role) > 64:
            raise InvalidInput(f"{role!r} is not a role name", where=at,
                               hint="lower-case letters, digits and . _ - (e.g. ml-lead)")
        if not isinstance(members, list) or not all(isinstance(m, str) and _MEMBER_RE.match(m) for m in members):
            raise InvalidInput("expected a list of e-mail addresses or GPG fingerprints", where=at)
        cfg.roles[role] = tuple(members)
    required = data.get("require_signatures", False)
    if isinstance(required, list):
        if not all(isinstance(s, str) and s for s in required):
            raise InvalidInput("expected true, false or a list of stages", where=f"{where}: require_signatures")
        cfg.require_signatures = tuple(required)
    elif isinstance(required, bool):
        cfg.require_signatures = required
    else:
        raise InvalidInput(f"{required!r} is not true, false or a list of stages",
                           where=f"{where}: require_signatures")
    if cfg.require_signatures and cfg.signers is None and not cfg.roles:
        raise InvalidInput("require_signatures needs the signers' keys: a signers file (SSH) or roles (GPG "
                           "fingerprints)", where=f"{where}: signers",
                           hint="add signers: .gitmodel/allowed_signers (git's allowed-signers format)")
    for stage, rule in cfg.approvals.items():
        unknown = [r for r in rule.roles if cfg.roles and r not in cfg.roles]
        if unknown:
            raise InvalidInput(f"role {unknown[0]!r} is not defined in roles:", where=f"{where}: approvals.{stage}",
                               hint=f"add it: roles: {{{unknown[0]}: [name@example.com]}}")


def load_config(root: Path, *, full: bool = False) -> Config:
    path = root / CONFIG_FILE
    if not path.exists():
        return Config()
    data = load_yaml(path, where=CONFIG_FILE)
    if full:
        from gitmodel.model.schemas import validate

        validate(data if data is not None else {}, "config.v1.json", where=CONFIG_FILE)
    return from_dict(data)
