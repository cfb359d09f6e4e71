"""The review page's HTTP API, with Starlette's test client: access token,
CSRF, conflicts, escaping, and the PO file it writes."""

from __future__ import annotations

import dataclasses
import datetime
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import polib
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from pipeline.build import render, translate
from pipeline.catalog.catalog import State
from pipeline.cli import app as cli_app
from pipeline.config import load_config
from pipeline.project import open_book
from pipeline.webreview import ReviewServer, ServeError, create_app, is_loopback
from pipeline.webreview.app import cookie_name

BOOK = "executive-summary"
TOKEN = "test-token-123"
CSRF = "test-csrf-456"
BASE = "http://127.0.0.1:8765"
XSS_SCRIPT = "<script>alert('x')</script> Texto"
XSS_IMG = "Texto <img src=x onerror=alert(1)> final"


def po_path(project: Path) -> Path:
    return project / "content" / "es" / f"{BOOK}.po"


def po_entry(project: Path, sid: str) -> polib.POEntry:
    return next(e for e in polib.pofile(str(po_path(project))) if e.msgctxt == sid)


@pytest.fixture
def translated(project: Path) -> Path:
    translate(load_config(project), engine="pseudo")
    return project


@pytest.fixture
def client(translated: Path) -> Iterator[TestClient]:
    app = create_app(load_config(translated), None, None, TOKEN, csrf_token=CSRF)
    with TestClient(app, base_url=BASE) as test_client:
        assert test_client.get(f"/?token={TOKEN}").status_code == 200
        yield test_client


def versions(client: TestClient) -> dict[str, str]:
    response = client.get("/api/versions")
    assert response.status_code == 200
    found: dict[str, str] = response.json()["versions"]
    return found


def post(client: TestClient, url: str, payload: dict[str, Any], **headers: str) -> Any:
    return client.post(url, json=payload, headers={"X-CSRF-Token": CSRF, "Origin": BASE, **headers})


def approve(
    client: TestClient, sid: str, version: str, text: str | None = None, who: str = "Ana Ruiz"
) -> Any:
    item: dict[str, str] = {"id": sid, "version": version}
    if text is not None:
        item["text"] = text
    return post(client, "/api/approve", {"reviewer": who, "items": [item]})


def ids(project: Path) -> list[str]:
    _book, doc, _cat = open_book(load_config(project))
    return [s.id for s in doc.segments]


def segment_with(project: Path, prefix: str) -> str:
    _book, doc, _cat = open_book(load_config(project))
    return next(s.id for s in doc.segments if s.source.startswith(prefix))


# --------------------------------------------------------------------------- access


def test_every_request_needs_the_token(translated: Path) -> None:
    app = create_app(load_config(translated), None, None, TOKEN, csrf_token=CSRF)
    with TestClient(app, base_url=BASE) as anonymous:
        page = anonymous.get("/")
        assert page.status_code == 403
        assert "access link" in page.text
        assert anonymous.get("/api/versions").status_code == 403
        assert anonymous.get("/static/review.js").status_code == 403
        assert anonymous.get("/?token=wrong").status_code == 403
        assert anonymous.post("/api/approve", json={}).status_code == 403
        anonymous.cookies.set(cookie_name(TOKEN), "wrong")
        assert anonymous.get("/").status_code == 403


def test_token_in_the_address_sets_a_cookie_and_is_dropped(translated: Path) -> None:
    app = create_app(load_config(translated), None, None, TOKEN, csrf_token=CSRF)
    with TestClient(app, base_url=BASE) as browser:
        first = browser.get(f"/?state=machine&token={TOKEN}", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/?state=machine"
        cookie = first.headers["set-cookie"]
        assert cookie.startswith(f"{cookie_name(TOKEN)}={TOKEN};")
        assert "HttpOnly" in cookie
        assert "samesite=strict" in cookie.lower()
        page = browser.get("/?state=machine")
        assert page.status_code == 200
        assert TOKEN not in page.text
        assert browser.get("/static/review.js").status_code == 200


def test_foreign_host_header_is_refused(client: TestClient) -> None:
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1.
    assert client.get("/", headers={"Host": "evil.example:8765"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:8765"}).status_code == 200


def test_security_headers(client: TestClient) -> None:
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # no inline script: the CSP would block it


def test_state_changing_requests_need_the_csrf_token(client: TestClient, translated: Path) -> None:
    sid = ids(translated)[1]
    item = {"reviewer": "Ana", "items": [{"id": sid, "version": versions(client)[sid]}]}
    before = po_path(translated).read_bytes()
    missing = client.post("/api/approve", json=item, headers={"Origin": BASE})
    assert missing.status_code == 403
    assert "CSRF" in missing.json()["message"]
    wrong = post(client, "/api/approve", item, **{"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    cross = post(client, "/api/approve", item, Origin="http://evil.example")
    assert cross.status_code == 403
    cross_site = post(client, "/api/approve", item, **{"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    form = client.post(
        "/api/approve",
        content="items=1",
        headers={"X-CSRF-Token": CSRF, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415
    assert po_path(translated).read_bytes() == before
    assert post(client, "/api/approve", item).status_code == 200


def test_page_embeds_the_csrf_token(client: TestClient) -> None:
    assert f'<meta name="csrf-token" content="{CSRF}">' in client.get("/").text


# --------------------------------------------------------------------------- the page


def test_page_lists_segments_in_reading_order_with_headings(
    client: TestClient, translated: Path
) -> None:
    page = client.get("/").text
    found = re.findall(r'<li class="seg" id="seg-(s[0-9a-f]+)', page)
    assert found == ids(translated)
    assert '<h3 class="section-title"' in page  # "## EXECUTIVE SUMMARY" under the h1 title
    assert "0 of 59 segments reviewed (0%)" in page
    assert 'data-state="machine"' in page
    assert "QA warnings" in page  # the pseudo engine breaks Spanish punctuation rules
    for control in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page):
        assert f'for="{control}"' in page, f"no label for #{control}"


def test_filter_in_the_address_hides_other_states(client: TestClient, translated: Path) -> None:
    sid = ids(translated)[2]
    assert approve(client, sid, versions(client)[sid]).status_code == 200
    page = client.get("/?state=reviewed").text
    shown = re.findall(r'<li class="seg" id="seg-(s[0-9a-f]+)"[^>]*data-qa="\d+">', page)
    assert shown == [sid]
    assert '<option value="reviewed" selected' in page


def test_glossary_hints(translated: Path) -> None:
    (translated / "content" / "glossary.csv").write_text(
        "source,target,note\nNarco-Socialism,narcosocialismo,the book's key term\n"
    )
    app = create_app(load_config(translated), None, None, TOKEN, csrf_token=CSRF)
    with TestClient(app, base_url=BASE) as browser:
        page = browser.get(f"/?token={TOKEN}").text
        assert 'data-target="narcosocialismo"' in page
        assert "the book&#39;s key term" in page
        assert "not used yet" in page
        sid = segment_with(translated, "This book unveils")
        done = approve(
            browser, sid, versions(browser)[sid], "Este libro revela el **narcosocialismo**."
        )
        (hint,) = done.json()["segments"][0]["glossary"]
        assert hint == {
            "source": "Narco-Socialism",
            "target": "narcosocialismo",
            "note": "the book's key term",
            "used": True,
        }


def test_needs_review_segment_shows_a_word_diff(client: TestClient, translated: Path) -> None:
    sid = segment_with(translated, "In lawless zones")
    assert approve(client, sid, versions(client)[sid], "En zonas sin ley…").status_code == 200
    md = translated / "content" / "en" / f"{BOOK}.md"
    md.write_text(md.read_text().replace("Everyone profits.", "Everyone profits handsomely."))
    page = client.get("/").text
    assert "The English text changed since this was translated" in page
    assert '<ins><span class="vh">[added: </span>profits handsomely.' in page
    assert 'data-state="needs-review"' in page


# --------------------------------------------------------------------------- saving


def test_approve_writes_the_po_file_like_the_cli(client: TestClient, translated: Path) -> None:
    sid = segment_with(translated, "This book unveils")
    text = "Este libro revela un fenómeno nuevo y peligrosamente viral: el **narcosocialismo**."
    response = approve(client, sid, versions(client)[sid], text)
    assert response.status_code == 200, response.text
    data = response.json()
    (seg,) = data["segments"]
    assert seg["state"] == "reviewed"
    assert seg["translation"] == text
    assert seg["reviewer"] == "Ana Ruiz"
    assert seg["findings"] == []  # QA ran again on the corrected text
    assert data["counts"] == {"new": 0, "machine": 58, "needs-review": 0, "reviewed": 1}
    entry = po_entry(translated, sid)
    assert entry.msgstr == text
    assert "fuzzy" not in entry.flags
    assert "reviewed-by: Ana Ruiz" in entry.tcomment
    assert f"reviewed-at: {datetime.date.today().isoformat()}" in entry.tcomment
    assert "source-sha: " in entry.tcomment
    assert "mt-sha" not in entry.tcomment
    # The CLI reads what the page wrote.
    result = CliRunner().invoke(
        cli_app, ["review", "list", "-C", str(translated), "--state", "reviewed"]
    )
    assert result.exit_code == 0
    assert sid in result.stdout
    # No temporary file left behind (atomic write).
    assert [p.name for p in po_path(translated).parent.iterdir()] == [f"{BOOK}.po"]


def test_approve_as_is_and_several_at_once(client: TestClient, translated: Path) -> None:
    first, second, third = ids(translated)[1:4]
    now = versions(client)
    response = post(
        client,
        "/api/approve",
        {
            "reviewer": "  Luis   Pérez <luis@example.org> ",
            "items": [
                {"id": first, "version": now[first]},
                {"id": second, "version": now[second], "text": "Miembro de la Fundación"},
                {"id": third, "version": now[third]},
            ],
        },
    )
    assert response.status_code == 200, response.text
    assert [s["state"] for s in response.json()["segments"]] == ["reviewed"] * 3
    _book, _doc, catalog = open_book(load_config(translated))
    assert catalog.state(first) is State.REVIEWED
    assert catalog.translation(second) == "Miembro de la Fundación"
    assert catalog.entry(third).reviewer == "Luis Pérez <luis@example.org>"


def test_several_at_once_is_all_or_nothing(client: TestClient, translated: Path) -> None:
    first, second = ids(translated)[1:3]
    now = versions(client)
    before = po_path(translated).read_bytes()
    response = post(
        client,
        "/api/approve",
        {
            "reviewer": "Ana",
            "items": [
                {"id": first, "version": now[first]},
                {"id": second, "version": "0000000000000000"},
            ],
        },
    )
    assert response.status_code == 409
    assert [s["id"] for s in response.json()["segments"]] == [second]
    assert po_path(translated).read_bytes() == before


def test_save_without_approving(client: TestClient, translated: Path) -> None:
    sid = ids(translated)[1]
    response = post(
        client,
        "/api/save",
        {"reviewer": "Ana", "id": sid, "version": versions(client)[sid], "text": "Por Ignacio"},
    )
    assert response.status_code == 200, response.text
    (seg,) = response.json()["segments"]
    assert seg["state"] == "needs-review"
    assert seg["translator"] == "Ana"
    entry = po_entry(translated, sid)
    assert entry.msgstr == "Por Ignacio"
    assert "fuzzy" in entry.flags
    assert "translated-by: Ana" in entry.tcomment


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"reviewer": "", "items": "FIRST"}, 400, "who is reviewing"),
        ({"reviewer": "Ana", "items": "FIRST", "text": "   "}, 400, "no translation"),
        ({"reviewer": "Ana", "items": []}, 400, "nothing to approve"),
        ({"reviewer": "Ana", "items": "nope"}, 400, "items must be a list"),
        ({"reviewer": "Ana", "items": [{"id": 3}]}, 400, "each item"),
        ({"reviewer": "Ana", "items": "UNKNOWN"}, 409, "no longer in the book"),
        ({"reviewer": "Ana", "items": "TOO-LONG"}, 400, "longer than"),
    ],
)
def test_bad_saves_are_refused_with_a_message(
    client: TestClient, translated: Path, payload: dict[str, Any], status: int, message: str
) -> None:
    sid = ids(translated)[1]
    version = versions(client)[sid]
    if payload["items"] == "FIRST":
        item: dict[str, Any] = {"id": sid, "version": version}
        if "text" in payload:
            item["text"] = payload.pop("text")
        payload["items"] = [item]
    elif payload["items"] == "UNKNOWN":
        payload["items"] = [{"id": "s0000000000", "version": version}]
    elif payload["items"] == "TOO-LONG":
        payload["items"] = [{"id": sid, "version": version, "text": "x" * 20_001}]
    before = po_path(translated).read_bytes()
    response = post(client, "/api/approve", payload)
    assert response.status_code == status
    assert message in response.json()["message"]
    assert po_path(translated).read_bytes() == before


def test_malformed_json_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/approve",
        content="{not json",
        headers={"X-CSRF-Token": CSRF, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


# --------------------------------------------------------------------------- conflicts


def test_stale_version_is_refused_showing_the_other_text(
    client: TestClient, translated: Path
) -> None:
    sid = segment_with(translated, "This book unveils")
    seen = versions(client)[sid]  # both reviewers opened the page
    assert approve(client, sid, seen, "Texto de Ana", who="Ana").status_code == 200
    late = approve(client, sid, seen, "Texto de Luis", who="Luis")
    assert late.status_code == 409
    data = late.json()
    assert data["error"] == "conflict"
    assert "changed since you opened" in data["message"]
    (current,) = data["segments"]
    assert current["translation"] == "Texto de Ana"
    assert current["reviewer"] == "Ana"
    assert po_entry(translated, sid).msgstr == "Texto de Ana"
    # Choosing to overwrite, knowingly, with the version just shown works.
    assert approve(client, sid, current["version"], "Texto de Luis").status_code == 200
    assert po_entry(translated, sid).msgstr == "Texto de Luis"


def test_a_save_draft_against_a_stale_version_is_refused(
    client: TestClient, translated: Path
) -> None:
    sid = ids(translated)[1]
    seen = versions(client)[sid]
    assert approve(client, sid, seen, "Uno").status_code == 200
    response = post(
        client, "/api/save", {"reviewer": "Luis", "id": sid, "version": seen, "text": "Dos"}
    )
    assert response.status_code == 409
    assert po_entry(translated, sid).msgstr == "Uno"


def test_a_build_while_the_page_is_open_is_detected(client: TestClient, translated: Path) -> None:
    sid = ids(translated)[1]
    seen = versions(client)[sid]
    translate(load_config(translated), engine="identity", force=True)
    response = approve(client, sid, seen)
    assert response.status_code == 409
    assert response.json()["segments"][0]["translation"] == "By Ignacio De León"
    assert po_entry(translated, sid).msgstr == "By Ignacio De León"
    assert "fuzzy" in po_entry(translated, sid).flags


def test_a_source_edit_while_the_page_is_open_is_detected(
    client: TestClient, translated: Path
) -> None:
    md = translated / "content" / "en" / f"{BOOK}.md"
    typo = segment_with(translated, "Forget the old-school")
    gone = segment_with(translated, "In lawless zones")
    seen = versions(client)
    # Typography only: same segment id, other source text.
    md.write_text(
        md.read_text()
        .replace("“social justice.”", '"social justice."')
        .replace("Everyone profits.", "Everyone wins.")
    )
    response = approve(client, typo, seen[typo], "Olvídate")
    assert response.status_code == 409
    assert '"social justice."' in response.json()["segments"][0]["source"]
    response = approve(client, gone, seen[gone], "En zonas sin ley")
    assert response.status_code == 409
    assert response.json()["missing"] == [gone]


def test_moving_lines_elsewhere_is_not_a_conflict(client: TestClient, translated: Path) -> None:
    sid = segment_with(translated, "In lawless zones")
    seen = versions(client)[sid]
    md = translated / "content" / "en" / f"{BOOK}.md"
    md.write_text("\n\n\n" + md.read_text())
    assert approve(client, sid, seen, "En zonas sin ley").status_code == 200


# --------------------------------------------------------------------------- escaping


def test_typed_html_is_text_in_the_page_and_in_the_edition(
    client: TestClient, translated: Path
) -> None:
    script_id, img_id = ids(translated)[1:3]
    now = versions(client)
    assert approve(client, script_id, now[script_id], XSS_SCRIPT).status_code == 200
    assert approve(client, img_id, now[img_id], XSS_IMG).status_code == 200
    page = client.get("/").text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Texto" in page
    assert "Texto &lt;img src=x onerror=alert(1)&gt; final" in page
    # The PO file keeps the text as typed ...
    assert po_entry(translated, script_id).msgstr == XSS_SCRIPT
    # ... and the edition shows it as text.
    config = dataclasses.replace(load_config(translated), formats=("html",))
    render(config)
    editions = sorted((translated / "output").glob(f"*/{BOOK}.html"))
    assert editions
    for edition in editions:
        html = edition.read_text()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        if edition.parent.name != "en":
            assert "&lt;script&gt;alert" in html
            assert "&lt;img src=x onerror=alert(1)&gt;" in html


# --------------------------------------------------------------------------- server and CLI


def test_server_answers_over_a_real_socket(translated: Path) -> None:
    app = create_app(load_config(translated), None, None, TOKEN, csrf_token=CSRF)
    with ReviewServer(app, token=TOKEN, port=0) as server:
        assert server.url == f"http://127.0.0.1:{server.port}/?token={TOKEN}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with opener.open(server.url, timeout=10) as response:
            assert response.status == 200
            assert response.url == f"http://127.0.0.1:{server.port}/"
            assert b"Review" in response.read()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=10)
        assert refused.value.code == 403


def test_port_in_use_is_a_clear_error(translated: Path) -> None:
    app = create_app(load_config(translated), None, None, TOKEN)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(ServeError, match="in use"):
            ReviewServer(app, token=TOKEN, port=busy.getsockname()[1])


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("localhost")
    assert is_loopback("::1")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.5")


def test_cli_serve_help_and_errors(translated: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli_app, ["review", "serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.stdout
    assert "--host" in result.stdout
    result = runner.invoke(cli_app, ["review", "serve", "-C", str(translated), "--book", "nope"])
    assert result.exit_code == 1
    assert "unknown book" in result.stderr
    result = runner.invoke(cli_app, ["review", "serve", "-C", str(translated), "--lang", "fr"])
    assert result.exit_code == 1
    assert "not a target language" in result.stderr


def test_cli_serve_prints_the_address_with_its_token(
    translated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[str] = []

    def fake_run(self: ReviewServer) -> None:
        served.append(self.url)
        self.socket.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(ReviewServer, "run", fake_run)
    result = CliRunner().invoke(cli_app, ["review", "serve", "-C", str(translated), "--port", "0"])
    assert result.exit_code == 0, result.stderr
    (url,) = served
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", url)
    assert f"    {url}\n" in result.stdout
    assert "Ctrl+C" in result.stdout
    assert result.stdout.rstrip().endswith("Stopped.")


def test_review_page_shows_the_findings_pipeline_check_reports(translated: Path) -> None:
    """One finding type: the page's findings for a segment are ``pipeline check``'s, and
    its JSON says what they say."""
    from pipeline.build import check
    from pipeline.qa.finding import Finding
    from pipeline.webreview import ReviewStore

    config = load_config(translated)
    checked, _report = check(config)
    assert checked  # the pseudo engine's "[!! … !!]" leaves warnings to compare
    by_segment: dict[str, list[Finding]] = {}
    for finding in checked:
        by_segment.setdefault(finding.segment_id, []).append(finding)
    views = {view.id: view for view in ReviewStore(config).overview().segments}
    assert set(by_segment) <= set(views)
    for sid, view in views.items():
        assert list(view.findings) == by_segment.get(sid, [])
        assert all(type(f) is Finding for f in view.findings)
        shown = view.to_json()["findings"]
        assert [(f["check"], f["severity"], f["title"], f["message"]) for f in shown] == [
            (f.check_id, str(f.severity), f.title, f.message) for f in view.findings
        ]
