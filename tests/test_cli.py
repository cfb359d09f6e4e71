"""The command line, as a user runs it (typer's CliRunner)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()

COMMANDS = ["build", "translate", "render", "status", "engines"]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_every_command() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for command in COMMANDS:
        assert command in out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0
    assert "Usage" in out
    assert len(out.splitlines()) > 5


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.startswith("pipeline ")


def test_build_writes_every_edition_then_translates_nothing(project: Path) -> None:
    code, out, err = run("build", "-C", str(project), "--engine", "pseudo")
    assert code == 0, err
    for lang in ("en", "es"):
        for ext in ("html", "pdf"):
            assert (project / "output" / lang / f"executive-summary.{ext}").stat().st_size > 1000
    assert (project / "content" / "es" / "executive-summary.po").is_file()
    assert "Translated 59 segment(s) with the engine" in out
    html = project / "output" / "es" / "executive-summary.html"
    before = html.stat().st_mtime_ns

    code, out, err = run("build", "-C", str(project), "--engine", "pseudo")
    assert code == 0, err
    assert "Translated 0 segment(s) with the engine, 0 from the cache" in out
    assert html.stat().st_mtime_ns == before  # unchanged output is not rewritten
    assert "wrote" not in out


def test_format_option_builds_only_that_format_and_never_leaves_others_stale(
    project: Path,
) -> None:
    code, out, err = run("build", "-C", str(project), "-e", "pseudo", "-f", "html")
    assert code == 0, err
    written = sorted(p.relative_to(project).as_posix() for p in project.glob("output/*/*"))
    assert written == [
        "output/en-es/executive-summary.html",
        "output/en/executive-summary.html",
        "output/es/executive-summary.html",
    ]
    assert run("build", "-C", str(project), "-e", "pseudo", "-f", "html", "-f", "epub")[0] == 0
    source = project / "content" / "en" / "executive-summary.md"
    source.write_text(source.read_text().replace("Venezuela", "Venezuela, the country", 1))
    assert run("build", "-C", str(project), "-e", "pseudo", "-f", "html")[0] == 0
    # The EPUBs predate the edit: building them again must not find the book up to date.
    code, out, err = run("build", "-C", str(project), "-e", "pseudo", "-f", "html", "-f", "epub")
    assert code == 0, err
    assert [line.split()[-1] for line in out.splitlines() if "wrote" in line] == [
        "output/en/executive-summary.epub",
        "output/es/executive-summary.epub",
        "output/en-es/executive-summary.epub",
    ]
    code, out, err = run("render", "-C", str(project), "--format", "nope")
    assert_one_line_error(code, err, "unknown format 'nope'", "choose from: html, pdf, epub")


def test_force_uses_cache_not_engine_twice(project: Path) -> None:
    assert run("translate", "-C", str(project), "-e", "pseudo")[0] == 0
    code, out, _ = run("translate", "-C", str(project), "-e", "pseudo", "--force")
    assert code == 0
    # --force retranslates every machine segment, bypassing the cache
    assert "Translated 59 segment(s) with the engine" in out


def test_status_counts_states(project: Path) -> None:
    code, out, _ = run("status", "-C", str(project))
    assert code == 0
    assert "executive-summary [es]: 59 segments: 59 new, 0 machine" in out
    run("translate", "-C", str(project), "-e", "pseudo")
    code, out, _ = run("status", "-C", str(project))
    assert "0 new, 59 machine, 0 needs-review, 0 reviewed (draft)" in out


def test_render_only_needs_no_engine(project: Path) -> None:
    env = {"PATH": str(project)}  # no apertium, no anything on PATH
    run("translate", "-C", str(project), "-e", "pseudo")
    code, _, err = run("render", "-C", str(project), "--lang", "es", env=env)
    assert code == 0, err
    assert (project / "output" / "es" / "executive-summary.html").is_file()
    assert not (project / "output" / "en").exists()


# --------------------------------------------------------------------------- errors


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]


def test_missing_project_file(tmp_path: Path) -> None:
    code, _, err = run("build", "-C", str(tmp_path))
    assert_one_line_error(code, err, "pipeline.toml", "project file not found", "--project")


def test_malformed_toml_names_the_line(project: Path) -> None:
    (project / "pipeline.toml").write_text('[book]\ntitle = "x"\nauthor = \n')
    code, _, err = run("status", "-C", str(project))
    assert_one_line_error(code, err, "pipeline.toml:3:", "not valid TOML")


def test_unknown_key_is_named(project: Path) -> None:
    toml = project / "pipeline.toml"
    toml.write_text(toml.read_text().replace("targets =", "target ="))
    code, _, err = run("status", "-C", str(project))
    assert_one_line_error(
        code, err, "unknown key languages.target", "did you mean languages.targets"
    )


def test_missing_key_is_named(project: Path) -> None:
    toml = project / "pipeline.toml"
    toml.write_text(
        "\n".join(x for x in toml.read_text().splitlines() if not x.startswith("author"))
    )
    code, _, err = run("status", "-C", str(project))
    assert_one_line_error(code, err, "missing key book.author")


def test_missing_content_dir(project: Path) -> None:
    import shutil

    shutil.rmtree(project / "content")
    code, _, err = run("build", "-C", str(project), "-e", "pseudo")
    assert_one_line_error(code, err, "content", "not found")


def test_unknown_language(project: Path) -> None:
    code, _, err = run("build", "-C", str(project), "-e", "pseudo", "--lang", "fr")
    assert_one_line_error(code, err, "unknown language 'fr'", "en, es")


def test_unknown_engine(project: Path) -> None:
    code, _, err = run("translate", "-C", str(project), "-e", "deepl")
    assert_one_line_error(code, err, "unknown engine 'deepl'", "apertium")


def test_apertium_missing_says_how_to_install(project: Path) -> None:
    env = {"PATH": str(project)}
    code, _, err = run("translate", "-C", str(project), env=env)
    assert_one_line_error(code, err, "apt-get install")
    assert not (project / "content" / "es" / "executive-summary.po").exists()


def test_unwritable_output_keeps_earlier_outputs(project: Path) -> None:
    assert run("build", "-C", str(project), "-e", "pseudo", "--lang", "es")[0] == 0
    es_html = project / "output" / "es" / "executive-summary.html"
    before = es_html.read_bytes()
    # "output/en" is a file, so the English edition cannot be written.
    (project / "output" / "en").write_text("not a directory")
    code, _, err = run("build", "-C", str(project), "-e", "pseudo")
    assert_one_line_error(code, err, "output/en")
    assert es_html.read_bytes() == before
    leftovers = [p for p in (project / "output").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_corrupt_po_names_file_and_line(project: Path) -> None:
    assert run("translate", "-C", str(project), "-e", "pseudo")[0] == 0
    po = project / "content" / "es" / "executive-summary.po"
    lines = po.read_text().splitlines()
    lines[20] = 'msgstr "unterminated'
    po.write_text("\n".join(lines) + "\n")
    broken = po.read_bytes()
    code, _, err = run("build", "-C", str(project), "-e", "pseudo")
    assert_one_line_error(code, err, "executive-summary.po:")
    assert po.read_bytes() == broken  # a reviewer's file is never overwritten


def test_verbose_shows_traceback(project: Path) -> None:
    code, _, err = run("translate", "-C", str(project), "-e", "deepl", "--verbose")
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
    (project / "content" / "glossary.csv").write_text(
        "source,target,note\nNarco-Socialism,narcosocialismo,one word\n"
    )
    run("translate", "-C", str(project), "-e", "pseudo")
    code, out, _ = run("check", "-C", str(project))
    assert code == 0  # warnings only
    assert "content/en/executive-summary.md:100: warning [glossary]" in out  # no emoji codes
    code, _, err = run("check", "-C", str(project), "--strict")
    assert code == 1 and "warning(s)" in err


def test_qa_skip_note_silences_a_check(project: Path) -> None:
    import polib

    (project / "content" / "glossary.csv").write_text(
        "source,target,note\nNarco-Socialism,narcosocialismo,one word\n"
    )
    run("translate", "-C", str(project), "-e", "pseudo")
    po_file = project / "content" / "es" / "executive-summary.po"
    catalog = polib.pofile(str(po_file))
    entry = next(e for e in catalog if e.occurrences[0][1] == "100")
    entry.tcomment = (entry.tcomment + "\nqa-skip: glossary").strip()
    catalog.save()
    _, out, _ = run("check", "-C", str(project))
    assert "executive-summary.md:100: warning [glossary]" not in out


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
    code, _, err = run("status", "-C", str(project))
    assert_one_line_error(code, err, f"pipeline.toml:{start + key_line - 1}:", *needles)


def test_qa_table_for_a_language_not_translated_is_an_error(project: Path) -> None:
    toml = project / "pipeline.toml"
    start = len(toml.read_text().splitlines()) + 1
    toml.write_text(toml.read_text().rstrip("\n") + "\n[qa.fr]\nquotes = '«»'\n")
    code, _, err = run("status", "-C", str(project))
    assert_one_line_error(
        code, err, f"pipeline.toml:{start}:", "[qa.fr]: 'fr' is not a target language"
    )
