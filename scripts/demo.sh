#!/usr/bin/env bash
# `make demo`: a whole model life cycle in a throw-away repo with a local DVC remote.
# Needs only what `make` put in .venv (on PATH) plus git.
set -euo pipefail

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gitmodel-demo.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
[ "${KEEP:-0}" = "1" ] && echo "keeping $WORK" || trap cleanup EXIT

# A git identity for this demo only (your global config is not touched).
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-gitmodel demo}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-demo@example.com}"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export DVC_NO_ANALYTICS=1 DVC_NO_UPDATER=1 XDG_DATA_HOME="$WORK/xdg-data"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
# print a command as you would type it: arguments with spaces or quotes get single quotes
show() { local out="" a; for a in "$@"; do case "$a" in *[[:space:]\'\"\$]*) out+=" '${a//\'/\'\\\'\'}'";; *) out+=" $a";; esac; done; printf '%s' "${out# }"; }
run() { step "$(show "$@")"; "$@"; }
expect_fail() { step "$(show "$@")"; if "$@"; then echo "demo: expected this to fail" >&2; exit 1; else echo "(refused, exit $?, as expected)"; fi; }
has() { gitmodel --help | grep "^│ $1 " >/dev/null; }

cd "$WORK" && git init -q -b main repo && cd repo
python - <<'PY'
import os, json, pathlib
pathlib.Path("artifacts").mkdir(); pathlib.Path("data").mkdir(); pathlib.Path("prompts").mkdir()
pathlib.Path("artifacts/model.safetensors").write_bytes(
    (16).to_bytes(8, "little") + b'{"__metadata__":{}}'[:16] + os.urandom(2 * 1024 * 1024))
pathlib.Path("data/train.csv").write_text("text,label\ngreat support,pos\nslow reply,neg\n")
pathlib.Path("prompts/system.txt").write_text("You classify support tickets as pos, neu or neg.\n")
pathlib.Path("params.yaml").write_text("learning_rate: 0.001\nepochs: 3\n")
pathlib.Path("metrics.json").write_text(json.dumps({"accuracy": 0.88, "f1": 0.85}))
PY
git add params.yaml metrics.json && git commit -qm "training outputs"

run gitmodel init --remote "$WORK/dvc-remote"
git commit -qm "gitmodel init"
run gitmodel add sentiment --weights artifacts/model.safetensors --data data/train.csv \
    --prompt prompts/system.txt --params params.yaml --metrics metrics.json --description "Support ticket sentiment"
run git commit -qm "sentiment 0.1.0"
run gitmodel check
has tag && run gitmodel tag sentiment -m "first release"
has push && run gitmodel push

step "echo 'Answer in one word.' >> prompts/system.txt"
echo "Answer in one word." >> prompts/system.txt
expect_fail git commit -qam "reword prompt"
expect_fail gitmodel check
python -c "import json; json.dump({'accuracy': 0.91, 'f1': 0.87}, open('metrics.json', 'w'))"
run gitmodel bump sentiment --metrics metrics.json
run git commit -qam "sentiment 0.2.0: terser prompt"
has tag && run gitmodel tag sentiment -m "terser prompt"
has versions && run gitmodel versions sentiment
has diff && run gitmodel diff sentiment@v0.1.0 sentiment@v0.2.0 --format markdown
if has approve; then
  run gitmodel approve sentiment@v0.1.0 --role ml-lead -m "baseline, eval report reviewed"
  run gitmodel approve sentiment@v0.2.0 --role ml-lead -m "eval report reviewed"
fi
if has promote; then
  run gitmodel promote sentiment@v0.1.0 prod
  run gitmodel promote sentiment@v0.2.0 prod
  run gitmodel stages sentiment
  run gitmodel rollback sentiment prod
  run gitmodel stages sentiment
fi

step "a second model, small enough for git: a search ranker"
printf 'ranker weights v1\n' > artifacts/ranker.bin
printf 'depth: 4\n' > ranker.yaml
printf '{"ndcg": 0.71}\n' > ranker-metrics.json
run gitmodel add team/ranker --weights artifacts/ranker.bin --git artifacts/ranker.bin --params ranker.yaml \
    --metrics ranker-metrics.json --description "Search result ranker"
git add -A && git commit -qm "team/ranker 0.1.0"
has tag && run gitmodel tag team/ranker -m "first ranker"
has approve && run gitmodel approve team/ranker@v0.1.0 --role ml-lead
has promote && run gitmodel promote team/ranker@v0.1.0 prod
has push && run gitmodel push --all-releases
run gitmodel ls
if has site; then
  run gitmodel site -o "$WORK/site"
  echo "(KEEP=1 keeps the site to open in a browser)"
fi
if has get; then
  step "rm -rf .dvc/cache artifacts/model.safetensors   # as on a fresh machine"
  rm -rf .dvc/cache artifacts/model.safetensors
  run gitmodel get sentiment@v0.1.0 --out "$WORK/export"
  ls -l "$WORK/export"
  run gitmodel checkout sentiment@v0.1.0 --force
  run gitmodel verify sentiment
  echo "(the working tree now holds v0.1.0, an old release: to ship it again, \`gitmodel bump sentiment\` gives it a version above 0.2.0)"
fi
echo
echo "demo: the whole life cycle ran in $WORK (removed on exit; KEEP=1 keeps it)"
