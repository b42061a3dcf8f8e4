"""Browser fixtures: the real app under uvicorn on a free loopback port, and Debian's chromium
driven by Playwright. Never downloads a browser; without /usr/bin/chromium these tests fail."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from indexer.domain import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(index_dir: Path, **settings):
    """Serve the app over ``index_dir`` (and other ``settings``) with real uvicorn in a thread;
    yields its base URL."""
    from app.main import create_app
    from app.settings import Settings

    port = _free_port()
    config = uvicorn.Config(create_app(Settings(index_dir=index_dir, **settings)), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(index_dir: Path):
    """Base URL of the app served by real uvicorn (in a thread) over the session index."""
    with serve(index_dir) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium (scripts/system-deps.sh)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Pages:
    """New pages in fresh contexts, each collecting console errors (CSP violations, JS errors)."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.contexts = []
        self.errors: list[str] = []

    def new(self, width: int = 1280, height: int = 900, javascript: bool = True, color_scheme: str = "light", app_script: bool = True):
        """A page in a fresh context. ``app_script=False`` keeps JavaScript on for the test (axe
        needs it) but serves the app's only script empty: the page as a browser without
        JavaScript builds it (the pages have no <noscript> and no inline script)."""
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            locale="zh-CN",
            color_scheme=color_scheme,
        )
        self.contexts.append(context)
        page = context.new_page()
        if not app_script:
            page.route("**/static/app.js", lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))
        page.set_default_timeout(10_000)
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@contextmanager
def pages_on(browser, base_url: str):
    """Pages of the app at ``base_url``; closed afterwards, failing on any console error."""
    opened = Pages(browser, base_url)
    yield opened
    opened.close()
    assert opened.errors == [], f"console errors: {opened.errors}"


@pytest.fixture
def pages(browser, live_server):
    with pages_on(browser, live_server) as opened:
        yield opened


def screenshot(page, name: str, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
