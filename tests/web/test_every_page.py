"""Every page a signed-in owner can reach from the start page, crawled in a real browser at phone and desktop
widths, in Spanish and English: nothing wider than the window or its container, no word broken inside in headings,
table headers, labels and chips, and (in Spanish) no moment, channel, purpose, reason or period code shown raw.

The pages are found by following the links (not from a list), so a new page is checked as soon as one links to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from momentos.db import unit_of_work
from momentos.demo.loader import load_demo
from momentos.kit.clock import utcnow
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run as deliver
from momentos.orgs.service import get_organization
from momentos.users import service as users
from momentos.web.labels import LABELS
from tests.conftest import LiveServer
from tests.factories import REACTIONS
from tests.web.dashboard_helpers import sign_in_user

pytestmark = [pytest.mark.browser, pytest.mark.live]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
MAX_PAGES = 60
SKIP = re.compile(r"^/(logout|static/|docs|openapi\.json|s/|survey/)|\.(pdf|png|csv|xes|parquet|html)$|/export")

COLLECTIONS = {"customers", "services", "processes", "surveys", "segments", "needs", "warnings", "alerts", "cases",
               "notifications", "templates", "users", "keys", "people", "episodes", "promises", "imports"}
# Codes that must never show raw in a Spanish page: those with an underscore or that are not Spanish words.
CODES = sorted({code for kind in ("moment", "channel", "purpose", "reason", "period", "intensity", "initiator",
                                 "deviation")
                for code in LABELS.get(kind, {}) if code not in ("*", "sms", "web", "app", "chat", "email")}
               | {"first_contact", "awareness", "consideration", "delivery", "support", "loyalty", "purchase",
                  "whatsapp", "phone", "transactional", "marketing", "service_recovery", "day", "week",
                  "month"})

OVERFLOW_JS = """() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1) {
    // Name the innermost elements that stick out of the window.
    const wide = Array.from(document.querySelectorAll('body *')).filter(e =>
      e.getBoundingClientRect().right > window.innerWidth + 1 &&
      !Array.from(e.children).some(c => c.getBoundingClientRect().right > window.innerWidth + 1));
    out.push('page ' + doc.scrollWidth + ' > ' + window.innerWidth + ' by ' + wide.slice(0, 3).map(e =>
      e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ')[0] : '')
    ).join(', '));
  }
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const style = getComputedStyle(el);
    if (style.position === 'absolute' || style.position === 'fixed' || style.display === 'none') continue;
    const parent = el.parentElement;
    if (!parent || parent === document.body) continue;
    const ps = getComputedStyle(parent);
    if (ps.overflowX !== 'visible') continue;
    const r = el.getBoundingClientRect(), p = parent.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > p.right + 2 && r.right > window.innerWidth - 1) {
      out.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : '') +
               ' right ' + Math.round(r.right) + ' > ' + Math.round(p.right));
    }
  }
  return out.slice(0, 5);
}"""

BROKEN_WORDS_JS = """() => {
  const clipped = (el) => {
    for (let a = el; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.clip !== 'auto' && s.clip !== '' || s.clipPath !== 'none') return true;
    }
    return false;
  };
  const out = [];
  const sel = 'h1, h2, h3, h4, th, label, button, dt, .chip, .badge, nav a, summary';
  for (const el of document.querySelectorAll(sel)) {
    const box = el.getBoundingClientRect();
    if (box.width <= 2 || box.height <= 2 || clipped(el)) continue;  // visually hidden: for screen readers only
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      const re = /[\\p{L}\\p{N}]{3,}/gu;
      let m;
      while ((m = re.exec(text)) !== null) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0)
                                  .map(r => Math.round(r.top)));
        if (tops.size > 1) out.push(el.tagName.toLowerCase() + ': ' + m[0]);
      }
    }
  }
  return out.slice(0, 5);
}"""

VISIBLE_TEXT_JS = """() => {
  // What a reader sees, without user content marked with another language and without form values.
  const clone = document.body.cloneNode(true);
  for (const el of clone.querySelectorAll('script, style, code, pre, textarea, input, select, .user-text, '
                                          + '[lang]:not([lang="es"])')) el.remove();
  document.body.appendChild(clone);
  clone.style.position = 'absolute'; clone.style.left = '-99999px';
  const text = clone.innerText;
  clone.remove();
  return text;
}"""


@pytest.fixture
def owner(live_server: LiveServer) -> dict[str, Any]:
    with unit_of_work(live_server.factory) as session:
        load_demo(session, customers=40, public_url=live_server.url, reactions=REACTIONS)
        org_id = get_organization(session, "demo").id
        login = users.demo_login(session, org_id, utcnow())
    # as in `momentos demo`: its worker delivers into the local mailbox (so /ops/mailbox has messages to show)
    deliver(live_server.factory, NotifySettings(local_mailbox=True, public_url=live_server.url), "every-page",
            once=True)
    return login


@pytest.fixture
def contexts(chromium: Browser) -> Iterator[dict[str, BrowserContext]]:
    made = {name: chromium.new_context(locale="es-ES", viewport=size) for name, size in VIEWPORTS.items()}
    for context in made.values():
        context.set_default_timeout(20_000)
    try:
        yield made
    finally:
        for context in made.values():
            context.close()


def _crawl(page: Page, base: str) -> list[str]:
    """Same-origin pages reachable from the start page, one per path shape (ids replaced), breadth first."""
    seen: dict[str, str] = {}
    queue = [f"{base}/"]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        parts = path.strip("/").split("/")
        # One page per shape: a customer, a service, a process… stand for all of their kind.
        shape = "/".join("N" if k and parts[k - 1] in COLLECTIONS else part for k, part in enumerate(parts))
        if shape in seen or SKIP.search(path):
            continue
        response = page.goto(url)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen[shape] = url
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            target, _ = urldefrag(urljoin(url, href))
            parts = urlsplit(target)
            if f"{parts.scheme}://{parts.netloc}" == base and "lang=" not in parts.query:
                queue.append(target)
    return list(seen.values())


def test_every_page_fits_the_window_and_shows_no_raw_codes(owner: dict[str, Any], live_server: LiveServer,
                                                           contexts: dict[str, BrowserContext],
                                                           engine: Any, artifacts: Path) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("layout does not depend on the database: checked once, on SQLite")
    desktop = contexts["desktop"].new_page()
    sign_in_user(desktop, live_server, owner["email"], owner["password"])
    pages = _crawl(desktop, live_server.url)
    # overview, customers, configuration, operations, a service, its map, a cell, its indicators, a customer…
    assert len(pages) >= 15, "\n".join(pages)
    pages.append(f"{live_server.url}/login")
    problems: list[str] = []
    raw = re.compile(r"(?<![\w@./-])(" + "|".join(map(re.escape, CODES)) + r")(?![\w@/-])")
    for name, context in contexts.items():
        tab = desktop if name == "desktop" else context.new_page()
        if tab is not desktop:
            sign_in_user(tab, live_server, owner["email"], owner["password"])
        for lang in ("es", "en"):
            for url in pages:
                tab.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
                where = f"{name} {lang} {url.removeprefix(live_server.url)}"
                problems += [f"{where}: overflow {o}" for o in tab.evaluate(OVERFLOW_JS)]
                problems += [f"{where}: broken word {w}" for w in tab.evaluate(BROKEN_WORDS_JS)]
                if lang == "es":
                    text = tab.evaluate(VISIBLE_TEXT_JS)
                    found = {m.group(1): text[max(0, m.start() - 30):m.end() + 30].replace("\n", " ")
                             for m in raw.finditer(text)}
                    problems += [f"{where}: raw code {code} in «{around}»" for code, around in found.items()]
    (artifacts / "every-page-problems.txt").write_text("\n".join([*pages, "", *problems]))
    assert problems == [], "\n".join(problems)
