"""The one test kit: every helper a test module needs, one module per noun. Tests import from the module
(`from tests.kit.git import git, release`); this file re-exports nothing.

- `env`       the isolated environment every git the suite runs sees: HOME and its .gitconfig, no system
              config, pinned terminal and locale, this checkout on PYTHONPATH (`isolate`, `home_env`).
- `git`       real git in a repo: `git`/`git_out`, `commit` (through the hooks, unchecked), `commit_all`
              (add -A, checked), `release` (the one annotated `NAME@vX` tag), `push`, `bare_remote`, `head`.
- `clock`     time for git without sleeping: `Clock` (a minute per tick) and `pin_dates`.
- `cli`       the real CLI: `gm` (in-process, via `clirun`), `gm_subprocess`, `gitmodel` (checked),
              `gitmodel_argv` and `run` (any argv, for trials where the process is the point).
- `clirun`    the in-process runner behind `gm` (its own tests: tests/cli/test_clirun.py).
- `files`     `write`, `replace_in` (edit a file by hand, asserting the text was there), `snapshot`
              (every byte under a repo plus `git status`), `tree` (a folder's files and their bytes).
- `manifests` a manifest edited as a user would: `edit`, `set_metrics`, `set_version`, `entry`,
              `set_entry` (with its DVC pointer), `entries`, `manifest_yaml` (the raw YAML), `MANIFEST`
              (sentiment's path); a JSON document's `paths_in` and `with_value_at` (for mutations).
- `repos`     repos with models stored in git (no DVC cost): `initialized` (`gitmodel init`, committed),
              `model_repo`, `make_model`, `add_sentiment`, `released_in_git`, `change_prompt_and_bump`,
              `two_releases`.
- `dvc`       repos with DVC-stored models and a local DVC remote: `make_model_repo`, `second_version`,
              `pushed_model_repo`, `dvc_released`, `drop_local_copies`; the remote's objects: `remote_object`,
              `put_object`, `flip_byte`, `hostile_dir_release`.
- `templates` module-scoped template repos built once and copied per test: `template_repo`,
              `build_template`, `copy_repo`, `copy_template`, `template_runner`, `has_command`.
- `tools`     the peer tools tests drive: `gto` (fails, never skips, with the install command),
              `install_hint` (what conftest's no-skip rule tells you to install), `bare_venv_python`.
- `gate`      the gate under attack: fixtures `gitrepo` and `dvcrepo` (import them into the test module),
              `refused_and_caught` (hook refuses; with --no-verify, `check --base` does), `dvc` (the DVC CLI).
- `goldens`   `golden(name, text)`: compare with tests/golden/NAME (GITMODEL_UPDATE_GOLDEN=1 rewrites).

Fixtures stay in tests/conftest.py (`repo`, `clock`, `bare_python`, the autouse isolation).
"""
