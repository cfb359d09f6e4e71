"""The review page's HTTP API, with Starlette's test client: access token,
CSRF, conflicts, escaping, and the PO file it writes."""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio
import polib
import pytest
from helpers import make_project
from starlette.testclient import TestClient
from typer.testing import CliRunner

from pipeline.build import render, translate
from pipeline.catalog.catalog import State
from pipeline.cli import app as cli_app
from pipeline.config import load_config
from pipeline.project import open_book
from pipeline.webreview import (
    ReviewServer,
    Roster,
    ServeError,
    create_app,
    is_loopback,
    is_wildcard,
)
from pipeline.webreview.app import MAX_BODY, is_same_origin_path

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
        # What the page's script does: the token goes with every request as a header.
        test_client.headers["Authorization"] = f"Bearer {TOKEN}"
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
        wrong = {"Authorization": "Bearer wrong"}
        assert anonymous.get("/", headers=wrong).status_code == 403
        assert anonymous.get("/api/versions", headers=wrong).status_code == 403
        # The token is only taken from the address for the page itself.
        assert anonymous.get(f"/api/versions?token={TOKEN}").status_code == 403


def test_token_goes_in_the_page_never_in_a_cookie(translated: Path) -> None:
    # Cookies ignore ports: a cookie for 127.0.0.1 would be sent to every
    # other server on this machine. The page holds the token instead.
    app = create_app(load_config(translated), None, None, TOKEN, csrf_token=CSRF)
    with TestClient(app, base_url=BASE) as browser:
        first = browser.get(f"/?state=machine&token={TOKEN}", follow_redirects=False)
        assert first.status_code == 200
        assert "set-cookie" not in first.headers
        assert not browser.cookies
        assert f'<meta name="access-token" content="{TOKEN}">' in first.text
        assert '<option value="machine" selected' in first.text
        # Without the token (e.g. a reload) the page is refused; its refusal
        # page carries the script that asks again with the tab's stored token.
        again = browser.get("/?state=machine")
        assert again.status_code == 403
        assert '<script src="/resume.js"' in again.text
        resume = browser.get("/resume.js")
        assert resume.status_code == 200
        assert "sessionStorage" in resume.text
        # API calls carry it as a header.
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert browser.get("/api/versions", headers=bearer).status_code == 200
        assert browser.get("/", headers=bearer).status_code == 200
        # Script and style sheet live under a path only the page knows.
        assets = re.findall(r'<script src="(/static/[^"]+/review\.js)"', first.text)
        assert len(assets) == 1
        assert browser.get(assets[0]).status_code == 200
        assert browser.get("/static/review.js").status_code == 403


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
        browser.headers["Authorization"] = f"Bearer {TOKEN}"
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
    assert "pipeline: reviewed-by Ana Ruiz" in entry.comment
    assert f"pipeline: reviewed-at {datetime.date.today().isoformat()}" in entry.comment
    assert "pipeline: source-sha " in entry.comment
    assert "pipeline: mt-sha" not in entry.comment
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
    assert "pipeline: translated-by Ana" in entry.comment


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
        with urllib.request.urlopen(server.url, timeout=10) as response:
            assert response.status == 200
            assert response.url == server.url  # no redirect
            assert b"Review" in response.read()
        bearer = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/api/versions",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        with urllib.request.urlopen(bearer, timeout=10) as response:
            assert response.status == 200
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


# --------------------------------------------------------------------------- hardening


async def _no_more() -> dict[str, Any]:
    return {"type": "http.disconnect"}


class Raw:
    """An ASGI request made by hand: exact paths (``//evil.example/``) and a
    body fed chunk by chunk, counting how much of it the app read."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.chunks_read = 0

    def request(
        self,
        method: str,
        raw_path: bytes,
        headers: dict[str, str] | None = None,
        chunks: Iterator[bytes] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        path, _, query = raw_path.partition(b"?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(path.decode("latin-1")),
            "raw_path": path,
            "root_path": "",
            "query_string": query,
            "headers": [
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in {"host": "127.0.0.1:8765", **(headers or {})}.items()
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8765),
        }
        source = iter(chunks or [])
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            chunk = next(source, None)
            if chunk is None:
                return {"type": "http.request", "body": b"", "more_body": False}
            self.chunks_read += 1
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        anyio.run(self.app, scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        found = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
        return start["status"], found, body


def api_headers(**extra: str) -> dict[str, str]:
    return {
        "authorization": f"Bearer {TOKEN}",
        "x-csrf-token": CSRF,
        "content-type": "application/json",
        "origin": BASE,
        **extra,
    }


@pytest.mark.parametrize(
    "raw_path",
    [
        "//evil.example/?token={t}",
        "//evil.example?token={t}",
        "/%2F%2Fevil.example/?token={t}",
        "/%2f%2fevil.example/?token={t}",
        "///evil.example/?token={t}",
        "/\\evil.example/?token={t}",
        "/%5Cevil.example/?token={t}",
        "/\\/evil.example/?token={t}",
        "/%2F/evil.example?token={t}",
        "/%09/evil.example?token={t}",
        "/api/versions/?token={t}",
        "/static/?token={t}",
        "/?token={t}&next=//evil.example/",
        "/https://evil.example/?token={t}",
    ],
)
def test_no_redirect_ever_leaves_the_site(translated: Path, raw_path: str) -> None:
    app = create_app(load_config(translated), None, None, TOKEN, csrf_token=CSRF)
    raw = Raw(app)
    for headers in ({}, {"authorization": f"Bearer {TOKEN}"}):
        status, found, _body = raw.request("GET", raw_path.format(t=TOKEN).encode(), headers)
        assert not 300 <= status < 400, (raw_path, status, found)
        assert "location" not in found
    with TestClient(app, base_url=BASE) as browser:
        response = browser.get(f"/api/versions/?token={TOKEN}", follow_redirects=False)
        assert not response.is_redirect


def test_only_same_origin_paths_are_safe_locations() -> None:
    assert is_same_origin_path("/")
    assert is_same_origin_path("/?state=machine")
    for location in ("//evil.example/", "/\\evil.example", "https://evil.example/", "", "x"):
        assert not is_same_origin_path(location), location
    assert not is_same_origin_path("/\t/evil.example")


NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (NESTED.encode(), "not valid JSON"),
        (('{"reviewer": "Ana", "items": ' + NESTED + "}").encode(), "not valid JSON"),
        (b'{"reviewer": "Ana", "items": [[[[[[[[[[[]]]]]]]]]]]}', "nested too deeply"),
        (b'{"reviewer": "\\ud800", "items": []}', "lone surrogate"),
        (b'{"reviewer": "Ana", "items": [{"id": "x", "version": "y", "text": "\\udfff"}]}', ""),
        (b'{"\\ud800": 1}', "lone surrogate"),
        (b'{"reviewer": "Ana \xff", "items": []}', "not valid JSON"),
        (b'{"reviewer": "Ana", "items": [], "n": NaN}', "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b"1", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b"", "not valid JSON"),
        (b'{"reviewer": "Ana", "items": {"id": "x"}}', "items must be a list"),
        (b'{"reviewer": "Ana", "items": [{"id": 1, "version": "y"}]}', "each item"),
        (b'{"reviewer": "Ana", "items": [{"id": "x", "version": "y", "text": 3}]}', "each item"),
        (b'{"reviewer": ["Ana"], "items": [{"id": "x", "version": "y"}]}', ""),
    ],
)
def test_malformed_json_of_any_kind_is_400(
    client: TestClient, translated: Path, body: bytes, message: str
) -> None:
    before = po_path(translated).read_bytes()
    for url in ("/api/approve", "/api/save"):
        response = client.post(url, content=body, headers=api_headers())
        assert response.status_code == 400, (url, response.text)
        if url == "/api/approve":
            assert message in response.json()["message"]
    assert po_path(translated).read_bytes() == before


def test_large_bodies_are_cut_off_while_read(translated: Path) -> None:
    app = create_app(load_config(translated), None, None, TOKEN, csrf_token=CSRF)
    chunk = b" " * 65_536
    twenty_mb = 20_000_000 // len(chunk)
    # Announced too large: refused before a byte is read.
    raw = Raw(app)
    status, found, body = raw.request(
        "POST",
        b"/api/approve",
        api_headers(**{"content-length": "20000000"}),
        iter([chunk] * twenty_mb),
    )
    assert status == 413
    assert raw.chunks_read == 0
    assert "larger than" in body.decode()
    # Not announced (chunked): read up to the limit, then cut off.
    raw = Raw(app)
    status, found, body = raw.request(
        "POST", b"/api/approve", api_headers(), iter([chunk] * twenty_mb)
    )
    assert status == 413
    assert raw.chunks_read * len(chunk) <= MAX_BODY + len(chunk)
    assert found.get("connection") == "close"
    # Without the token nothing is read at all.
    raw = Raw(app)
    status, _found, _body = raw.request(
        "POST", b"/api/approve", {"content-type": "application/json"}, iter([chunk] * 10)
    )
    assert status == 403
    assert raw.chunks_read == 0
    with TestClient(app, base_url=BASE) as browser:
        response = browser.post(
            "/api/approve", content=b" " * (MAX_BODY + 1), headers=api_headers()
        )
        assert response.status_code == 413


@pytest.mark.parametrize(
    "text",
    [
        "Texto\x00nulo",
        "Texto\x1b[31m",
        "Texto\x07",
        "Texto\x7f",
        "Texto\x85",
        "Texto\x9b",
        "A\u2028B",
    ],
)
def test_control_characters_in_a_translation_are_refused(
    client: TestClient, translated: Path, text: str
) -> None:
    sid = ids(translated)[1]
    before = po_path(translated).read_bytes()
    response = approve(client, sid, versions(client)[sid], text)
    assert response.status_code == 400
    assert "control character" in response.json()["message"]
    assert "U+" in response.json()["message"]
    saved = post(
        client,
        "/api/save",
        {"reviewer": "Ana", "id": sid, "version": versions(client)[sid], "text": text},
    )
    assert saved.status_code == 400
    assert "control character" in saved.json()["message"]
    assert po_path(translated).read_bytes() == before


def test_tabs_and_line_breaks_are_allowed_in_a_translation(
    client: TestClient, translated: Path
) -> None:
    sid = ids(translated)[1]
    response = approve(client, sid, versions(client)[sid], "Por\tIgnacio\r\nDe León")
    assert response.status_code == 200, response.text
    assert po_entry(translated, sid).msgstr == "Por\tIgnacio\nDe León"


@pytest.mark.parametrize("who", ["Ana\x00", "Ana\nRuiz", "Ana\x1b[2J", "Ana\x9b", "\x00"])
def test_control_characters_in_a_reviewer_name_are_refused(
    client: TestClient, translated: Path, who: str
) -> None:
    sid = ids(translated)[1]
    before = po_path(translated).read_bytes()
    response = approve(client, sid, versions(client)[sid], "Por Ignacio", who=who)
    assert response.status_code == 400
    assert "reviewer name contains a control character" in response.json()["message"]
    assert po_path(translated).read_bytes() == before


def test_public_url_of_a_reverse_proxy_is_accepted(translated: Path) -> None:
    app = create_app(
        load_config(translated),
        None,
        None,
        TOKEN,
        csrf_token=CSRF,
        public_url="https://review.example.org",
    )
    with TestClient(app, base_url="http://review.example.org") as proxied:
        proxied.headers["Authorization"] = f"Bearer {TOKEN}"
        assert proxied.get(f"/?token={TOKEN}").status_code == 200
        sid = ids(translated)[1]
        item = {"reviewer": "Ana", "items": [{"id": sid, "version": versions(proxied)[sid]}]}
        headers = {"X-CSRF-Token": CSRF, "Origin": "https://evil.example"}
        assert proxied.post("/api/approve", json=item, headers=headers).status_code == 403
        headers["Origin"] = "https://review.example.org"
        assert proxied.post("/api/approve", json=item, headers=headers).status_code == 200
        assert proxied.get("/", headers={"Host": "evil.example"}).status_code == 400


# --------------------------------------------------------------------------- --host


def _fake_run_fetching_every_link(fetched: dict[str, int]) -> Any:
    """A ReviewServer.run that serves, opens every address the CLI printed
    (with the Host header the browser would send), then stops."""

    def run(self: ReviewServer) -> None:
        self.start()
        try:
            for base in self.base_urls:
                name = urllib.parse.urlsplit(base).netloc
                address = "127.0.0.1" if is_wildcard(self.host) else self.host
                request = urllib.request.Request(
                    f"http://{address}:{self.port}/?token={self.token}", headers={"Host": name}
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        fetched[base] = response.status
                except urllib.error.HTTPError as exc:
                    fetched[base] = exc.code
        finally:
            self.stop()
        raise KeyboardInterrupt

    return run


def test_cli_serve_on_another_loopback_address_prints_a_working_link(
    translated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: dict[str, int] = {}
    monkeypatch.setattr(ReviewServer, "run", _fake_run_fetching_every_link(fetched))
    result = CliRunner().invoke(
        cli_app, ["review", "serve", "-C", str(translated), "--port", "0", "--host", "127.0.0.2"]
    )
    assert result.exit_code == 0, result.stderr
    printed = re.findall(r"http://\S+", result.stdout)
    assert printed and all(p.startswith("http://127.0.0.2:") for p in printed)
    assert fetched and set(fetched.values()) == {200}
    assert "unencrypted" not in result.stdout


def test_cli_serve_on_every_address_prints_reachable_ones_and_warns(
    translated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: dict[str, int] = {}
    monkeypatch.setattr(ReviewServer, "run", _fake_run_fetching_every_link(fetched))
    result = CliRunner().invoke(
        cli_app, ["review", "serve", "-C", str(translated), "--port", "0", "--host", "0.0.0.0"]
    )
    assert result.exit_code == 0, result.stderr
    printed = {
        f"{u.scheme}://{u.netloc}"
        for u in map(urllib.parse.urlsplit, re.findall(r"http://\S+", result.stdout))
    }
    assert any("127.0.0.1" in p for p in printed)
    assert printed <= set(fetched)  # every printed address was tried ...
    assert set(fetched.values()) == {200}  # ... and answered
    flat = " ".join(result.stdout.split())
    assert "unencrypted HTTP" in flat
    assert "TLS reverse proxy" in flat


# --------------------------------------------------------------------------- volunteers

TEAM_TOML = """\
# The volunteers of the Spanish edition
[[reviewer]]
name = "Ana Pérez"
email = "ana@example.org"

[[reviewer]]
name = "Luis Gómez"
email = "luis@example.org"
"""


def roster_app(project: Path, reviewers: Path) -> tuple[Any, Roster]:
    roster = Roster(reviewers, project / ".pipeline-cache")
    app = create_app(load_config(project), None, None, access=roster, csrf_token=CSRF)
    return app, roster


def as_volunteer(client: TestClient, token: str) -> None:
    client.headers["Authorization"] = f"Bearer {token}"


def test_each_volunteer_approves_under_their_own_name(translated: Path) -> None:
    team = translated / "team.toml"
    team.write_text(TEAM_TOML)
    app, roster = roster_app(translated, team)
    ana, luis = roster.links
    assert ana.reviewer.identity == "Ana Pérez <ana@example.org>"
    assert ana.token != luis.token
    tokens = translated / ".pipeline-cache" / "reviewers.json"
    assert tokens.stat().st_mode & 0o777 == 0o600
    first, second = ids(translated)[1:3]
    with TestClient(app, base_url=BASE) as browser:
        page = browser.get(f"/?token={ana.token}")
        assert page.status_code == 200
        assert 'data-reviewer-fixed="Ana Pérez &lt;ana@example.org&gt;"' in page.text
        assert 'id="who-change"' not in page.text  # no typing another name
        assert browser.get(f"/?token={TOKEN}").status_code == 403
        as_volunteer(browser, ana.token)
        # Whatever name the request says, the link decides.
        done = approve(browser, first, versions(browser)[first], "Por Ignacio", who="Mallory")
        assert done.status_code == 200, done.text
        assert done.json()["segments"][0]["reviewer"] == "Ana Pérez <ana@example.org>"
        as_volunteer(browser, luis.token)
        assert approve(browser, second, versions(browser)[second], who="").status_code == 200
        saved = post(
            browser,
            "/api/save",
            {
                "id": ids(translated)[3],
                "version": versions(browser)[ids(translated)[3]],
                "text": "X",
            },
        )
        assert saved.json()["segments"][0]["translator"] == "Luis Gómez <luis@example.org>"
    assert (
        "pipeline: reviewed-by Ana Pérez <ana@example.org>" in po_entry(translated, first).comment
    )
    assert (
        "pipeline: reviewed-by Luis Gómez <luis@example.org>"
        in po_entry(translated, second).comment
    )
    _book, _doc, catalog = open_book(load_config(translated))
    assert catalog.entry(first).reviewer == "Ana Pérez <ana@example.org>"
    assert catalog.entry(second).reviewer == "Luis Gómez <luis@example.org>"
    # Links survive a restart.
    assert [link.token for link in Roster(team, translated / ".pipeline-cache").links] == [
        ana.token,
        luis.token,
    ]


def test_a_revoked_link_is_refused_on_the_next_request(translated: Path) -> None:
    team = translated / "team.toml"
    team.write_text(TEAM_TOML)
    app, roster = roster_app(translated, team)
    ana, luis = roster.links
    with TestClient(app, base_url=BASE) as browser:
        as_volunteer(browser, luis.token)
        assert browser.get("/api/versions").status_code == 200
        team.write_text(TEAM_TOML + "revoked = true\n")
        refused = browser.get("/api/versions")
        assert refused.status_code == 403
        assert refused.json()["reason"] == "revoked"
        page = browser.get(f"/?token={luis.token}", headers={"Authorization": ""})
        assert page.status_code == 403
        assert "revoked" in page.text
        sid = ids(translated)[1]
        as_volunteer(browser, ana.token)
        version = versions(browser)[sid]
        as_volunteer(browser, luis.token)
        assert approve(browser, sid, version).status_code == 403
        as_volunteer(browser, ana.token)
        assert browser.get("/api/versions").status_code == 200  # the others go on
        # A malformed edit closes the page for everyone rather than reopen it.
        team.write_text(TEAM_TOML.replace('name = "Ana Pérez"', "name = "))
        closed = browser.get("/api/versions")
        assert closed.status_code == 403
        assert closed.json()["reason"] == "unavailable"
        # Un-revoking gives a new link; the old one stays dead.
        team.write_text(TEAM_TOML)
        assert browser.get("/api/versions").status_code == 200
        new_luis = roster.links[1]
        assert new_luis.token != luis.token
        as_volunteer(browser, luis.token)
        assert browser.get("/api/versions").status_code == 403
    assert luis.token not in (translated / ".pipeline-cache" / "reviewers.json").read_text()


def test_volunteers_from_a_csv_file(translated: Path) -> None:
    team = translated / "team.csv"
    team.write_text('name,email,revoked\n"Pérez, Ana",ana@example.org,\nLuis,,yes\n')
    _app, roster = roster_app(translated, team)
    (only,) = roster.links
    assert only.reviewer.identity == "Pérez, Ana <ana@example.org>"


@pytest.mark.parametrize(
    ("name", "text", "where", "message"),
    [
        ("team.toml", TEAM_TOML.replace('email = "luis', 'emial = "luis'), ":8:", "unknown key"),
        ("team.toml", TEAM_TOML.replace('"Luis Gómez"', '"Luis'), ":7:", "not valid TOML"),
        ("team.toml", TEAM_TOML.replace('name = "Ana Pérez"\n', ""), ":2:", "has no name"),
        ("team.toml", TEAM_TOML.replace("luis@", "ana@"), ":7:", "listed twice"),
        ("team.toml", TEAM_TOML + "revoked = 1\n", ":9:", "true or false"),
        ("team.toml", "", "team.toml:", "lists nobody"),
        ("team.csv", "who,mail\nAna,ana@example.org\n", ":1:", "unexpected header"),
        ("team.csv", "name,email\nAna,ana@example.org\nLuis,luis@example.org,x\n", ":3:", "3"),
        ("team.csv", "name,email\nAna,not-an-address\n", ":2:", "not an e-mail"),
        ("team.csv", "name,email,revoked\nAna,,maybe\n", ":2:", "yes or no"),
        ("team.csv", "name,email\nAna\x1b[2J,\n", ":2:", "control character"),
    ],
)
def test_a_malformed_reviewers_file_is_one_line_with_file_and_line(
    translated: Path, name: str, text: str, where: str, message: str
) -> None:
    team = translated / name
    team.write_text(text)
    result = CliRunner().invoke(
        cli_app, ["review", "serve", "-C", str(translated), "--reviewers", str(team), "--links"]
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {team}")
    assert where in lines[0]
    assert message in lines[0]
    assert lines[0].endswith(")")  # a hint in parentheses
    assert not (translated / ".pipeline-cache" / "reviewers.json").exists()


def test_cli_links_prints_one_line_per_volunteer(translated: Path) -> None:
    team = translated / "team.toml"
    team.write_text(TEAM_TOML)
    runner = CliRunner()
    args = ["review", "serve", "-C", str(translated), "--reviewers", str(team), "--links"]
    first = runner.invoke(cli_app, args)
    assert first.exit_code == 0, first.stderr
    lines = first.stdout.splitlines()
    assert [line.rsplit(maxsplit=1)[0] for line in lines] == [
        "Ana Pérez <ana@example.org>",
        "Luis Gómez <luis@example.org>",
    ]
    assert all(re.search(r" http://127\.0\.0\.1:8765/\?token=[\w-]{20,}$", line) for line in lines)
    assert runner.invoke(cli_app, args).stdout == first.stdout  # stable
    public = runner.invoke(cli_app, [*args, "--public-url", "https://review.example.org"])
    assert " https://review.example.org/?token=" in public.stdout
    no_file = runner.invoke(cli_app, ["review", "serve", "-C", str(translated), "--links"])
    assert no_file.exit_code == 1
    assert "--links needs --reviewers" in no_file.stderr


def test_cli_serve_with_volunteers_prints_each_link(
    translated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = translated / "team.toml"
    team.write_text(TEAM_TOML)
    answers: dict[str, int] = {}

    def run(self: ReviewServer) -> None:
        # The tokens are stored before the server starts: open each link.
        stored = json.loads((translated / ".pipeline-cache" / "reviewers.json").read_text())
        self.start()
        try:
            for token in stored["tokens"].values():
                with urllib.request.urlopen(self.link(token), timeout=10) as response:
                    answers[self.link(token)] = response.status
        finally:
            self.stop()
        raise KeyboardInterrupt

    monkeypatch.setattr(ReviewServer, "run", run)
    result = CliRunner().invoke(
        cli_app,
        ["review", "serve", "-C", str(translated), "--port", "0", "--reviewers", str(team)],
    )
    assert result.exit_code == 0, result.stderr
    links = re.findall(r"^ +(.+?) +(http://127\.0\.0\.1:\d+/\?token=[\w-]+)$", result.stdout, re.M)
    assert [who for who, _url in links] == [
        "Ana Pérez <ana@example.org>",
        "Luis Gómez <luis@example.org>",
    ]
    assert {url for _who, url in links} == set(answers)
    assert set(answers.values()) == {200}
    assert "?token=" not in result.stdout.replace(links[0][1], "").replace(links[1][1], "")


def test_review_page_shows_the_findings_pipeline_check_reports(translated: Path) -> None:
    """One finding type: the page's findings for a segment are ``pipeline check``'s, and
    its JSON says what they say."""
    from pipeline.qa.finding import Finding
    from pipeline.survey import check
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


def test_words_from_raw_html_attributes_say_what_they_are(tmp_path: Path) -> None:
    readme = (
        '# Fastran\n\n<p align="center">\n  <img src="logo.png" alt="Fastran logo">\n</p>\n\n'
        '<table><tr><td title="Runs offline">Fast</td></tr></table>\n'
    )
    project = make_project(tmp_path, {"readme": readme})
    translate(load_config(project), engine="pseudo")
    app = create_app(load_config(project), None, None, TOKEN, csrf_token=CSRF)
    with TestClient(app, base_url=BASE) as browser:
        page = browser.get(f"/?token={TOKEN}").text
    assert "Picture description, line 4" in page
    assert "Tooltip, line 7" in page
    assert "Fastran logo" in page and "Runs offline" in page


def test_the_title_a_front_matter_gives_is_reviewed_as_the_book_title(tmp_path: Path) -> None:
    post = '+++\ntitle = "Notes from the harbour"\ndate = 2024-03-18\n+++\n\nWe left at dawn.\n'
    project = make_project(tmp_path, {"post": post})
    translate(load_config(project), engine="pseudo")
    app = create_app(load_config(project), None, None, TOKEN, csrf_token=CSRF)
    with TestClient(app, base_url=BASE) as browser:
        page = browser.get(f"/?token={TOKEN}").text
    assert "Book title, line 2" in page and "Notes from the harbour" in page
    assert "2024-03-18" not in page  # the rest of the front matter is no one's to translate
