"""The review page in a real browser: Debian's headless Chromium, driven by
Playwright's sync API (no ``playwright install``: the browser is /usr/bin/chromium).

Skipped only outside CI when Chromium or Playwright is missing; in CI
(``CI`` set) a missing browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polib
import pytest

from pipeline.build import translate
from pipeline.config import load_config
from pipeline.project import open_book
from pipeline.webreview import ReviewServer, create_app, new_token

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = os.environ.get("PIPELINE_CHROMIUM", "/usr/bin/chromium")
BOOK = "executive-summary"
NAME_KEY = "pipeline-review-name"

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - CI installs it
    sync_playwright = None  # type: ignore[assignment]


def _why_not() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    if sync_playwright is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


_MISSING = _why_not()
if _MISSING and os.environ.get("CI"):
    raise RuntimeError(f"the browser tests must run in CI: {_MISSING}")
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")
if sync_playwright is not None:
    expect.set_options(timeout=15_000)  # generous for a busy two-core CI machine


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM)
        yield chromium
        chromium.close()


class Served:
    """A project with machine translations, served on a free port."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.config = load_config(project)
        self.token = new_token()
        app = create_app(self.config, None, None, self.token)
        self.server = ReviewServer(app, token=self.token, port=0)

    @property
    def po(self) -> Path:
        return self.project / "content" / "es" / f"{BOOK}.po"

    def entry(self, sid: str) -> polib.POEntry:
        return next(e for e in polib.pofile(str(self.po)) if e.msgctxt == sid)

    def segment(self, prefix: str) -> str:
        _book, doc, _cat = open_book(self.config)
        return next(s.id for s in doc.segments if s.source.startswith(prefix))


@pytest.fixture
def served(project: Path) -> Iterator[Served]:
    translate(load_config(project), engine="pseudo")
    site = Served(project)
    site.server.start()
    try:
        yield site
    finally:
        site.server.stop()


def open_page(
    browser: Browser, served: Served, *, name: str | None = "Ana Ruiz", **options: Any
) -> tuple[BrowserContext, Page, list[str]]:
    """A new browser context (its own cookies and storage) on the page, and the
    list of script errors it reports (expected to stay empty)."""
    context = browser.new_context(**options)
    if name:
        context.add_init_script(f"window.localStorage.setItem({NAME_KEY!r}, {name!r})")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: _console(msg.type, msg.text, msg.location, errors))
    page.goto(served.server.url)
    # The page holds the token (never a cookie) and drops it from the address.
    assert page.url == served.server.base_url + "/"
    assert context.cookies() == []
    return context, page, errors


def _console(kind: str, text: str, location: Any, errors: list[str]) -> None:
    # Chromium logs every 4xx answer; a refused save (409) is part of the flow,
    # and so is the refusal of a reload, whose address no longer holds the
    # token (the refusal page asks again with the token the tab kept).
    if kind != "error" or "status of 409" in text:
        return
    url = (location or {}).get("url", "")
    reload_hop = "status of 403" in text and "/api/" not in url and "token=" not in url
    if not reload_hop:
        errors.append(text)


def row(page: Page, sid: str) -> Any:
    return page.locator(f"#seg-{sid}")


def test_filter_edit_approve_with_the_keyboard_and_reload(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    context, page, errors = open_page(
        browser, served, name=None, viewport={"width": 1280, "height": 900}
    )
    # The name is asked once, and remembered.
    dialog = page.locator("#who-dialog")
    expect(dialog).to_be_visible()
    page.locator("#who-input").fill("Ana Ruiz <ana@example.org>")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#who-name")).to_have_text("Ana Ruiz <ana@example.org>")

    page.select_option("#f-state", "machine")
    visible = page.locator("li.seg:not([hidden])")
    expect(visible).to_have_count(59)
    assert set(visible.evaluate_all("rows => rows.map(r => r.dataset.state)")) == {"machine"}
    assert page.url.endswith("/?state=machine")

    first = served.segment("This book unveils")
    second = served.segment("Forget the old-school")
    box = page.locator(f"#tx-{first}")
    box.focus()
    page.keyboard.press("Control+A")
    text = "Este libro revela un fenómeno nuevo y peligrosamente viral: el **narcosocialismo**."
    page.keyboard.type("Este libro")  # typed key by key, then the rest at once
    page.keyboard.insert_text(text.removeprefix("Este libro"))
    expect(row(page, first).locator(".dirty")).to_be_visible()
    page.keyboard.press("Control+Enter")

    expect(row(page, first).locator(".seg-head .badge")).to_have_text("✓ Reviewed")
    expect(page.locator(f"#tx-{second}")).to_be_focused()  # on to the next one
    expect(page.locator("#progress-text")).to_have_text("1 of 59 segments reviewed (2%)")
    expect(page.locator("#status")).to_contain_text("1 of 59 reviewed")
    assert row(page, first).is_visible()  # stays until the filter changes
    page.screenshot(path=str(tmp_path / "review-page.png"))
    assert (tmp_path / "review-page.png").stat().st_size > 10_000

    page.reload()
    expect(page.locator("#f-state")).to_have_value("machine")
    assert page.url == served.server.base_url + "/?state=machine"
    expect(row(page, first)).to_be_hidden()
    page.select_option("#f-state", "reviewed")
    expect(page.locator("li.seg:not([hidden])")).to_have_count(1)
    expect(row(page, first).locator(".seg-head .badge")).to_have_text("✓ Reviewed")
    expect(page.locator(f"#tx-{first}")).to_have_value(text)
    expect(row(page, first).locator(".who-meta")).to_contain_text(
        "approved by Ana Ruiz <ana@example.org>"
    )

    entry = served.entry(first)
    assert entry.msgstr == text
    assert "fuzzy" not in entry.flags
    assert "pipeline: reviewed-by Ana Ruiz <ana@example.org>" in entry.comment
    assert errors == []
    context.close()


def test_second_reviewer_gets_the_conflict_message(browser: Browser, served: Served) -> None:
    sid = served.segment("This book unveils")
    ana_context, ana, ana_errors = open_page(browser, served, name="Ana")
    luis_context, luis, luis_errors = open_page(browser, served, name="Luis")

    ana.locator(f"#tx-{sid}").fill("Texto de Ana")
    row(ana, sid).get_by_role("button", name="Approve segment").click()
    expect(row(ana, sid).locator(".seg-head .badge")).to_have_text("✓ Reviewed")

    # Luis's page notices the change when he comes back to it ...
    luis.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(luis.locator("#stale")).to_contain_text("1 segment(s) changed on disk")
    # ... and a save against the old version is refused, showing Ana's text.
    luis.locator(f"#tx-{sid}").fill("Texto de Luis")
    luis.locator(f"#tx-{sid}").press("Control+Enter")
    message = row(luis, sid).locator(".msg")
    expect(message).to_contain_text("Nothing was overwritten")
    expect(message).to_contain_text("Texto de Ana")
    expect(message).to_contain_text("approved by Ana")
    expect(luis.locator(f"#tx-{sid}")).to_have_value("Texto de Luis")
    assert served.entry(sid).msgstr == "Texto de Ana"

    # Taking Ana's text is one click; nothing is written.
    row(luis, sid).get_by_role("button", name="Use their text").click()
    expect(luis.locator(f"#tx-{sid}")).to_have_value("Texto de Ana")
    expect(row(luis, sid).locator(".seg-head .badge")).to_have_text("✓ Reviewed")
    assert served.entry(sid).msgstr == "Texto de Ana"
    assert ana_errors == luis_errors == []
    ana_context.close()
    luis_context.close()


def test_typed_html_is_shown_as_text(browser: Browser, served: Served) -> None:
    context, page, errors = open_page(browser, served)
    payloads = {
        served.segment("By Ignacio"): "<script>window.__pwned = 1</script> Por Ignacio",
        served.segment("Member of the"): 'Miembro <img src=x onerror="window.__pwned=2">',
    }
    for sid, text in payloads.items():
        page.locator(f"#tx-{sid}").fill(text)
        page.locator(f"#tx-{sid}").press("Control+Enter")
        expect(row(page, sid).locator(".seg-head .badge")).to_have_text("✓ Reviewed")
    page.reload()
    for sid, text in payloads.items():
        expect(page.locator(f"#tx-{sid}")).to_have_value(text)
        assert served.entry(sid).msgstr == text
    assert page.evaluate("window.__pwned") is None
    assert page.locator("li.seg img").count() == 0
    assert page.locator("main script").count() == 0
    assert errors == []
    context.close()


def test_approve_several_selected_segments(browser: Browser, served: Served) -> None:
    context, page, errors = open_page(browser, served)
    chosen = [served.segment(p) for p in ("By Ignacio", "Member of the", "Available on")]
    for sid in chosen:
        page.locator(f"#sel-{sid}").check()
    button = page.locator("#approve-selected")
    expect(button).to_have_text("Approve selected (3)")
    button.click()
    for sid in chosen:
        expect(row(page, sid).locator(".seg-head .badge")).to_have_text("✓ Reviewed")
        expect(page.locator(f"#sel-{sid}")).to_be_disabled()
    expect(button).to_be_disabled()
    expect(page.locator("#progress-text")).to_have_text("3 of 59 segments reviewed (5%)")
    assert all("fuzzy" not in served.entry(sid).flags for sid in chosen)
    assert errors == []
    context.close()


def test_usable_by_keyboard_alone_and_labelled(browser: Browser, served: Served) -> None:
    context, page, errors = open_page(browser, served)
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !el.textContent.trim())
            .map(el => el.outerHTML)"""
    )
    assert unlabelled == []
    # Tab from the filter reaches the first segment's checkbox, then its text box.
    page.locator("#f-qa").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('tx')"):
            break
    first = page.evaluate("document.activeElement.id")
    assert first.startswith("tx-")
    page.keyboard.press("Alt+ArrowDown")
    assert page.evaluate("document.activeElement.id") != first
    page.keyboard.press("Alt+ArrowUp")
    assert page.evaluate("document.activeElement.id") == first
    assert errors == []
    context.close()


def test_works_at_400_percent_zoom(browser: Browser, served: Served, tmp_path: Path) -> None:
    # 400% zoom of a 1280x1024 window leaves 320x256 CSS pixels.
    context, page, errors = open_page(browser, served, viewport={"width": 320, "height": 256})
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"horizontal scrolling at 320px: {width}"
    sid = served.segment("This book unveils")
    box = page.locator(f"#tx-{sid}")
    box.scroll_into_view_if_needed()
    assert box.bounding_box()["width"] > 200  # type: ignore[index]
    box.fill("Este libro revela el narcosocialismo.")
    row(page, sid).get_by_role("button", name="Approve segment").click()
    expect(row(page, sid).locator(".seg-head .badge")).to_have_text("✓ Reviewed")
    page.screenshot(path=str(tmp_path / "review-page-400.png"))
    assert errors == []
    context.close()


def test_a_volunteer_link_records_their_name_and_can_be_revoked(
    browser: Browser, project: Path
) -> None:
    from pipeline.webreview import Roster

    translate(load_config(project), engine="pseudo")
    team = project / "team.toml"
    team.write_text('[[reviewer]]\nname = "Ana Pérez"\nemail = "ana@example.org"\n')
    roster = Roster(team, project / ".pipeline-cache")
    app = create_app(load_config(project), None, None, access=roster)
    server = ReviewServer(app, port=0)
    server.start()
    try:
        (ana,) = roster.links
        context = browser.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(server.link(ana.token))
        assert page.url == server.base_url + "/"
        expect(page.locator("#who-name")).to_have_text("Ana Pérez <ana@example.org>")
        expect(page.locator("#who-dialog")).to_be_hidden()  # no name to type
        assert page.locator("#who-change").count() == 0
        _book, doc, _cat = open_book(load_config(project))
        sid = next(s.id for s in doc.segments if s.source.startswith("By Ignacio"))
        page.locator(f"#tx-{sid}").fill("Por Ignacio De León")
        page.locator(f"#tx-{sid}").press("Control+Enter")
        expect(page.locator(f"#seg-{sid} .seg-head .badge")).to_have_text("✓ Reviewed")
        po = project / "content" / "es" / f"{BOOK}.po"
        entry = next(e for e in polib.pofile(str(po)) if e.msgctxt == sid)
        assert "pipeline: reviewed-by Ana Pérez <ana@example.org>" in entry.comment
        # The publisher revokes the link: the next reload shows it, once.
        team.write_text(team.read_text() + "revoked = true\n")
        page.reload()
        expect(page.locator("h1")).to_have_text("This link was revoked")
        assert "token=" not in page.url
        assert page.evaluate("window.sessionStorage.length") == 0
        assert errors == []
        context.close()
    finally:
        server.stop()


def test_a_memory_suggestion_goes_into_the_box_by_button_or_alt_m(
    browser: Browser, project: Path, tmp_path: Path
) -> None:
    from helpers import run

    memory = tmp_path / "publisher.tmx"
    memory.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="en"/><body>'
        '<tu><tuv xml:lang="en"><seg>What is the Big Idea here?</seg></tuv>'
        '<tuv xml:lang="es"><seg>¿Cuál es la gran idea aquí?</seg></tuv></tu>'
        "</body></tmx>\n",
        encoding="utf-8",
    )
    assert run("tm", "import", memory, project=project).code == 0
    translate(load_config(project), engine="pseudo")
    site = Served(project)
    site.server.start()
    try:
        context, page, errors = open_page(browser, site)
        sid = site.segment("I. What's the Big Idea?")
        box = page.locator(f"#tx-{sid}")
        button = row(page, sid).locator("button.use-memory")
        expect(row(page, sid).locator(".memory")).to_contain_text("From the memory (")
        button.focus()
        page.keyboard.press("Enter")
        expect(box).to_have_value("¿Cuál es la gran idea aquí?")
        expect(box).to_be_focused()
        expect(row(page, sid).locator(".dirty")).to_be_visible()  # not saved until approved
        box.fill("otra cosa")
        box.press("Alt+m")
        expect(box).to_have_value("¿Cuál es la gran idea aquí?")
        assert errors == []
        context.close()
    finally:
        site.server.stop()


def test_unknown_words_are_listed_described_and_gone_after_a_save(
    browser: Browser, served: Served
) -> None:
    """Words the engine did not know: listed under the segment, part of the text
    box's accessible description, no axe-core violation in the row, and gone
    once a person saves their own text."""
    sid = served.segment("These aren't shadowy")
    _book, _doc, cat = open_book(served.config)
    cat.set_machine(sid, "Estos no son shadowy fugitivos.", "apertium", "1", unknown=["shadowy"])
    cat.save()
    context, page, errors = open_page(browser, served, bypass_csp=True)  # to load axe-core
    box = row(page, sid).locator(".unknown")
    expect(box).to_contain_text("Words the engine did not know")
    expect(box.locator("mark")).to_have_text("shadowy")
    described = page.locator(f"#tx-{sid}").get_attribute("aria-describedby") or ""
    assert f"unk-{sid}" in described.split()
    axe = Path(__file__).resolve().parent.parent / ".ci-node/node_modules/axe-core/axe.min.js"
    if axe.is_file():
        page.add_script_tag(path=str(axe))
        found = page.evaluate(
            "async (sel) => (await axe.run({include: [sel]}, {resultTypes: ['violations']}))"
            ".violations.map(v => v.id)",
            f"#seg-{sid}",
        )
        assert found == []
    page.locator(f"#tx-{sid}").fill("Estos no son fugitivos oscuros.")
    row(page, sid).locator("button.save").click()
    expect(row(page, sid).locator(".seg-head .badge")).to_contain_text("Needs review")
    expect(row(page, sid).locator(".unknown")).to_have_count(0)
    described = page.locator(f"#tx-{sid}").get_attribute("aria-describedby") or ""
    assert f"unk-{sid}" not in described
    assert "pipeline: unknown" not in str(served.entry(sid))
    assert errors == []
    context.close()
