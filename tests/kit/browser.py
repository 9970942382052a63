"""Debian's headless Chromium, driven through Playwright's Python package (never a browser of its own):
open a page of a built site as a person would, with or without JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.kit.tools import need_tool

# What every test browser runs with: no sandbox (root in CI), no GPU, and nothing that reaches the network
# on its own (QUIC, component updates, sync, background fetches); the profile is a fresh folder per launch.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _sync_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is not installed: `pip install -e '.[test]'` (or `make test`); "
                    "it drives the system's chromium, no browser download needed", pytrace=False)
    return sync_playwright


@contextmanager
def playwright() -> Iterator[Any]:
    """Playwright's driver (one per test module: its sync API cannot be started twice at once)."""
    need_tool("chromium")
    with _sync_playwright()() as pw:
        yield pw


@contextmanager
def chromium(pw: Any, profile: Path, *, javascript: bool = True, color_scheme: str = "light",
             offline: bool = True) -> Iterator[Any]:
    """A browser context (Playwright's BrowserContext) on Debian's chromium, with a fresh `--user-data-dir`;
    `offline=False` only for a server the test runs on 127.0.0.1."""
    context = pw.chromium.launch_persistent_context(
        str(profile), executable_path=need_tool("chromium"), headless=True, args=FLAGS,
        java_script_enabled=javascript, color_scheme=color_scheme, viewport={"width": 1200, "height": 900},
        offline=offline)
    try:
        yield context
    finally:
        context.close()


def file_url(path: Path) -> str:
    return path.resolve().as_uri()


@contextmanager
def static_host(folder: Path) -> Iterator[str]:
    """`folder` served over HTTP on 127.0.0.1 (a static host, as GitHub or GitLab Pages serve a site);
    yields its base URL. The server runs in a thread and is shut down on exit."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
