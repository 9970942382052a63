"""What the kill, concurrency and dvc-add trials share: per test module, an isolated HOME and a template repo
(`gitmodel init` with a local remote, each model with DVC weights and a git prompt, committed) that each
trial copies. A module sets TEMPLATE_MODELS for other models than `sentiment`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit.env import home_env
from tests.kit.templates import build_template


@pytest.fixture(scope="module")
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return home_env(tmp_path_factory.mktemp(f"{request.module.__name__.rpartition('.')[2]}-home"))


@pytest.fixture(scope="module")
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    models = getattr(request.module, "TEMPLATE_MODELS", ("sentiment",))
    where = tmp_path_factory.mktemp(f"{request.module.__name__.rpartition('.')[2]}-template")
    return build_template(where / "repo", env, models=models)
