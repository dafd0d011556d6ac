"""A small headless Chromium driver for the HTML tests: the DevTools protocol over a pipe.

Chromium started with ``--remote-debugging-pipe`` reads protocol commands on its file
descriptor 3 and writes answers and events on 4, each message JSON ended by a NUL byte; so
no port, no WebSocket library and no browser download (Playwright's) are needed: only the
system's ``chromium`` (Debian's package; ``.ci/run`` installs it).  :func:`find_chromium`
says where it is, or ``None``.

A :class:`Page` opened with :meth:`Browser.open` records, from before the page starts
loading, every console message, uncaught exception, log entry and network request, so a test
can say "no console error, no request but the page itself".
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self

#: Where a test may be told which browser to use.
CHROMIUM_ENV = "ECF_CHROMIUM"
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_chromium() -> str | None:
    """The Chromium to drive: ``$ECF_CHROMIUM``, else the first of the usual names on PATH."""
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        return given
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    """The browser answered a command with an error, or did not answer in time."""


class Browser:
    """One headless Chromium, driven over the DevTools pipe."""

    def __init__(self, executable: str, *, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="ecf-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def plumb() -> None:  # in the child, before exec: the pipe on 3 and 4
            # Copies first: a pipe end may already be 3 or 4, and dup2 onto itself would
            # leave it close-on-exec.
            reading, writing = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        try:
            self._process = subprocess.Popen(
                [
                    executable,
                    "--headless",
                    "--no-sandbox",  # tests may run as root (CI); the pages are our own files
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-extensions",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--hide-scrollbars",
                    "--remote-debugging-pipe",
                    f"--user-data-dir={self._profile.name}",
                    "about:blank",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # Chromium logs dbus and GPU noise there
                close_fds=False,  # os.pipe() descriptors are not inherited; 3 and 4 are, by dup2
                preexec_fn=plumb,  # noqa: PLW1509 - the one way to place the pipe on fds 3 and 4
            )
        except OSError:
            for fd in (to_browser_r, self._to_browser, self._from_browser, from_browser_w):
                os.close(fd)
            self._profile.cleanup()
            raise
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> Any:
        """Send one command and wait for its answer (events seen meanwhile are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str | None = None) -> dict[str, Any]:
        """Wait for an event (one already seen counts), and return its parameters."""
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == session:
                return dict(event.get("params", {}))
        while True:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method and event.get("sessionId") == session:
                return dict(event.get("params", {}))

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise BrowserError(f"no answer from the browser in {self.timeout} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("the browser closed the pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        data: dict[str, Any] = json.loads(message)
        return data

    def open(self, url: str, *, width: int = 1280, height: int = 900) -> Page:
        """Open ``url`` in a new tab and wait until it has loaded."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        return page

    def close(self) -> None:
        """Close the browser and its pipe, and remove its profile."""
        with contextlib.suppress(BrowserError, OSError):  # it may be gone already
            self.send("Browser.close")
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class Page:
    """A tab: evaluate script, take a screenshot, print, and what happened while it loaded."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def _events(self, method: str) -> list[dict[str, Any]]:
        return [
            dict(e.get("params", {}))
            for e in self.browser.events
            if e.get("method") == method and e.get("sessionId") == self.session
        ]

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-able values)."""
        result = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions and error log entries so far."""
        self.evaluate("0")  # let queued events arrive
        out = [
            f"console.{e['type']}: {[a.get('value', a.get('description')) for a in e['args']]}"
            for e in self._events("Runtime.consoleAPICalled")
            if e["type"] in {"error", "warning", "assert"}
        ]
        out += [
            f"exception: {e['exceptionDetails'].get('exception', {}).get('description')}"
            for e in self._events("Runtime.exceptionThrown")
        ]
        out += [
            f"log {e['entry']['source']}: {e['entry']['text']}"
            for e in self._events("Log.entryAdded")
            if e["entry"]["level"] in {"error", "warning"}
        ]
        return out

    def requests(self) -> list[str]:
        """The URL of every request the page made (itself included)."""
        return [e["request"]["url"] for e in self._events("Network.requestWillBeSent")]

    def screenshot(self, selector: str | None = None) -> bytes:
        """A PNG of the whole page, or of the first element ``selector`` matches."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if selector is not None:
            box = self.evaluate(
                f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                ".getBoundingClientRect(); return {x: r.left + scrollX, y: r.top + scrollY, "
                "width: r.width, height: r.height, scale: 1}; })()"
            )
            params["clip"] = box
        data = self.browser.send("Page.captureScreenshot", params, session=self.session)["data"]
        return base64.b64decode(data)

    def pdf(self) -> bytes:
        """The page printed to PDF (A4, with the print style sheet)."""
        data = self.browser.send(
            "Page.printToPDF",
            {"preferCSSPageSize": True, "printBackground": True},
            session=self.session,
        )["data"]
        return base64.b64decode(data)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of pixels (RGB or RGBA bytes) of an 8-bit, non-interlaced PNG.

    Enough of PNG to check a screenshot is not blank, without an imaging library.
    """
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        msg = "not a PNG"
        raise ValueError(msg)
    pos = 8
    idat = b""
    width = height = channels = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace or colour not in (2, 6):
                msg = f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}"
                raise ValueError(msg)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        filt = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + a) & 0xFF
            elif filt == 2:
                line[i] = (line[i] + b) & 0xFF
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def colours(data: bytes, *, step: int = 4) -> dict[tuple[int, ...], int]:
    """How many pixels of each colour (sampled every ``step`` pixels each way)."""
    width, _, rows = png_pixels(data)
    channels = len(rows[0]) // width if rows else 3
    seen: dict[tuple[int, ...], int] = {}
    for row in rows[::step]:
        for x in range(0, width, step):
            pixel = tuple(row[x * channels : x * channels + 3])
            seen[pixel] = seen.get(pixel, 0) + 1
    return seen
