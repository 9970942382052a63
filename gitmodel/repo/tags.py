"""Read release and stage tags (GTO's formats) in ONE `git for-each-ref`, indexed per model.

Formats: release `NAME@vX.Y.Z` (annotated only), deregistration `NAME@vX.Y.Z!`, stage assignment
`NAME#STAGE#N`, unassignment `NAME#STAGE!#N`, deprecation `NAME@deprecated`; GTO may append `#N` to
deregistrations and deprecations too. gitmodel's own approval tag `NAME@vX.Y.Z#approved-by#ROLE` does not
match GTO's tag regex, so GTO and DVC skip it.
"""

from __future__ import annotations

import re
from pathlib import Path

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.lazy_re import LazyPattern
from gitmodel.model import semver
from gitmodel.model.names import name_problem
from gitmodel.model.records import Record, field
from gitmodel.repo import git

_RELEASE_RE = LazyPattern(r"^(?P<name>.+)@v(?P<version>[^@#!]+)(?P<dereg>!)?(?:#(?P<n>[0-9]{1,18}))?$")
# `#N` after the role: the second and later approvals in one role (count: N)
_APPROVAL_RE = LazyPattern(r"^(?P<name>[^@#]+)@v(?P<version>[^@#!]+)#approved-by#(?P<role>[^#]+)(?:#(?P<seq>[0-9]{1,6}))?$")
_DEPRECATE_RE = LazyPattern(r"^(?P<name>[^@#]+)@deprecated(?:#(?P<n>[0-9]{1,18}))?$")
_STAGE_RE = LazyPattern(r"^(?P<name>[^#@]+)#(?P<stage>[^#!]+)(?P<unassign>!)?(?:#(?P<n>[0-9]{1,18}))?$")
_FIELDS = ("%(refname:strip=2)", "%(objecttype)", "%(objectname)", "%(*objectname)", "%(*objecttype)",
           "%(taggerdate:iso-strict)", "%(taggerdate:unix)", "%(taggername)", "%(taggeremail)", "%(contents)",
           "%(tag)")
# Stage-event counters taken by gitmodel: one create-only ref per (model, N), created in the same ref
# transaction as the event tag, so two processes can never both take N (different stages = different tags)
COUNTER_REFS = "refs/gitmodel/stage-counters"


class Release(Record, frozen=True):
    name: str
    version: semver.Version
    tag: str
    commit: str
    date: str
    tagger: str
    message: str
    tag_object: str = ""   # the annotated tag object's id: what an approval or stage event binds to
    tag_name: str = ""     # the name inside the tag object (a ref moved to another tag object differs)
    signed: bool = False   # the tag object carries a signature (stripped from `message`)

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    def meta(self, key: str) -> str | None:
        """A `key: value` line of the tag message (fingerprint, manifest)."""
        prefix = f"{key}:"
        for line in self.message.splitlines():
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        return None

    @property
    def fingerprint(self) -> str | None:
        value = self.meta("fingerprint")
        return value.removeprefix("sha256:") if value else None


class StageEvent(Record, frozen=True):
    name: str
    stage: str
    counter: int
    assign: bool
    tag: str
    commit: str
    date: str
    tagger: str
    message: str
    tag_object: str = ""
    tag_name: str = ""
    signed: bool = False


class Approval(Record, frozen=True):
    name: str
    version: semver.Version
    role: str
    tag: str
    commit: str
    date: str
    tagger: str
    message: str
    tag_object: str = ""
    tag_name: str = ""
    signed: bool = False

    @property
    def note(self) -> str:
        """The approver's note: the message after the subject and the `key: value` lines."""
        body = self.message.split("\n\n", 1)
        lines = [ln for ln in (body[1] if len(body) > 1 else "").splitlines()
                 if not re.match(r"^(release|fingerprint|role|version|commit|release-object):", ln)]
        return "\n".join(lines).strip()


def strip_signature(message: str) -> str:
    """A tag message without the signature git appends to a signed tag (`-----BEGIN ... SIGNATURE-----`)."""
    cut = message.find("\n-----BEGIN ")
    if cut < 0 and message.startswith("-----BEGIN "):
        cut = 0
    return message[:cut].rstrip("\n") if cut >= 0 else message


def is_signed(message: str) -> bool:
    return "-----BEGIN " in message and "-----END " in message


class TagIndex(Record):
    releases: dict[str, list[Release]] = field(default_factory=dict)  # sorted by semver, ascending
    deregistered: dict[str, set[str]] = field(default_factory=dict)
    stage_events: dict[str, list[StageEvent]] = field(default_factory=dict)  # sorted by counter
    warnings: list[str] = field(default_factory=list)
    other: dict[str, tuple[str, str]] = field(default_factory=dict)  # every tag: (type, peeled commit)
    approvals: dict[str, list[Approval]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)  # highest `#N` over every event tag of a model
    not_releases: dict[str, str] = field(default_factory=dict)  # release-shaped tag → why it is not one
    deprecations: dict[str, tuple[str, int]] = field(default_factory=dict)  # latest `NAME@deprecated`: (tag, time)
    retirements: dict[str, list[StageEvent]] = field(default_factory=dict)  # deregistration/deprecation tags
    activity: dict[str, int] = field(default_factory=dict)  # latest tagger time of a release/dereg/stage tag

    def latest(self, name: str) -> Release | None:
        active = self.active_releases(name)
        return active[-1] if active else None

    def active_releases(self, name: str) -> list[Release]:
        gone = self.deregistered.get(name, set())
        return [r for r in self.releases.get(name, []) if str(r.version) not in gone]

    def release(self, name: str, version: semver.Version) -> Release | None:
        return next((r for r in self.releases.get(name, []) if r.version == version
                     and str(r.version) == str(version)), None)

    def used_tag(self, name: str, version: semver.Version) -> str | None:
        """The tag that used `version`, deregistered or not: a version is never freed (DESIGN rule 3)."""
        released = self.release(name, version)
        if released is not None:
            return released.tag
        return f"{release_tag(name, version)}!" if str(version) in self.deregistered.get(name, set()) else None

    def highest_used(self, name: str) -> semver.Version | None:
        """The highest version any release or deregistration tag of the model names."""
        used = [r.version for r in self.releases.get(name, [])]
        used += [semver.parse(v) for v in self.deregistered.get(name, set())]
        return max(used) if used else None

    def next_counter(self, name: str) -> int:
        """GTO's counter: one more than the highest `#N` on any tag of the model."""
        return self.counters.get(name, 0) + 1

    def deprecation(self, name: str) -> str | None:
        """The `NAME@deprecated` tag when the model is deprecated, as GTO decides it: the deprecation is its
        latest event by tagger time (a release or stage event after it, even in the same second, revives it)."""
        found = self.deprecations.get(name)
        if found is None or found[1] <= self.activity.get(name, -1):
            return None
        return found[0]

    def last_event_time(self, name: str) -> int:
        """The latest tagger time (epoch) of any GTO event of the model: release, deregistration, stage,
        deprecation. A new stage event is stamped after it, so GTO's time order is gitmodel's order."""
        return max(self.activity.get(name, 0), self.deprecations.get(name, ("", 0))[1])

    def approvals_of(self, name: str, version: semver.Version) -> list[Approval]:
        return [a for a in self.approvals.get(name, []) if str(a.version) == str(version)]


def parse_tag_name(tag: str) -> tuple[str, dict[str, str]] | None:
    """('release'|'stage'|'deprecate'|'approval', parts) for a gitmodel/GTO tag name, else None."""
    match = _DEPRECATE_RE.match(tag)
    if match:
        return "deprecate", {k: v for k, v in match.groupdict().items() if v is not None}
    match = _APPROVAL_RE.match(tag)
    if match:
        return "approval", {k: v for k, v in match.groupdict().items() if v is not None}
    match = _RELEASE_RE.match(tag)
    if match:
        return "release", {k: v for k, v in match.groupdict().items() if v is not None}
    match = _STAGE_RE.match(tag)
    if match:
        return "stage", {k: v for k, v in match.groupdict().items() if v is not None}
    return None


def _patterns(names: set[str] | None) -> list[str]:
    """Ref patterns for `names`: git then loads only those tag objects (10k tags: ~20 ms instead of ~250)."""
    if names is None:
        return ["refs/tags"]
    # `*` stops at '/', so a GTO stage name holding one '/' needs its own pattern
    return [f"refs/tags/{name}{sep}" for name in sorted(names) for sep in ("@*", "#*", "#*/*")]


def start_reading(root: Path | str, names: set[str] | None = None) -> None:
    """Start `read_tags(root, names)`'s git call now, in a batch session, for it to read later."""
    git.start_for_each_ref(root, _patterns(names), _FIELDS)


def read_tags(root: Path, names: set[str] | None = None) -> TagIndex:
    """Every release/stage tag, in one for-each-ref; bad tags of known models become warnings."""
    index = TagIndex()
    for row in git.for_each_ref(root, _patterns(names), _FIELDS):
        if len(row) != len(_FIELDS):
            continue
        tag, objtype, objname, peeled, peeled_type, date, epoch, tagger, email, message, inner = row
        commit = peeled or objname
        signed = is_signed(message)
        body = strip_signature(message).strip("\n") if signed else message.strip("\n")
        index.other[tag] = (objtype, commit)
        parsed = parse_tag_name(tag)
        if parsed is None:
            continue
        kind, parts = parsed
        name = parts["name"]
        if name_problem(name) is not None or (names is not None and name not in names):
            continue  # a foreign tag that merely looks alike
        who = f"{tagger} {email}".strip()
        if "n" in parts:
            index.counters[name] = max(index.counters.get(name, 0), int(parts["n"]))
        when = int(epoch) if epoch.isdigit() else 0
        if (kind == "deprecate" or (kind == "release" and parts.get("dereg"))) and objtype == "tag":
            # kept for `audit`: who retired what, and when
            index.retirements.setdefault(name, []).append(
                StageEvent(name, "deprecated" if kind == "deprecate" else f"v{parts['version']}!",
                           int(parts.get("n", 0)), False, tag, commit, date, who, body, objname, inner, signed))
        if kind == "deprecate":
            if objtype == "tag" and when >= index.deprecations.get(name, ("", -1))[1]:
                index.deprecations[name] = (tag, when)
            continue
        if kind in ("release", "stage") and objtype == "tag":
            index.activity[name] = max(index.activity.get(name, 0), when)
        if kind == "approval":
            if objtype != "tag":
                index.warnings.append(f"tag {tag}: lightweight approval tag ignored")
                continue
            try:
                approved = semver.parse(parts["version"])
            except InvalidInput:
                index.warnings.append(f"tag {tag}: {parts['version']!r} is not a semantic version; skipped")
                continue
            index.approvals.setdefault(name, []).append(
                Approval(name, approved, parts["role"], tag, commit, date, who, body, objname, inner, signed))
        elif kind == "release":
            try:
                version = semver.parse(parts["version"])
            except InvalidInput:
                index.warnings.append(f"tag {tag}: {parts['version']!r} is not a semantic version; skipped")
                continue
            if parts.get("dereg"):
                index.deregistered.setdefault(name, set()).add(str(version))
                continue
            if objtype != "tag":
                index.warnings.append(f"tag {tag}: lightweight tag ignored (releases are annotated tags); "
                                      f"recreate it with `git tag -a`")
                continue
            if peeled_type != "commit":
                index.not_releases[tag] = f"{tag} points at a {peeled_type or 'missing object'}, not a commit"
                index.warnings.append(f"tag {tag}: points at a {peeled_type or 'missing object'}, not a commit; "
                                      "ignored")
                continue
            index.releases.setdefault(name, []).append(
                Release(name, version, tag, commit, date, who, body, objname, inner, signed))
        elif kind == "stage":
            if objtype != "tag":
                index.warnings.append(f"tag {tag}: lightweight stage tag ignored")
                continue
            counter = int(parts["n"]) if "n" in parts else 0
            index.stage_events.setdefault(name, []).append(
                StageEvent(name, parts["stage"], counter, not parts.get("unassign"), tag, commit, date, who,
                           body, objname, inner, signed))
    for releases in index.releases.values():
        releases.sort(key=lambda r: r.version)
        commits: dict[str, Release] = {}
        for rel in releases:
            if rel.commit in commits:
                # GTO refuses two versions on one commit (iterative/gto#377); we warn and keep listing
                index.warnings.append(f"tags {commits[rel.commit].tag} and {rel.tag} point at the same commit")
            commits[rel.commit] = rel
    for events in index.stage_events.values():
        events.sort(key=lambda e: (e.counter, e.date))
    return index


def counter_ref(name: str, counter: int) -> str:
    """The create-only ref that takes stage counter N for a model ('/' escaped: `a` and `a/b` never clash)."""
    return f"{COUNTER_REFS}/{name.replace('/', '%2F')}/{counter}"


def taken_counters(root: Path, name: str) -> tuple[int, int]:
    """(highest counter, latest tagger time) over the counter refs of a model; each points at its tag."""
    rows = git.for_each_ref(root, [f"{COUNTER_REFS}/{name.replace('/', '%2F')}/"],
                            ["%(refname:lstrip=-1)", "%(taggerdate:unix)"])
    counters = [int(r[0]) for r in rows if len(r) == 2 and r[0].isdigit()]
    times = [int(r[1]) for r in rows if len(r) == 2 and r[1].isdigit()]
    return max(counters, default=0), max(times, default=0)


def release_tag(name: str, version: semver.Version | str) -> str:
    return f"{name}@v{version}"


def parse_ref(text: str) -> tuple[str, str | None, str | None]:
    """`NAME`, `NAME@vX.Y.Z` / `NAME@X.Y.Z` or `NAME#STAGE` → (name, version, stage)."""
    if "#" in text:
        name, _, stage = text.partition("#")
        if not stage:
            raise InvalidInput("no stage after '#'", where=text, hint=f"use {name}#STAGE, e.g. {name}#prod")
        return name, None, stage
    if "@" in text:
        name, _, version = text.partition("@")
        if not version.removeprefix("v"):
            raise InvalidInput("no version after '@'", where=text, hint=f"use {name}@vX.Y.Z, e.g. {name}@v1.0.0")
        return name, version.removeprefix("v"), None
    return text, None, None
