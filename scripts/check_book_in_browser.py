"""Open the built book in headless Chromium and check what a reader sees.

Serves ``_build/html`` on 127.0.0.1 and, for every chapter and book page:

* math rendered: a page whose HTML has TeX math (``<span class="math">\\(...\\)``) must,
  after JavaScript ran, hold MathJax output (``mjx-container``) and no raw ``\\(`` left;
* figures present: every ``<img>`` the page shows is served and is a non-empty image;
* a screenshot of each chapter page is saved to ``_build/screenshots/``.

Exits non-zero with a list of problems. Needs Debian's ``chromium``.
    python scripts/check_book_in_browser.py _build/html
"""

from __future__ import annotations

import functools
import html
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--virtual-time-budget=20000",
]
RAW_MATH = re.compile(r"\\\(|\\\[")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    sys.exit("chromium not found: apt-get install chromium")


def browse(url: str, profile: str, extra: list[str]) -> str:
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, url]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return result.stdout


def main(site: Path) -> int:
    if not (site / "index.html").exists():
        sys.exit(f"{site} has no index.html: build the book first")
    pages = sorted(site.glob("notebooks/*.html")) + sorted(site.glob("book/*.html"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    shots = site.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    problems, n_math, n_images = [], 0, 0
    with tempfile.TemporaryDirectory() as profile:
        for page in pages:
            rel = page.relative_to(site).as_posix()
            source = page.read_text(encoding="utf-8")
            dom = browse(f"{base}/{rel}", profile, ["--dump-dom"])
            if not dom:
                problems.append(f"{rel}: chromium returned no DOM")
                continue
            if 'class="math' in source:
                n_math += 1
                if "mjx-container" not in dom:
                    problems.append(f"{rel}: has math but MathJax rendered nothing")
                # Text left in math spans after rendering means raw TeX shows.
                leftovers = [m for m in re.findall(r'<span class="math[^"]*">(.*?)</span>', dom, re.S)
                             if RAW_MATH.search(html.unescape(m))]
                if leftovers:
                    problems.append(f"{rel}: {len(leftovers)} formulas left as raw TeX, e.g. {leftovers[0][:60]!r}")
            for src in re.findall(r'<img[^>]+src="([^"]+)"', dom):
                if src.startswith("data:"):
                    n_images += 1
                    continue
                url = src if src.startswith("http") else f"{base}/{Path(rel).parent.as_posix()}/{src}"
                try:
                    with urllib.request.urlopen(url, timeout=10) as response:
                        body = response.read()
                    magic = body[:4] == b"\x89PNG" or body[:3] == b"\xff\xd8\xff" or b"<svg" in body[:500]
                    ok = len(body) > 100 and magic
                except OSError:
                    ok = False
                n_images += ok
                if not ok:
                    problems.append(f"{rel}: image {src} is missing or not an image")
            if rel.startswith("notebooks/"):
                png = shots / (page.stem + ".png")
                browse(f"{base}/{rel}", profile, [f"--screenshot={png}", "--window-size=1280,2400"])
                if not png.exists() or png.stat().st_size < 10_000:
                    problems.append(f"{rel}: screenshot failed")
    server.shutdown()
    print(f"checked {len(pages)} pages: {n_math} with math, {n_images} images; screenshots in {shots}")
    for p in problems:
        print("PROBLEM", p)
    return 1 if problems or not pages or not n_math else 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")))
