"""The command line, as a user runs it (typer's CliRunner)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import assert_one_line_error, commands, make_project, po_path, run

COMMANDS = sorted({path.split()[0] for path in commands()})


def test_help_lists_every_command() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for command in ["build", "translate", "render", "status", "check", "engines", *COMMANDS]:
        assert command in out


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_command_has_help(command: str) -> None:
    code, out, _ = run(*command.split(), "--help")
    assert code == 0
    assert "Usage" in out
    assert len(out.splitlines()) > 5


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.startswith("pipeline ")


def test_build_writes_every_edition_then_translates_nothing(project: Path) -> None:
    code, out, err = run("build", "--engine", "pseudo", project=project)
    assert code == 0, err
    for lang in ("en", "es"):
        for ext in ("html", "pdf"):
            assert (project / "output" / lang / f"executive-summary.{ext}").stat().st_size > 1000
    assert (project / "content" / "es" / "executive-summary.po").is_file()
    assert "Translated 59 segment(s) with the engine" in out
    html = project / "output" / "es" / "executive-summary.html"
    before = html.stat().st_mtime_ns

    code, out, err = run("build", "--engine", "pseudo", project=project)
    assert code == 0, err
    assert "Translated 0 segment(s) with the engine, 0 from the cache" in out
    assert html.stat().st_mtime_ns == before  # unchanged output is not rewritten
    assert "wrote" not in out


def test_format_option_builds_only_that_format_and_never_leaves_others_stale(
    project: Path,
) -> None:
    code, out, err = run("build", "-e", "pseudo", "-f", "html", project=project)
    assert code == 0, err
    written = sorted(p.relative_to(project).as_posix() for p in project.glob("output/*/*"))
    assert written == [
        "output/en-es/executive-summary.html",
        "output/en/executive-summary.html",
        "output/es/executive-summary.html",
    ]
    assert run("build", "-e", "pseudo", "-f", "html", "-f", "epub", project=project)[0] == 0
    source = project / "content" / "en" / "executive-summary.md"
    source.write_text(source.read_text().replace("Venezuela", "Venezuela, the country", 1))
    assert run("build", "-e", "pseudo", "-f", "html", project=project)[0] == 0
    # The EPUBs predate the edit: building them again must not find the book up to date.
    code, out, err = run("build", "-e", "pseudo", "-f", "html", "-f", "epub", project=project)
    assert code == 0, err
    assert [line.split()[-1] for line in out.splitlines() if "wrote" in line] == [
        "output/en/executive-summary.epub",
        "output/es/executive-summary.epub",
        "output/en-es/executive-summary.epub",
    ]
    result = run("render", "--format", "nope", project=project)
    assert_one_line_error(result, "unknown format 'nope'", "choose from: html, pdf, epub")


def test_force_uses_cache_not_engine_twice(project: Path) -> None:
    assert run("translate", "-e", "pseudo", project=project)[0] == 0
    code, out, _ = run("translate", "-e", "pseudo", "--force", project=project)
    assert code == 0
    # --force retranslates every machine segment, bypassing the cache
    assert "Translated 59 segment(s) with the engine" in out


def test_status_counts_states(project: Path) -> None:
    code, out, _ = run("status", project=project)
    assert code == 0
    assert "executive-summary [es]: 59 segments: 59 new, 0 machine" in out
    run("translate", "-e", "pseudo", project=project)
    code, out, _ = run("status", project=project)
    assert "0 new, 59 machine, 0 needs-review, 0 reviewed (draft)" in out


def test_render_only_needs_no_engine(project: Path) -> None:
    env = {"PATH": str(project)}  # no apertium, no anything on PATH
    run("translate", "-e", "pseudo", project=project)
    code, _, err = run("render", "--lang", "es", env=env, project=project)
    assert code == 0, err
    assert (project / "output" / "es" / "executive-summary.html").is_file()
    assert not (project / "output" / "en").exists()


# --------------------------------------------------------------------------- errors


def test_missing_project_file(tmp_path: Path) -> None:
    result = run("build", project=tmp_path)
    assert_one_line_error(result, "pipeline.toml", "project file not found", "--project")


def test_malformed_toml_names_the_line(project: Path) -> None:
    (project / "pipeline.toml").write_text('[book]\ntitle = "x"\nauthor = \n')
    result = run("status", project=project)
    assert_one_line_error(result, "pipeline.toml:3:", "not valid TOML")


def test_unknown_key_is_named(project: Path) -> None:
    toml = project / "pipeline.toml"
    toml.write_text(toml.read_text().replace("targets =", "target ="))
    result = run("status", project=project)
    assert_one_line_error(result, "unknown key languages.target", "did you mean languages.targets")


def test_missing_key_is_named(project: Path) -> None:
    toml = project / "pipeline.toml"
    toml.write_text(
        "\n".join(x for x in toml.read_text().splitlines() if not x.startswith("author"))
    )
    result = run("status", project=project)
    assert_one_line_error(result, "missing key book.author")


def test_missing_content_dir(project: Path) -> None:
    import shutil

    shutil.rmtree(project / "content")
    result = run("build", "-e", "pseudo", project=project)
    assert_one_line_error(result, "content", "not found")


def test_unknown_language(project: Path) -> None:
    result = run("build", "-e", "pseudo", "--lang", "fr", project=project)
    assert_one_line_error(result, "unknown language 'fr'", "en, es")


def test_unknown_engine(project: Path) -> None:
    result = run("translate", "-e", "deepl", project=project)
    assert_one_line_error(result, "unknown engine 'deepl'", "apertium")


def test_apertium_missing_says_how_to_install(project: Path) -> None:
    env = {"PATH": str(project)}
    result = run("translate", env=env, project=project)
    assert_one_line_error(result, "apt-get install")
    assert not (project / "content" / "es" / "executive-summary.po").exists()


def test_unwritable_output_keeps_earlier_outputs(project: Path) -> None:
    assert run("build", "-e", "pseudo", "--lang", "es", project=project)[0] == 0
    es_html = project / "output" / "es" / "executive-summary.html"
    before = es_html.read_bytes()
    # "output/en" is a file, so the English edition cannot be written.
    (project / "output" / "en").write_text("not a directory")
    result = run("build", "-e", "pseudo", project=project)
    assert_one_line_error(result, "output/en")
    assert es_html.read_bytes() == before
    leftovers = [p for p in (project / "output").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_corrupt_po_names_file_and_line(project: Path) -> None:
    assert run("translate", "-e", "pseudo", project=project)[0] == 0
    po = project / "content" / "es" / "executive-summary.po"
    lines = po.read_text().splitlines()
    lines[20] = 'msgstr "unterminated'
    po.write_text("\n".join(lines) + "\n")
    broken = po.read_bytes()
    result = run("build", "-e", "pseudo", project=project)
    assert_one_line_error(result, "executive-summary.po:")
    assert po.read_bytes() == broken  # a reviewer's file is never overwritten


def test_verbose_shows_traceback(project: Path) -> None:
    code, _, err = run("translate", "-e", "deepl", "--verbose", project=project)
    assert code == 1
    assert "Traceback" in err


@pytest.mark.skipif(os.geteuid() != 0 and False, reason="never skipped")
def test_python_m_pipeline(project: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert "build" in proc.stdout


def test_check_lists_findings_with_file_and_line(project: Path) -> None:
    run("translate", "-e", "pseudo", project=project)
    # Added after translating (the engine applies the glossary): QA still checks it.
    (project / "content" / "glossary.csv").write_text(
        "source,target,note\nNarco-Socialism,narcosocialismo,one word\n"
    )
    code, out, _ = run("check", project=project)
    assert code == 0  # warnings only
    assert "content/en/executive-summary.md:100: warning [glossary]" in out  # no emoji codes
    code, _, err = run("check", "--strict", project=project)
    assert code == 1 and "warning(s)" in err


def test_qa_skip_note_silences_a_check(project: Path) -> None:
    import polib

    run("translate", "-e", "pseudo", project=project)
    # Added after translating (the engine applies the glossary): QA still checks it.
    (project / "content" / "glossary.csv").write_text(
        "source,target,note\nNarco-Socialism,narcosocialismo,one word\n"
    )
    _, out, _ = run("check", project=project)
    assert "executive-summary.md:100: warning [glossary]" in out
    po_file = project / "content" / "es" / "executive-summary.po"
    catalog = polib.pofile(str(po_file))
    entry = next(e for e in catalog if e.occurrences[0][1] == "100")
    entry.tcomment = (entry.tcomment + "\nqa-skip: glossary").strip()
    catalog.save()
    _, out, _ = run("check", project=project)
    assert "executive-summary.md:100: warning [glossary]" not in out


def test_check_reuses_findings_only_while_what_they_depend_on_is_unchanged(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import polib

    import pipeline.qa.gate as gate

    calls: list[str] = []
    real = gate.check_segment

    def counted(segment_id: str, *args: object, **kwargs: object) -> object:
        calls.append(segment_id)
        return real(segment_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gate, "check_segment", counted)
    run("translate", "-e", "pseudo", project=project)
    _, first, _ = run("check", project=project)
    checked = len(calls)
    assert checked > 50
    calls.clear()
    _, again, _ = run("check", project=project)
    assert calls == [] and again == first  # every finding read from the cache

    # A glossary term added: every segment is checked again, and its finding shows.
    (project / "content" / "glossary.csv").write_text(
        "source,target,note\nNarco-Socialism,narcosocialismo,one word\n"
    )
    _, out, _ = run("check", project=project)
    assert len(calls) == checked
    assert "executive-summary.md:100: warning [glossary]" in out

    # One translation changed (as Poedit would): that segment alone is checked.
    calls.clear()
    po_file = project / "content" / "es" / "executive-summary.po"
    catalog = polib.pofile(str(po_file))
    entry = next(e for e in catalog if e.occurrences[0][1] == "100")
    entry.msgstr += " (narcosocialismo)"
    catalog.save()
    _, out, _ = run("check", project=project)
    assert calls == [entry.msgctxt]
    assert "executive-summary.md:100: warning [glossary]" not in out

    # A damaged cache is no cache: the same findings as a first run.
    for kept in (project / ".pipeline-cache" / "qa").glob("*.json"):
        kept.write_text("{not json")
    calls.clear()
    _, damaged, _ = run("check", project=project)
    assert len(calls) == checked and damaged == out


# --------------------------------------------------------------------------- the kernel

COMMON = ("--project", "-C", "--verbose", "-v", "--quiet", "-q")
STAGES = ("build", "translate", "render", "status", "check")
ALPHA = "# Alpha\n\nThe first book starts here.\n\n## One\n\nIt has *two* parts.\n"
BETA = "# Beta\n\nThe second book.\n\n- a list\n- of things\n"


def test_commands_are_found_in_every_group() -> None:
    found = set(commands())
    assert {"build", "check", "engines", "models install", "review serve"} <= found
    assert len(found) >= 15


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_command_takes_the_common_options(command: str) -> None:
    code, out, err = run(*command.split(), "--help")
    assert code == 0, err
    for option in COMMON:
        assert f" {option} " in out, option


@pytest.mark.parametrize("command", sorted(commands()))
def test_every_command_and_option_has_help_text(command: str) -> None:
    cmd = commands()[command]
    assert (cmd.help or "").strip(), command
    for param in cmd.params:
        assert (getattr(param, "help", None) or "").strip(), (command, param.name)


@pytest.mark.parametrize("command", sorted(commands()))
def test_lang_and_book_mean_the_same_everywhere(command: str) -> None:
    """-l/--lang and -b/--book: repeatable wherever they appear."""
    options = {
        param.opts[0]: param
        for param in commands()[command].params
        if param.param_type_name == "option"
    }
    for long, short in (("--lang", "-l"), ("--book", "-b")):
        if long in options:
            assert options[long].opts == [long, short]
            assert options[long].multiple, (command, long)
    if command in STAGES:
        assert "--book" in options


@pytest.fixture
def two_books(tmp_path: Path) -> Path:
    return make_project(tmp_path / "two", {"alpha": ALPHA, "beta": BETA})


@pytest.mark.parametrize(
    "args",
    [("status",), ("check",), ("build",), ("translate",), ("render",), ("engines",)],
    ids=lambda args: args[0],
)
def test_quiet_prints_nothing_on_success(two_books: Path, args: tuple[str, ...]) -> None:
    assert run("translate", project=two_books).code == 0
    code, out, err = run(*args, "--quiet", project=two_books)
    assert code == 0, err
    assert (out, err) == ("", "")
    code, out, _ = run(*args, project=two_books)
    assert code == 0 and out  # not quiet: it does print


def test_quiet_still_prints_the_error(two_books: Path) -> None:
    result = run("status", "-q", "--book", "gamma", project=two_books)
    assert_one_line_error(result, "unknown book 'gamma'", "alpha, beta")


# A failing invocation of every command that can fail; a new command must add one.
FAILING = {
    "build": ["build", "--book", "gamma"],
    "translate": ["translate", "--engine", "deepl"],
    "render": ["render", "--format", "nope"],
    "status": ["status", "--book", "gamma"],
    "check": ["check", "--lang", "fr"],
    "review list": ["review", "list", "--book", "gamma"],
    "review approve": ["review", "approve", "--book", "gamma", "-r", "Ana", "x"],
    "review diff": ["review", "diff", "--book", "gamma"],
    "review export": ["review", "export", "--book", "gamma"],
    "review import": ["review", "import", "nowhere.xlf"],
    "review serve": ["review", "serve", "--book", "gamma"],
    "review setup-git": ["review", "setup-git"],  # the project is not in a git repository
    "models install": ["models", "install", "nowhere.argosmodel"],
    "models list": ["models", "list"],  # the packages directory is a file
    "models remove": ["models", "remove", "xx-yy"],
    "tm import": ["tm", "import", "nowhere.tmx"],
    "tm list": ["tm", "list", "--lang", "fr"],
    "glossary suggest": ["glossary", "suggest", "--book", "gamma"],
}
CANNOT_FAIL = {"engines"}


def test_every_command_has_a_failing_case() -> None:
    assert set(FAILING) | CANNOT_FAIL == set(commands())


@pytest.mark.parametrize("command", sorted(FAILING))
def test_errors_are_one_line_and_verbose_adds_the_traceback(two_books: Path, command: str) -> None:
    args = FAILING[command]
    env = {"ARGOS_PACKAGES_DIR": str(two_books / "pipeline.toml")}
    line = assert_one_line_error(run(*args, project=two_books, env=env), code=None)
    code, _, err = run(*args, "--verbose", project=two_books, env=env)
    assert code != 0
    assert "Traceback" in err
    assert err.rstrip().splitlines()[-1] == line  # the same message, after the traceback


def test_interrupt_exits_130(two_books: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import survey

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(survey, "status", interrupted)
    code, _, err = run("status", project=two_books)
    assert code == 130
    assert err.startswith("interrupted: ") and "Traceback" not in err
    code, _, err = run("status", "-v", project=two_books)
    assert code == 130 and "Traceback" in err


def test_project_option_points_at_another_folder(
    two_books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = make_project(tmp_path / "other", {"gamma": BETA})
    monkeypatch.chdir(two_books)
    code, out, err = run("status")
    assert code == 0, err
    assert "alpha [es]" in out and "gamma" not in out
    code, out, err = run("status", "-C", "../other")
    assert code == 0, err
    assert "gamma [es]" in out and "alpha" not in out
    code, out, err = run("translate", "--project", str(other))
    assert code == 0, err
    assert po_path(other, "es", "gamma").is_file()
    assert not po_path(two_books, "es", "alpha").exists()


def test_book_limits_every_stage_to_one_book(two_books: Path) -> None:
    code, out, err = run("translate", "--book", "alpha", project=two_books)
    assert code == 0, err
    assert po_path(two_books, "es", "alpha").is_file()
    assert not po_path(two_books, "es", "beta").exists()

    code, out, err = run("render", "-b", "alpha", project=two_books)
    assert code == 0, err
    written = sorted(p.relative_to(two_books).as_posix() for p in two_books.glob("output/*/*"))
    assert written == ["output/en-es/alpha.html", "output/en/alpha.html", "output/es/alpha.html"]

    code, out, err = run("status", "--book", "beta", project=two_books)
    assert code == 0, err
    assert "beta [es]" in out and "alpha" not in out

    code, out, err = run("check", "--book", "alpha", project=two_books)
    assert code == 0, err
    assert "alpha [es]: 0 error(s), " in out and "beta" not in out

    code, out, err = run("build", "--book", "beta", project=two_books)
    assert code == 0, err
    assert po_path(two_books, "es", "beta").is_file()
    assert (two_books / "output" / "es" / "beta.html").is_file()


def test_a_repeated_value_counts_once(two_books: Path) -> None:
    code, out, err = run("status", "--lang", "es", "--lang", "es", project=two_books)
    assert code == 0, err
    assert [line.split(":")[0] for line in out.splitlines()] == ["alpha [es]", "beta [es]"]
    code, out, err = run(
        "translate", "-l", "es", "-l", "es", "-b", "alpha", "-b", "alpha", project=two_books
    )
    assert code == 0, err
    assert po_path(two_books, "es", "alpha").is_file()
    # A command that works on one book takes the same value twice as once.
    code, out, err = run(
        "review", "list", "-b", "alpha", "-b", "alpha", "-l", "es", "-l", "es", project=two_books
    )
    assert code == 0, err
    assert "segment(s)" in out


def test_one_book_commands_refuse_several(two_books: Path) -> None:
    run("translate", project=two_books)
    result = run(
        "review",
        "approve",
        "--all-machine",
        "-r",
        "Ana",
        "-b",
        "alpha",
        "-b",
        "beta",
        project=two_books,
    )
    assert_one_line_error(
        result, "review approve works on one book at a time, not alpha, beta", code=2
    )
    result = run("review", "diff", "-l", "es", "-l", "en", "-b", "alpha", project=two_books)
    assert_one_line_error(result, "review diff works on one language at a time, not es, en", code=2)
    result = run("review", "list", project=two_books)
    assert_one_line_error(result, "several books", "--book: alpha, beta")


def test_one_book_project_needs_no_book_option(tmp_path: Path) -> None:
    project = make_project(tmp_path / "one")
    assert run("translate", project=project).code == 0
    code, out, err = run("review", "approve", "--all-machine", "-r", "Ana", project=project)
    assert code == 0, err
    assert out.startswith("Approved ")


@pytest.mark.parametrize("command", ["status", "check"])
def test_a_broken_book_is_listed_after_the_others(two_books: Path, command: str) -> None:
    assert run("translate", project=two_books).code == 0
    (two_books / "content" / "en" / "beta.md").write_bytes(b"# Beta\n\nbad \xff byte\n")
    result = run(command, project=two_books)
    assert result.code == 1
    if command == "status":
        assert "alpha [es]: 4 segments: 0 new, 4 machine" in result.out
    else:
        assert "alpha [es]: 0 error(s), " in result.out
    assert "beta" not in result.out
    assert_one_line_error(result, "1 of 2 books failed", alone=False)
    details = result.err.splitlines()[1:]
    assert len(details) == 1 and details[0].startswith("  beta: ")
    assert "beta.md:3:" in details[0]


# --------------------------------------------------------------------------- [qa.<lang>]


def test_qa_table_changes_what_check_reports(project: Path) -> None:
    """``[qa.es] nbsp_before`` makes the pseudo engine's space before "!!]" a
    no-break-space problem instead of a stray space."""
    run("translate", "-C", str(project), "-e", "pseudo")
    _, before, _ = run("check", "-C", str(project))
    assert "warning [space-before-punct]" in before and "“!”" in before
    assert "warning [nbsp]" not in before
    toml = project / "pipeline.toml"
    toml.write_text(toml.read_text() + '\n[qa.es]\nnbsp_before = ["!"]\n')
    _, after, _ = run("check", "-C", str(project))
    assert "warning [nbsp]" in after
    assert "a normal space before “!” where a no-break space is required" in after
    stray = [line for line in after.splitlines() if "[space-before-punct]" in line]
    assert not any("space before “!”" in line for line in stray)


@pytest.mark.parametrize(
    ("table", "values"),
    [
        ("quotes = '“”'", {"quotes": "“”"}),
        ('nbsp_before = ["%", "€", "%"]', {"nbsp_before": "%€"}),
        ("nbsp_before = '%€'", {"nbsp_before": "%€"}),
        ("max_length_ratio = 3", {"max_length_ratio": 3.0}),
        ("min_length_ratio = 0.25", {"min_length_ratio": 0.25}),
        ("min_length = 0", {"min_length": 0}),
    ],
)
def test_qa_table_sets_each_field_of_the_style(
    project: Path, table: str, values: dict[str, object]
) -> None:
    from pipeline.config import load_config
    from pipeline.lang import get as get_language

    toml = project / "pipeline.toml"
    toml.write_text(toml.read_text() + f"\n[qa.es]\n{table}\n")
    style = load_config(project).qa_style("es")
    for name, value in values.items():
        assert getattr(style, name) == value
    default = get_language("es").style
    assert {n: getattr(style, n) for n in style.__dataclass_fields__ if n not in values} == {
        n: getattr(default, n) for n in default.__dataclass_fields__ if n not in values
    }


@pytest.mark.parametrize(
    ("table", "key_line", "needles"),
    [
        ("quote = '«»'", 2, ("unknown key qa.es.quote", "did you mean qa.es.quotes")),
        ("quotes = '„“'", 2, ("qa.es.quotes must be one of",)),
        ("min_length = '20'", 2, ("qa.es.min_length must be a whole number",)),
        ("min_length = true", 2, ("qa.es.min_length must be a whole number",)),
        ("nbsp_before = 5", 2, ("qa.es.nbsp_before must be a list",)),
        ('nbsp_before = ["%%"]', 2, ("qa.es.nbsp_before must be a list of single characters",)),
        ("max_length_ratio = 0", 2, ("qa.es.max_length_ratio must be a number more than 0",)),
        ("quotes = '«»'\nmin_length_ratio = 3", 3, ("qa.es: length ratios must satisfy",)),
    ],
)
def test_invalid_qa_table_is_a_one_line_error_naming_the_line(
    project: Path, table: str, key_line: int, needles: tuple[str, ...]
) -> None:
    toml = project / "pipeline.toml"
    start = len(toml.read_text().splitlines()) + 1  # the [qa.es] line
    toml.write_text(toml.read_text().rstrip("\n") + f"\n[qa.es]\n{table}\n")
    result = run("status", "-C", str(project))
    assert_one_line_error(result, f"pipeline.toml:{start + key_line - 1}:", *needles)


def test_qa_table_for_a_language_not_translated_is_an_error(project: Path) -> None:
    toml = project / "pipeline.toml"
    start = len(toml.read_text().splitlines()) + 1
    toml.write_text(toml.read_text().rstrip("\n") + "\n[qa.fr]\nquotes = '«»'\n")
    result = run("status", "-C", str(project))
    assert_one_line_error(
        result, f"pipeline.toml:{start}:", "[qa.fr]: 'fr' is not a target language"
    )


@pytest.mark.parametrize(
    ("table", "needles"),
    [
        ("[book.fr]\ntitle = 'Le livre'", ("[book.fr]: 'fr' is not a target language",)),
        ("[book.es]\nsubtitle = 'Uno'", ("unknown key book.es.subtitle", "did you mean")),
        ("[book.es]\ntitle = 3", ("book.es.title must be the book's title in 'es'",)),
        (
            "[books.guide.es]\ndescription = ' '",
            ("books.guide.es.description must be the book's description in 'es'",),
        ),
    ],
)
def test_invalid_translated_title_table_is_a_one_line_error_naming_the_line(
    project: Path, table: str, needles: tuple[str, ...]
) -> None:
    toml = project / "pipeline.toml"
    start = len(toml.read_text().splitlines()) + 1  # the table's line
    toml.write_text(toml.read_text().rstrip("\n") + f"\n{table}\n")
    result = run("status", "-C", str(project))
    line = start if "fr" in table else start + 1
    assert_one_line_error(result, f"pipeline.toml:{line}:", *needles)
