"""Open the built documentation site in headless Chromium and check every page.

Usage::

    python docs/check_site.py [SITE] [--chromium PATH] [--screenshots DIR]

``SITE`` defaults to ``docs/_build/html``. Every HTML page of the site is
loaded in a real browser (Chromium, driven through the DevTools protocol over
a pipe, so nothing but Chromium and the standard library is needed), and the
script fails (exit status 1) on:

- a broken internal link: a link to a file of the site that does not exist,
  or to an anchor that the target page does not have;
- a missing image (an ``<img>`` the browser could not load);
- a JavaScript error (an uncaught exception or a ``console.error``) or a
  resource that failed to load;
- any request that leaves the site (the site must work offline);
- a search for ``MLPScratchClassifier`` on the search page that does not find
  its API page.

It also fails when a gallery example shows no figure (unless ``--noplot``: a
site built with ``make html-noplot``) or an API page shows no Examples
section. It prints one line per problem, then a summary. Exit status
2 means that no Chromium was found. ``--self-test`` checks a small site with
one planted fault of each kind and fails unless every one is caught.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
SEARCH_TERM = "MLPScratchClassifier"
SKIP_DIRS = {"_static", "_images", "_downloads", "_sources", "_sphinx_design_static"}

# Collects, in the page, what the checks need: links, broken images, ids.
PAGE_FACTS_JS = """(() => {
  const links = Array.from(document.querySelectorAll('a[href]')).map(a => a.href);
  const images = Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete && i.naturalWidth > 0]);
  const ids = Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.getAttribute('name'));
  const figures = document.querySelectorAll('img.sphx-glr-single-img, img.sphx-glr-multi-img').length;
  const examples = Array.from(document.querySelectorAll('p.rubric, h2, h3'))
    .some(e => e.textContent.trim().startsWith('Examples'));
  return JSON.stringify({links, images, ids, figures, examples});
})()"""

SEARCH_JS = """(() => {
  const hits = Array.from(document.querySelectorAll('#search-results li a, ul.search li a'));
  return JSON.stringify(hits.map(a => [a.textContent, a.href]));
})()"""


class CDPError(RuntimeError):
    pass


class Chromium:
    """A headless Chromium driven through ``--remote-debugging-pipe`` (fds 3 and 4)."""

    def __init__(self, executable: str):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def plug_pipes():  # in the child: the protocol reads fd 3 and writes fd 4
            read_end = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._profile = tempfile.mkdtemp(prefix="skcnn-check-site-")
        args = [
            executable, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--allow-file-access-from-files", f"--user-data-dir={self._profile}", "about:blank",
        ]
        self.proc = subprocess.Popen(args, preexec_fn=plug_pipes, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def _read_message(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise CDPError("Chromium closed the DevTools pipe (did it crash?)")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline - time.monotonic())
            if reply is None:
                raise CDPError(f"no answer to {method} within {timeout} s")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float) -> bool:
        """Wait until an event named ``method`` arrives for ``session``."""
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event["method"] == method and event.get("sessionId") == session:
                del self.events[i]
                return True
        while True:
            event = self._read_message(deadline - time.monotonic())
            if event is None:
                return False
            if "method" not in event:
                continue
            if event["method"] == method and event.get("sessionId") == session:
                return True
            self.events.append(event)

    def drain(self, seconds: float) -> None:
        """Collect the events of the next ``seconds`` (late errors of a page)."""
        deadline = time.monotonic() + seconds
        while True:
            event = self._read_message(max(0.0, deadline - time.monotonic()))
            if event is None:
                return
            if "method" in event:
                self.events.append(event)


class Tab:
    """One page of the browser, with the domains that report errors enabled."""

    def __init__(self, browser: Chromium, width: int = 1280, height: int = 900):
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def call(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def open(self, url: str, settle: float = 0.1) -> list[str]:
        """Load ``url``; return the problems the browser reported while loading it."""
        self.browser.events.clear()
        self.call("Page.navigate", {"url": url})
        if not self.browser.wait_for("Page.loadEventFired", self.session, timeout=30):
            return [f"did not finish loading within 30 s: {url}"]
        self.browser.drain(settle)
        return self._problems()

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise CDPError(f"script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, path: Path, height: int | None = None) -> None:
        params = {"format": "png"}
        if height:
            params["clip"] = {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}
            params["captureBeyondViewport"] = True
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", params)["data"]))

    def _problems(self) -> list[str]:
        problems = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                text = details.get("exception", {}).get("description") or details.get("text")
                problems.append(f"JavaScript error: {text.splitlines()[0] if text else details}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                problems.append(f"console.error: {args}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                problems.append(f"browser error: {entry.get('text')} {entry.get('url', '')}".strip())
            elif method == "Network.requestWillBeSent":
                url = params.get("request", {}).get("url", "")
                if urlsplit(url).scheme not in ("file", "data", "blob", "about", ""):
                    problems.append(f"request leaves the site (must work offline): {url}")
        return problems


def find_chromium(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def site_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if not (set(p.relative_to(site).parts[:-1]) & SKIP_DIRS))


def check_site(site: Path, chromium: str, screenshots: Path | None = None, verbose: bool = False,
               search_wait: float = 30, report: list | None = None, noplot: bool = False) -> int:
    site = site.resolve()
    pages = site_pages(site)
    if not (site / "index.html").exists():
        print(f"check_site: {site} has no index.html; build the site first (make -C docs html)")
        return 1
    problems: list[str] = []
    ids: dict[Path, set[str]] = {}
    links: list[tuple[Path, str]] = []
    start = time.monotonic()
    browser = Chromium(chromium)
    try:
        tab = Tab(browser)
        for page in pages:
            rel = page.relative_to(site)
            for problem in tab.open(page.as_uri()):
                problems.append(f"{rel}: {problem}")
            facts = json.loads(tab.evaluate(PAGE_FACTS_JS))
            ids[page] = set(facts["ids"])
            for src, loaded in facts["images"]:
                if not loaded:
                    problems.append(f"{rel}: image not loaded: {src}")
            links += [(page, href) for href in facts["links"]]
            # Every gallery example shows its figures (the scraper works), and
            # every API page shows an example.
            if (not noplot and rel.parts[0] == "auto_examples" and rel.name.startswith("plot_")
                    and not facts["figures"]):
                problems.append(f"{rel}: the gallery example shows no figure")
            if rel.parts[:2] == ("api", "generated") and not facts["examples"]:
                problems.append(f"{rel}: the API page shows no Examples section")
            if verbose:
                print(f"  {rel}: {len(facts['links'])} links, {len(facts['images'])} images")

        # The search page runs the query in JavaScript; wait for its results.
        search = site / "search.html"
        if search.exists():
            tab.open(search.as_uri() + f"?q={SEARCH_TERM}")
            hits, deadline = [], time.monotonic() + search_wait
            while time.monotonic() < deadline:
                hits = json.loads(tab.evaluate(SEARCH_JS))
                if hits:
                    break
                browser.drain(0.25)
            if not any(SEARCH_TERM in text or SEARCH_TERM in href for text, href in hits):
                problems.append(f"search.html: searching {SEARCH_TERM!r} found no page of it "
                                f"({len(hits)} results)")
            elif verbose:
                print(f"  search {SEARCH_TERM!r}: {len(hits)} results, first {hits[0][1]}")
        else:
            problems.append("search.html is missing")

        if screenshots is not None:
            screenshots.mkdir(parents=True, exist_ok=True)
            for name, rel in _screenshot_pages(site):
                tab.open((site / rel).as_uri(), settle=0.5)
                tab.screenshot(screenshots / f"{name}.png", height=1800)
                print(f"screenshot {screenshots / f'{name}.png'}: {rel}")
    finally:
        browser.close()

    for page, href in links:
        problem = _check_link(site, page, href, ids)
        if problem:
            problems.append(f"{page.relative_to(site)}: {problem}")

    for problem in sorted(set(problems)):
        print(problem)
    if report is not None:
        report.extend(sorted(set(problems)))
    seconds = time.monotonic() - start
    print(f"check_site: {len(pages)} pages, {len(links)} links, {len(set(problems))} problems "
          f"in {seconds:.0f} s")
    return 1 if problems else 0


def _check_link(site: Path, page: Path, href: str, ids: dict[Path, set[str]]) -> str | None:
    parts = urlsplit(href)
    if parts.scheme in ("http", "https", "mailto", "javascript", "data"):
        return None  # outbound links are the reader's to follow; only requests are checked
    if parts.scheme != "file":
        return f"link with an unexpected scheme: {href}"
    target = Path(unquote(parts.path))
    if target.is_dir():
        target = target / "index.html"
    try:
        target.relative_to(site)
    except ValueError:
        return f"link outside the site: {href}"
    if not target.exists():
        return f"broken link: {target.relative_to(site)}"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and target in ids and fragment not in ids[target]:
        return f"broken anchor: {target.relative_to(site)}#{fragment}"
    return None


def _screenshot_pages(site: Path) -> list[tuple[str, str]]:
    """The home page, one user-guide page, one API page and one gallery page."""
    wanted = [("home", "index.html"), ("user_guide", "user_guide/inspection.html"),
              ("api", "api/generated/skcnn.MLPScratchClassifier.html")]
    gallery = sorted((site / "auto_examples").glob("plot_*.html"))
    if gallery:
        wanted.append(("gallery", str(gallery[0].relative_to(site))))
    return [(name, rel) for name, rel in wanted if (site / rel).exists()]


# A small site with one fault of every kind the checker must catch, and the
# words each fault's report contains.
_BROKEN_SITE = {
    "index.html": '<html><body><a href="page.html">fine</a><a href="missing.html">gone</a>'
                  '<a href="page.html#nowhere">bad anchor</a><a href="page.html#here">good anchor</a>'
                  '<img src="nothere.png"><script>undefinedFunction();</script></body></html>',
    "page.html": '<html><body><p id="here">x</p><script>console.error("boom")</script>'
                 '<img src="https://example.invalid/x.png"></body></html>',
    "search.html": '<html><body><ul class="search"></ul></body></html>',
    "auto_examples/plot_empty.html": '<html><body><p>no figure</p></body></html>',
    "api/generated/skcnn.Nothing.html": '<html><body><p>no example</p></body></html>',
}
_EXPECTED = [
    "index.html: broken link: missing.html",
    "index.html: broken anchor: page.html#nowhere",
    "index.html: image not loaded",
    "index.html: JavaScript error: ReferenceError",
    "page.html: console.error: boom",
    "page.html: request leaves the site",
    "search.html: searching 'MLPScratchClassifier' found no page",
    "auto_examples/plot_empty.html: the gallery example shows no figure",
    "api/generated/skcnn.Nothing.html: the API page shows no Examples section",
]


def self_test(chromium: str) -> int:
    """Check a small broken site: every planted fault must be reported, nothing else."""
    with tempfile.TemporaryDirectory(prefix="skcnn-check-site-test-") as tmp:
        for rel, html in _BROKEN_SITE.items():
            (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / rel).write_text(html, encoding="utf-8")
        found: list[str] = []
        status = check_site(Path(tmp), chromium, search_wait=2, report=found)
    missed = [e for e in _EXPECTED if not any(f.startswith(e) for f in found)]
    for expected in missed:
        print(f"self-test: NOT CAUGHT: {expected}")
    print(f"check_site self-test: {len(_EXPECTED) - len(missed)} of {len(_EXPECTED)} planted faults caught")
    return 1 if missed or status != 1 else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", type=Path, default=HERE / "_build" / "html")
    parser.add_argument("--chromium", help="the Chromium executable (default: found on PATH)")
    parser.add_argument("--screenshots", type=Path, help="save screenshots of four pages here")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--noplot", action="store_true",
                        help="the site was built with html-noplot: gallery pages have no figures")
    parser.add_argument("--self-test", action="store_true",
                        help="check a small site with planted faults instead (each must be caught)")
    args = parser.parse_args(argv)
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("check_site: no Chromium found (apt-get install chromium, or pass --chromium PATH)")
        return 2
    if args.self_test:
        return self_test(chromium)
    return check_site(args.site, chromium, args.screenshots, args.verbose, noplot=args.noplot)


if __name__ == "__main__":
    sys.exit(main())
