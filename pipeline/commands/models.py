"""``pipeline models …``: install, list and remove Argos Translate packages offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .kernel import Run, command

app = typer.Typer(
    help="Install, list and remove Argos Translate model packages (.argosmodel files) "
    "for the argos engine. Offline: a package is installed from a file you have.",
    no_args_is_help=True,
)

DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        "-d",
        help="Packages directory (shared with argostranslate and argospm).",
        file_okay=False,
        show_default="$ARGOS_PACKAGES_DIR, else ~/.local/share/argos-translate/packages",
    ),
]


def _size(size: int) -> str:
    """Bytes in a short human form (``97.3 MB``)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover


def _directory(directory: Path | None) -> Path:
    from ..mt.packages import packages_dir

    return directory if directory is not None else packages_dir()


@command(app, reads_project=False)
def install(
    run: Run,
    file: Annotated[
        Path,
        typer.Argument(
            help="The .argosmodel file to install (e.g. translate-en_es-1_9.argosmodel)."
        ),
    ],
    directory: DirOpt = None,
) -> None:
    """Check a .argosmodel file and install it (it replaces one for the same languages)."""
    from ..mt.packages import install as install_package

    result = install_package(file, _directory(directory))
    package = result.package
    names = f" ({package.source_name} -> {package.target_name})" if package.target_name else ""
    run.say(f"Installed {package.label}{names} into {package.path}")
    for old in result.replaced:
        where = f" ({old.folder})" if old.path != package.path else ""
        run.say(f"  replaced the installed {old.label}{where}")
    run.say("Translate with it: pipeline build --engine argos")


@command(app, "list", reads_project=False)
def list_(run: Run, directory: DirOpt = None) -> None:
    """List the installed packages: languages, version, size and folder."""
    from ..mt.packages import INSTALL_HINT, installed_packages

    root = _directory(directory)
    packages = installed_packages(root)
    run.say(f"Packages in {root}:")
    if not packages:
        run.say(f"  none; {INSTALL_HINT}")
        return
    rows = [
        (p.name, f"{p.source}->{p.target}", p.version or "-", _size(p.size()), p.folder)
        for p in packages
    ]
    header = ("package", "languages", "version", "size", "folder")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        run.say("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@command(app, reads_project=False)
def remove(
    run: Run,
    package: Annotated[
        str,
        typer.Argument(
            help="What to remove: a package name (translate-en_es), its folder name, "
            "or a language pair (en-es)."
        ),
    ],
    directory: DirOpt = None,
) -> None:
    """Remove installed packages (their folder is deleted)."""
    from ..mt.packages import remove as remove_packages

    for removed in remove_packages(package, _directory(directory)):
        run.say(f"Removed {removed.label} ({removed.path})")
