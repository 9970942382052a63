"""`gitmodel split-prompt MODEL`: move a model's prompts into a prompt unit of their own, released, and make
the model reference it — one bump of the model.

Decision: the new prompt unit is released at v1.0.0, not v0.1.0. Its prompts are not new: they are the text
the model's releases have shipped, so they start as a stable, depended-on release (semver's 1.0.0); their
next edit is a minor bump of the prompt unit (prompts: minor) and, when the model takes it, of the model.

Steps (nothing is left half-done on a refusal before the commit): the model must be fresh and its manifest
and prompts committed; the prompt unit's manifest is written and committed alone (`git commit -- PATH`,
through the hooks), then released; the model's manifest loses its prompts, gains `uses.prompt`, and is
bumped (the prompts dropped and the reference added: minor under the default policy) and staged — the user
commits it, as after any `bump`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.model import manifest as mf
from gitmodel.model.config import load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.names import validate_name
from gitmodel.registry.releases import tag_release
from gitmodel.repo import git
from gitmodel.repo.tags import release_tag
from gitmodel.workspace.edit import SCHEMA_REF, BumpResult, bump_model

SPLIT_VERSION = "1.0.0"
ROLE = "prompt"


@dataclass
class SplitResult:
    model: str
    unit: str
    release: str
    prompts: list[str]
    bump: BumpResult


def split_prompt(root: Path, model: str, *, name: str | None = None) -> SplitResult:
    """Release `model`'s prompts as the prompt unit `name` (default MODEL-prompt) and reference it."""
    validate_name(model)
    unit = name or f"{model}-prompt"
    validate_name(unit)
    cfg = load_config(root)
    path, unit_path = cfg.manifest_path(model), cfg.manifest_path(unit)
    if not (root / path).exists():
        raise InvalidInput("no such model", where=path, hint=f"create it with `gitmodel add {model} ...`")
    current = mf.load(root / path)
    if current.unit != "model":
        raise InvalidInput(f"{model} is a {current.unit} unit, not a model", where=f"{path}: kind")
    if not current.prompts:
        raise InvalidInput(f"{model} pins no prompts", where=f"{path}: prompts")
    if ROLE in (current.uses or {}):
        raise InvalidInput(f"{model} already uses {current.uses[ROLE]} as {ROLE}",  # type: ignore[index]
                           where=f"{path}: uses.{ROLE}")
    if (root / unit_path).exists() or git.for_each_ref(root, [f"refs/tags/{unit}@*"], ["%(refname)"]):
        raise InvalidInput(f"unit {unit} already exists", where=unit_path, hint="choose another with --name NAME")
    prompts = [e.path for e in current.prompts]
    dirty = git.dirty_paths(root, [path, *prompts])
    if dirty:
        raise Refused(f"{', '.join(dirty)} has uncommitted changes", where=path,
                      hint=f"commit them (after `gitmodel bump {model}`), then split")
    from gitmodel.gate.check import run_check

    findings = [f for f in run_check(root, names={model}).findings if f.model == model]
    if findings:
        raise Refused(f"{model} is not fresh and versioned: {findings[0].line()}", where=path,
                      hint=f"gitmodel bump {model}, commit, then split")
    prompt_unit = Manifest(name=unit, version=SPLIT_VERSION, kind="prompt",
                           description=f"Prompts of {model}, versioned on their own (gitmodel split-prompt)",
                           prompts=current.prompts)
    mf.save(prompt_unit, root / unit_path, schema_ref=SCHEMA_REF)
    git.add(root, [unit_path])
    done = git.run(root, "commit", "-q", "-m", f"{unit} {SPLIT_VERSION}: the prompts of {model}, split out",
                   "--", unit_path, check=False)
    if done.returncode != 0:
        git.run(root, "reset", "-q", "--", unit_path, check=False)
        (root / unit_path).unlink(missing_ok=True)
        raise Refused("committing the prompt unit failed: " + done.stderr.decode("utf-8", "replace").strip(),
                      where=unit_path, hint="fix what the hook said, then split again")
    released = tag_release(root, unit)
    ref = release_tag(unit, SPLIT_VERSION)
    # the model: its prompts now come from the release, by reference — one bump
    before = (root / path).read_bytes()
    try:
        mf.save(current.with_values({"prompts": ()}), root / path, schema_ref=SCHEMA_REF)
        result = bump_model(root, model, uses=[f"{ROLE}={ref}"])
    except BaseException:
        (root / path).write_bytes(before)  # the prompt unit stays released; the model as it was
        raise
    return SplitResult(model, unit, released.tag, prompts, result)
