"""Accessibility: axe-core finds no serious problem in the HTML editions (headless
Chromium), and the PDFs are tagged, name their language and title, and read in order."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from pipeline.build import render, translate
from pipeline.config import load_config

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / ".ci-node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BOOK = "executive-summary"
SLUGS = ("en", "es", "en-es")
SETUP = "run `bash scripts/setup.sh test`, which installs it"


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``output/`` of the seed book built with the pseudo engine: HTML and PDF editions."""
    project = tmp_path_factory.mktemp("a11y") / "book"
    project.mkdir()
    shutil.copy(ROOT / "pipeline.toml", project / "pipeline.toml")
    shutil.copytree(ROOT / "content" / "en", project / "content" / "en")
    config = dataclasses.replace(load_config(project), formats=("html", "pdf"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
        translate(config, engine="pseudo")
        render(config)
    return project / "output"


# --------------------------------------------------------------------------- HTML: axe-core


@pytest.fixture(scope="module")
def axe_results(output: Path) -> dict[str, list[dict[str, Any]]]:
    """axe-core's violations for each HTML edition, in light mode on a wide screen and in
    dark mode on a phone-sized one; only ``file:`` URLs may load."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"playwright is not installed: {SETUP} (pip install -e '.[test]')")
    assert CHROMIUM.is_file(), f"Chromium is not installed at {CHROMIUM}: {SETUP}"
    assert AXE.is_file(), f"axe-core is not installed at {AXE}: {SETUP}"
    results: dict[str, list[dict[str, Any]]] = {}
    blocked: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for scheme, viewport in [("light", (1280, 900)), ("dark", (390, 844))]:
                page = browser.new_page(
                    color_scheme=scheme,  # type: ignore[arg-type]
                    viewport={"width": viewport[0], "height": viewport[1]},
                )

                def only_files(route: Any) -> None:
                    if route.request.url.startswith("file:"):
                        route.continue_()
                    else:
                        blocked.append(route.request.url)
                        route.abort()

                page.route("**/*", only_files)
                for slug in SLUGS:
                    page.goto((output / slug / f"{BOOK}.html").as_uri())
                    page.add_script_tag(path=str(AXE))
                    found = page.evaluate(
                        "async () => (await axe.run(document, {resultTypes: ['violations']}))"
                        ".violations"
                    )
                    results[f"{slug} ({scheme})"] = found
                page.close()
        finally:
            browser.close()
    assert blocked == [], f"the editions tried to load {blocked}"
    return results


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    )


@pytest.mark.parametrize("slug", SLUGS)
def test_axe_finds_no_serious_violation(
    axe_results: dict[str, list[dict[str, Any]]], slug: str
) -> None:
    for name, violations in axe_results.items():
        if not name.startswith(f"{slug} "):
            continue
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, f"{name}:\n{describe(violations)}"


def test_axe_finds_nothing_at_all_today(axe_results: dict[str, list[dict[str, Any]]]) -> None:
    """Minor and moderate findings too: none at present, keep it so."""
    found = {name: describe(v) for name, v in axe_results.items() if v}
    assert not found, found


# --------------------------------------------------------------------------- PDF


def pdf_catalog(path: Path) -> Any:
    from pypdf import PdfReader

    return PdfReader(path).trailer["/Root"]


def structure(path: Path) -> Counter[tuple[str, str]]:
    """(structure type, language) of every element of a PDF's tag tree."""
    found: Counter[tuple[str, str]] = Counter()
    root = pdf_catalog(path)

    def walk(node: Any, lang: str) -> None:
        node = node.get_object()
        if not hasattr(node, "get"):
            return
        lang = str(node.get("/Lang", lang))
        if "/S" in node:
            found[(str(node["/S"]), lang)] += 1
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            if hasattr(kid, "get_object"):
                walk(kid, lang)

    walk(root["/StructTreeRoot"], str(root["/Lang"]))
    return found


@pytest.mark.parametrize(("slug", "lang"), [("en", "en"), ("es", "es"), ("en-es", "en")])
def test_pdf_is_tagged_with_language_and_title(output: Path, slug: str, lang: str) -> None:
    path = output / slug / f"{BOOK}.pdf"
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    title = re.search(r"^Title:\s+(.+)$", info, re.M)
    assert title and len(title[1]) > 20
    catalog = pdf_catalog(path)
    assert catalog["/Lang"] == lang
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    kinds = {kind for kind, _ in structure(path)}
    assert {"/H1", "/H2", "/H3", "/H4", "/P", "/L", "/LI"} <= kinds


def test_bilingual_pdf_tags_the_translation_as_spanish(output: Path) -> None:
    found = structure(output / "en-es" / f"{BOOK}.pdf")
    for kind in ("/P", "/H3", "/H4", "/LI"):
        assert found[(kind, "en")] and found[(kind, "es")], kind
    one = structure(output / "es" / f"{BOOK}.pdf")
    assert {lang for _, lang in one} == {"es"}


def text_of(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", path, "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("slug", ["en", "es"])
def test_pdf_text_comes_out_in_reading_order(output: Path, slug: str) -> None:
    html = (output / slug / f"{BOOK}.html").read_text()
    main = html.split("<main>")[1].split("</main>")[0]
    headings = [
        unescape(re.sub(r"<[^>]+>", "", h))
        for _, h in re.findall(r"<h([234])[^>]*>(.*?)</h\1>", main)
    ]
    assert len(headings) == 17
    text = " ".join(text_of(output / slug / f"{BOOK}.pdf").split())
    body = text[text.index(headings[0], text.index(headings[-1])) :]  # after the contents
    at = [body.find(heading) for heading in headings]
    assert -1 not in at and at == sorted(at), list(zip(headings, at, strict=True))


def test_bilingual_pdf_text_gives_each_pair_in_turn(output: Path) -> None:
    text = " ".join(text_of(output / "en-es" / f"{BOOK}.pdf").split())
    source = text.index("This book unveils a new")
    translation = text.index("[!! Thís böök üñvéíls")
    following = text.index("Forget the old-school")
    assert source < translation < following
