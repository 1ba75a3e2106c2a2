"""Open the HTML report in headless Chromium and look at it as a reader would.

The browser is driven over the Chrome DevTools protocol through ``--remote-debugging-pipe``
(JSON messages separated by NUL bytes on file descriptors 3 and 4), so no websocket client,
Selenium or Playwright is needed — only a Chromium binary. Where there is none the tests skip
with the reason; CI installs it (``.ci/run``).
"""

from __future__ import annotations

import base64
import io
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from fleetsim.analysis.report import write_report
from tests.analysis.test_plots import outage_runs

CHROMIUM = next(
    (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))),
    None,
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on PATH (apt-get install chromium); browser check skipped"
)


class Page:
    """What the browser saw: every DevTools event and a PNG screenshot."""

    def __init__(self, events: list[dict[str, Any]], screenshot: bytes) -> None:
        self.events = events
        self.screenshot = screenshot

    @property
    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    @property
    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]

    @property
    def console_errors(self) -> list[str]:
        errors = []
        for e in self.events:
            method, params = e["method"], e["params"]
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                errors.append(" ".join(str(a.get("value")) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(params["entry"]["text"])
        return errors


def open_in_chromium(url: str, tmp: Path, size: tuple[int, int] = (1280, 1600)) -> Page:
    """Load ``url`` in a fresh headless Chromium, wait for load, record events, screenshot."""
    assert CHROMIUM is not None
    to_browser, from_us = os.pipe()
    to_us, from_browser = os.pipe()

    def wire_fds() -> None:  # in the child: the protocol's fixed descriptors 3 (in) and 4 (out)
        a, b = os.dup(to_browser), os.dup(from_browser)
        os.dup2(a, 3)
        os.dup2(b, 4)

    proc = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp / 'profile'}",
            "--remote-debugging-pipe",
            f"--window-size={size[0]},{size[1]}",
        ],
        preexec_fn=wire_fds,
        close_fds=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(to_browser)
    os.close(from_browser)
    buffer = b""
    events: list[dict[str, Any]] = []
    next_id = 0

    def pump(deadline: float, wanted: Any) -> dict[str, Any] | None:
        nonlocal buffer
        while time.monotonic() < deadline:
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    events.append(message)
                if wanted(message):
                    return message
            ready, _, _ = select.select([to_us], [], [], 0.1)
            if ready:
                chunk = os.read(to_us, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                buffer += chunk
        return None

    def call(method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        nonlocal next_id
        next_id += 1
        message: dict[str, Any] = {"id": next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(from_us, json.dumps(message).encode() + b"\0")
        reply = pump(time.monotonic() + 60, lambda m, i=next_id: m.get("id") == i)
        if reply is None or "error" in reply:
            raise RuntimeError(f"{method} failed: {reply}")
        return reply["result"]

    try:
        target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            call(f"{domain}.enable", None, session)
        call("Page.navigate", {"url": url}, session)
        loaded = pump(time.monotonic() + 60, lambda m: m.get("method") == "Page.loadEventFired")
        assert loaded is not None, "the page never finished loading"
        pump(time.monotonic() + 0.5, lambda m: False)  # late console messages and requests
        shot = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
        call("Browser.close")
    finally:
        os.close(from_us)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(to_us)
    return Page(events, base64.b64decode(shot))


def is_blank(png: bytes) -> bool:
    """True if the image is (nearly) one colour: under 1 % of pixels differ from the corner."""
    with Image.open(io.BytesIO(png)) as image:
        rgb = np.asarray(image.convert("RGB"))
    different = np.any(rgb != rgb[0, 0], axis=-1)
    return bool(different.mean() < 0.01)


def test_the_checker_catches_external_requests_console_errors_and_blank_pages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<html><body><img src='http://example.invalid/x.png'>"
        "<script>console.error('boom')</script></body></html>"
    )
    page = open_in_chromium(bad.as_uri(), tmp_path)
    assert page.external_requests == ["http://example.invalid/x.png"] * len(page.external_requests)
    assert page.external_requests
    assert "boom" in page.console_errors
    assert is_blank(page.screenshot)


def test_report_renders_in_chromium_offline_without_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_report(outage_runs(), tmp_path / "report.html")
    page = open_in_chromium(path.as_uri(), tmp_path)
    assert page.requests[0] == path.as_uri()
    assert page.external_requests == []
    assert page.console_errors == []
    with Image.open(io.BytesIO(page.screenshot)) as image:
        assert image.size[0] == 1280 and image.size[1] > 1000  # the viewport, less the chrome
    assert not is_blank(page.screenshot)
    # The figures were decoded by the browser: it fetched every embedded PNG.
    assert sum(u.startswith("data:image/png") for u in page.requests) >= 10
