#!/usr/bin/env python3
"""Open a trainbench HTML report in headless Chromium over the DevTools protocol (pipe
transport: commands on fd 3, replies on fd 4, NUL-separated JSON; standard library only) and
fail on any console error, uncaught exception, non-local request, chart without data or
pixels, text missing that --expect-text asks for, or text --reject-text forbids. Saves a full-page PNG screenshot. Exit 0 on success, 1 on a failed check."""
import argparse
import base64
import fcntl
import json
import os
import re
import select
import subprocess
import sys
import time


class Browser:
    def __init__(self, binary, user_data_dir):
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def wire_fds():  # the child reads commands on fd 3 and writes replies on fd 4
            # Move both ends above 4 first, so neither dup2 overwrites the other.
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
                "--user-data-dir=" + user_data_dir, "--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=wire_fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no reply from Chromium")
            ready, _, _ = select.select([self.from_child], [], [], left)
            if ready:
                chunk = os.read(self.from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe: " + self.stderr_tail())
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def pump(self, seconds):
        deadline = time.time() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def stderr_tail(self):
        try:
            self.proc.kill()
            return self.proc.stderr.read().decode(errors="replace")[-2000:]
        except Exception:  # noqa: BLE001 - diagnostics only
            return ""

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


CHECK_CHARTS = r"""
(() => {
  const out = [];
  const instances = Object.values(Chart.instances || {});
  for (const canvas of document.querySelectorAll('canvas')) {
    const chart = instances.find(c => c.canvas === canvas);
    const points = chart ? chart.data.datasets.reduce(
        (n, d) => n + d.data.filter(v => v !== null && v !== undefined).length, 0) : 0;
    const ctx = canvas.getContext('2d');
    const img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < img.length; i += 4) if (img[i] > 0) painted++;
    out.push({id: canvas.id, rendered: canvas.dataset.rendered === '1', points,
              painted_fraction: painted / (canvas.width * canvas.height), width: canvas.width, height: canvas.height});
  }
  return JSON.stringify(out);
})()
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--browser", required=True)
    ap.add_argument("--html", required=True)
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--user-data-dir", required=True)
    ap.add_argument("--min-charts", type=int, default=5)
    ap.add_argument("--expect-text", action="append", default=[],
                    help="a regular expression the rendered page's text must match (repeatable)")
    ap.add_argument("--reject-text", action="append", default=[],
                    help="a regular expression the rendered page's text must not match (repeatable): "
                         "NaN or undefined where a figure was read from a key the data lacks")
    args = ap.parse_args()
    url = "file://" + os.path.abspath(args.html)

    b = Browser(args.browser, args.user_data_dir)
    failures = []
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
            b.send(domain, session=session)
        b.send("Emulation.setDeviceMetricsOverride",
               {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        b.send("Page.navigate", {"url": url}, session=session)
        deadline = time.time() + 30
        state = {}
        while time.time() < deadline:
            b.pump(0.25)
            res = b.send("Runtime.evaluate", {"expression": "JSON.stringify({ready: document.body && "
                         "document.body.dataset.ready, expected: document.body && document.body.dataset.chartsExpected, "
                         "rendered: document.body && document.body.dataset.chartsRendered})", "returnByValue": True},
                         session=session)
            state = json.loads(res.get("result", {}).get("value") or "{}")
            if state.get("ready") == "1" and state.get("expected") == state.get("rendered"):
                break
        else:
            failures.append(f"the page did not finish rendering its charts within 30 s: {state}")
        b.pump(0.5)

        res = b.send("Runtime.evaluate", {"expression": CHECK_CHARTS, "returnByValue": True}, session=session)
        charts = json.loads(res.get("result", {}).get("value") or "[]")
        print("charts:", json.dumps(charts, indent=1))
        if len(charts) < args.min_charts:
            failures.append(f"expected at least {args.min_charts} charts, found {len(charts)}")
        for c in charts:
            if not c["rendered"]:
                failures.append(f"chart {c['id']}: Chart.js never rendered it")
            if c["points"] == 0:
                failures.append(f"chart {c['id']}: no data points")
            if c["painted_fraction"] < 0.01:
                failures.append(f"chart {c['id']}: canvas is blank ({c['painted_fraction']:.4f} of pixels painted)")

        res = b.send("Runtime.evaluate", {"expression": "document.body.innerText", "returnByValue": True},
                     session=session)
        page_text = res.get("result", {}).get("value") or ""
        for pattern in args.expect_text:
            if not re.search(pattern, page_text):
                failures.append(f"the page's text has nothing matching {pattern!r}")
        for pattern in args.reject_text:
            if m := re.search(pattern, page_text):
                failures.append(f"the page's text has {m.group(0)!r} (matching {pattern!r}) near: "
                                f"{page_text[max(0, m.start() - 80):m.end() + 20]!r}")

        metrics = b.send("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                      "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}},
                      session=session)
        with open(args.screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print("screenshot:", args.screenshot)
    finally:
        b.close()

    for e in b.events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            failures.append(f"console.{p['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            failures.append(f"uncaught exception: {d.get('exception', {}).get('description', d.get('text'))}")
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            failures.append(f"browser log error: {p['entry'].get('text')} ({p['entry'].get('url', '')})")
        elif method == "Network.requestWillBeSent":
            req_url = p.get("request", {}).get("url", "")
            if not (req_url.startswith("file://") or req_url.startswith("data:") or req_url == "about:blank"):
                failures.append(f"the report fetched {req_url}: it must be self-contained")

    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print(f"OK: {len(charts)} charts rendered with data, no console errors, nothing fetched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
