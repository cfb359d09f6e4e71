"""Argos Translate model packages: install, list and remove them, offline.

An Argos Translate package (a ``.argosmodel`` file, e.g. ``translate-en_es``)
is a zip archive holding one folder with

- ``metadata.json``: ``from_code``/``to_code`` (ISO 639 languages),
  ``package_version``, optionally ``type`` (``translate``), language names and
  a ``target_prefix``;
- ``model/``: a CTranslate2 model (``model.bin``, ``config.json`` and its
  vocabulary);
- ``sentencepiece.model``: the SentencePiece model that tokenises the text.

Packages are installed into the same directory argostranslate and ``argospm``
use, so either tool sees the other's packages: ``$ARGOS_PACKAGES_DIR`` if set
(in the environment, or in argostranslate's ``settings.json``), else
``$XDG_DATA_HOME/argos-translate/packages`` (``~/.local/share/argos-translate/
packages``). Nothing here needs the network or imports argostranslate.

Errors are :class:`~pipeline.errors.ModelError` with a hint; this module logs
and never prints.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import ModelError

logger = logging.getLogger(__name__)

__all__ = [
    "InstallResult",
    "ModelPackage",
    "argos_setting",
    "find_package",
    "install",
    "installed_packages",
    "newest_per_pair",
    "packages_dir",
    "read_package",
    "remove",
]

PACKAGE_HINT = (
    "an Argos package is a zip archive holding one folder with metadata.json, "
    "model/ and sentencepiece.model; download it again or ask its publisher"
)
"""What a valid ``.argosmodel`` file looks like, for error hints."""

INSTALL_HINT = "install one: pipeline models install FILE.argosmodel"
"""How to get a package, for error hints."""

_TMP_PREFIX = ".pipeline-"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True, slots=True)
class ModelPackage:
    """An installed (or unpacked) Argos Translate package."""

    path: Path
    """The package's folder."""
    source: str
    """Language it translates from (``from_code``, e.g. ``en``)."""
    target: str
    """Language it translates into (``to_code``, e.g. ``es``)."""
    version: str
    """The package's own version (``package_version``), ``""`` if not given."""
    type: str = "translate"
    """Package type; only ``translate`` packages translate."""
    source_name: str = ""
    """Human-readable source language name (``English``)."""
    target_name: str = ""
    """Human-readable target language name (``Spanish``)."""
    target_prefix: str = ""
    """Token the model expects at the start of its output (multilingual models)."""

    @property
    def name(self) -> str:
        """The name argospm gives the package: ``translate-en_es``."""
        return f"{self.type}-{self.source}_{self.target}"

    @property
    def label(self) -> str:
        """Name and version, as recorded with translations: ``translate-en_es 1.9``."""
        return f"{self.name} {self.version}".strip()

    @property
    def folder(self) -> str:
        """The folder name (``translate-en_es-1_9``)."""
        return self.path.name

    @property
    def model_dir(self) -> Path:
        """The CTranslate2 model folder."""
        return self.path / "model"

    @property
    def sentencepiece_model(self) -> Path:
        """The SentencePiece model file."""
        return self.path / "sentencepiece.model"

    def size(self) -> int:
        """Bytes the package takes on disk (its files' sizes)."""
        total = 0
        for root, _, files in os.walk(self.path):
            for name in files:
                with contextlib.suppress(OSError):
                    total += (Path(root) / name).lstat().st_size
        return total


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What :func:`install` did."""

    package: ModelPackage
    """The package now installed."""
    replaced: list[ModelPackage]
    """Packages removed because the new one replaces them (same languages)."""


# --------------------------------------------------------------------------- settings


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME")
    return Path(home) if home else Path.home()


def _settings_file(environ: Mapping[str, str]) -> Path:
    config = environ.get("XDG_CONFIG_HOME") or str(_home(environ) / ".config")
    return Path(config) / "argos-translate" / "settings.json"


def argos_setting(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """An argostranslate setting (``ARGOS_…``) as argostranslate reads it: the
    environment first, then ``~/.config/argos-translate/settings.json``; ``None``
    when it is set in neither."""
    env = os.environ if environ is None else environ
    value = env.get(name)
    if value is not None:
        return value
    path = _settings_file(env)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("ignoring argostranslate settings %s: %s", path, exc)
        return None
    found = data.get(name) if isinstance(data, dict) else None
    return None if found is None else str(found)


def packages_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where packages are installed: ``ARGOS_PACKAGES_DIR``, else
    ``$XDG_DATA_HOME/argos-translate/packages`` (the directory argostranslate uses)."""
    env = os.environ if environ is None else environ
    configured = argos_setting("ARGOS_PACKAGES_DIR", env)
    if configured:
        return Path(configured).expanduser()
    data = env.get("XDG_DATA_HOME") or str(_home(env) / ".local" / "share")
    return Path(data) / "argos-translate" / "packages"


# --------------------------------------------------------------------------- reading


def _metadata(data: Any, where: str | Path) -> dict[str, Any]:
    """Check the metadata a package declares; return it as a dict."""
    if not isinstance(data, dict):
        raise ModelError("metadata.json does not hold a JSON object", path=where, hint=PACKAGE_HINT)
    kind = data.get("type", "translate")
    if kind != "translate":
        raise ModelError(
            f"this is an Argos {kind!r} package, not a translation package",
            path=where,
            hint="install a translate-<from>_<to> package",
        )
    for key in ("from_code", "to_code"):
        value = data.get(key)
        if not isinstance(value, str) or not _SAFE_NAME.match(value):
            raise ModelError(f"metadata.json lacks a valid {key!r}", path=where, hint=PACKAGE_HINT)
    return data


def _package(path: Path, data: dict[str, Any]) -> ModelPackage:
    def text(key: str) -> str:
        value = data.get(key, "")
        return value if isinstance(value, str) else str(value)

    return ModelPackage(
        path=path,
        source=text("from_code"),
        target=text("to_code"),
        version=text("package_version"),
        type=text("type") or "translate",
        source_name=text("from_name"),
        target_name=text("to_name"),
        target_prefix=text("target_prefix"),
    )


def read_package(path: Path) -> ModelPackage:
    """Read and check an unpacked package folder; raise :class:`ModelError` if it
    is not a usable translation package."""
    meta = path / "metadata.json"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            "not an Argos package: metadata.json is missing", path=path, hint=PACKAGE_HINT
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read metadata.json: {exc}", path=meta, hint=PACKAGE_HINT) from exc
    package = _package(path, _metadata(data, meta))
    _check_files(
        path,
        {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()},
    )
    return package


def _check_files(where: str | Path, files: set[str]) -> None:
    """Raise unless ``files`` (paths inside the package folder) make a usable package."""
    if "sentencepiece.model" not in files:
        if "bpe.model" in files:
            raise ModelError(
                "this package tokenises with BPE (bpe.model); only packages with a "
                "SentencePiece model (sentencepiece.model) are supported",
                path=where,
                hint="use a newer version of the package",
            )
        raise ModelError(
            "not an Argos package: sentencepiece.model is missing", path=where, hint=PACKAGE_HINT
        )
    if "model/model.bin" not in files:
        raise ModelError(
            "not an Argos package: the CTranslate2 model (model/model.bin) is missing",
            path=where,
            hint=PACKAGE_HINT,
        )
    if not any(f.startswith("model/") and "vocabulary" in f for f in files):
        raise ModelError(
            "not an Argos package: the model's vocabulary (model/*vocabulary*) is missing",
            path=where,
            hint=PACKAGE_HINT,
        )


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for package versions: ``1.10`` after ``1.9``."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.\-_+]", version)
    )


def installed_packages(directory: Path | None = None) -> list[ModelPackage]:
    """The translation packages installed in ``directory`` (default
    :func:`packages_dir`), ordered by languages then name. Folders that are not
    usable packages are skipped with a warning in the log."""
    root = packages_dir() if directory is None else directory
    try:
        entries = sorted(p for p in root.iterdir() if p.is_dir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ModelError(
            f"cannot read the packages directory: {exc.strerror or exc}", path=root
        ) from exc
    found: list[ModelPackage] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            found.append(read_package(entry))
        except ModelError as exc:
            logger.warning("skipping %s: %s", entry, exc.message)
    return sorted(found, key=lambda p: (p.source, p.target, p.name, _version_key(p.version)))


def newest_per_pair(packages: Iterable[ModelPackage]) -> list[ModelPackage]:
    """One package per language pair, ordered by pair: the newest version (of
    two with the same version, the one in the folder named last)."""
    best: dict[tuple[str, str], ModelPackage] = {}
    for package in packages:
        pair = (package.source, package.target)
        current = best.get(pair)
        if current is None or (_version_key(package.version), package.folder) > (
            _version_key(current.version),
            current.folder,
        ):
            best[pair] = package
    return [best[pair] for pair in sorted(best)]


def find_package(source: str, target: str, directory: Path | None = None) -> ModelPackage | None:
    """The installed package translating ``source`` into ``target`` (the newest
    version if there are several), or ``None``."""
    for package in newest_per_pair(installed_packages(directory)):
        if (package.source, package.target) == (source, target):
            return package
    return None


# --------------------------------------------------------------------------- install


def _open_archive(archive: Path) -> zipfile.ZipFile:
    if not archive.is_file():
        raise ModelError(
            "file not found" if not archive.exists() else "not a file",
            path=archive,
            hint="give the path of a .argosmodel file",
        )
    try:
        if not zipfile.is_zipfile(archive):
            raise ModelError(
                "not an Argos model package: the file is not a zip archive",
                path=archive,
                hint=PACKAGE_HINT,
            )
        return zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(
            f"cannot open the archive: {exc}", path=archive, hint=PACKAGE_HINT
        ) from exc


def _archive_folder(archive: Path, zipf: zipfile.ZipFile) -> tuple[str, set[str]]:
    """The archive's one top-level folder and the files inside it (relative paths).

    Refuses absolute paths, ``..``, links and files outside the folder.
    """
    tops: set[str] = set()
    files: set[str] = set()
    for info in zipf.infolist():
        name = info.filename
        parts = PurePosixPath(name).parts
        mode = info.external_attr >> 16
        if (
            not parts
            or name.startswith(("/", "\\"))
            or "\\" in name
            or ".." in parts
            or (len(parts[0]) > 1 and parts[0][1] == ":")
            or stat.S_ISLNK(mode)
        ):
            raise ModelError(
                f"refusing to install: the archive holds an unsafe entry {name!r}",
                path=archive,
                hint=PACKAGE_HINT,
            )
        tops.add(parts[0])
        if len(parts) == 1 and not info.is_dir():
            raise ModelError(
                f"not an Argos model package: {name!r} is outside the package folder",
                path=archive,
                hint=PACKAGE_HINT,
            )
        if not info.is_dir():
            files.add("/".join(parts[1:]))
    if len(tops) != 1:
        raise ModelError(
            "not an Argos model package: expected one top-level folder, found "
            + (", ".join(sorted(tops)) or "none"),
            path=archive,
            hint=PACKAGE_HINT,
        )
    (top,) = tops
    if not _SAFE_NAME.match(top):
        raise ModelError(
            f"refusing to install: unusual package folder name {top!r}",
            path=archive,
            hint=PACKAGE_HINT,
        )
    return top, files


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def install(archive: Path, directory: Path | None = None) -> InstallResult:
    """Install a ``.argosmodel`` file into ``directory`` (default :func:`packages_dir`).

    The archive is checked before anything is written: a zip, one folder with
    ``metadata.json`` (a translation package with ``from_code``/``to_code``),
    ``model/model.bin`` and its vocabulary, and ``sentencepiece.model``; no
    damaged member (CRC), no unsafe path. It is unpacked beside the packages and
    then moved into place, so a failed install leaves the directory as it was.
    An installed package for the same languages (any version) is replaced.
    """
    root = packages_dir() if directory is None else directory
    with _open_archive(archive) as zipf:
        top, files = _archive_folder(archive, zipf)
        if "metadata.json" not in files:
            raise ModelError(
                "not an Argos model package: metadata.json is missing",
                path=archive,
                hint=PACKAGE_HINT,
            )
        try:
            data = json.loads(zipf.read(f"{top}/metadata.json").decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelError(
                f"metadata.json is not valid JSON: {exc}", path=archive, hint=PACKAGE_HINT
            ) from exc
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:
            raise ModelError(
                f"the archive is damaged: {exc}", path=archive, hint=PACKAGE_HINT
            ) from exc
        _metadata(data, archive)
        _check_files(archive, files)
        try:
            bad = zipf.testzip()
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise ModelError(
                f"the archive is damaged: {exc}", path=archive, hint=PACKAGE_HINT
            ) from exc
        if bad is not None:
            raise ModelError(
                f"the archive is damaged (bad checksum in {bad})",
                path=archive,
                hint="download the package again",
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ModelError(
                f"cannot create the packages directory: {exc.strerror or exc}",
                path=root,
                hint="set ARGOS_PACKAGES_DIR to a writable directory",
            ) from exc
        staging = root / f"{_TMP_PREFIX}new-{top}-{os.getpid()}"
        _remove_tree(staging)
        try:
            zipf.extractall(staging)
            package = read_package(staging / top)
        except OSError as exc:
            _remove_tree(staging)
            raise ModelError(
                f"cannot unpack the package: {exc.strerror or exc}",
                path=root,
                hint="check the free disk space and that the directory is writable",
            ) from exc
        except BaseException:
            _remove_tree(staging)
            raise
    return _move_into_place(root, staging, top, package)


def _move_into_place(root: Path, staging: Path, top: str, package: ModelPackage) -> InstallResult:
    """Move the unpacked package from ``staging`` to ``root/top``; remove the
    packages it replaces."""
    final = root / top
    replaced = [
        p
        for p in installed_packages(root)
        if (p.source, p.target) == (package.source, package.target) or p.folder == top
    ]
    old = root / f"{_TMP_PREFIX}old-{top}-{os.getpid()}"
    try:
        if final.exists():
            _remove_tree(old)
            os.replace(final, old)
        os.replace(staging / top, final)
    except OSError as exc:
        if old.exists() and not final.exists():
            os.replace(old, final)
        raise ModelError(
            f"cannot install the package: {exc.strerror or exc}",
            path=final,
            hint="check that the packages directory is writable",
        ) from exc
    finally:
        _remove_tree(staging)
    _remove_tree(old)
    for other in replaced:
        if other.folder != top:
            _remove_tree(other.path)
    installed = read_package(final)
    logger.info(
        "installed %s into %s%s",
        installed.label,
        final,
        "".join(f"; replaced {p.label}" for p in replaced),
    )
    return InstallResult(installed, replaced)


# --------------------------------------------------------------------------- remove


def _pair(which: str) -> tuple[str, str] | None:
    match = re.fullmatch(r"([A-Za-z0-9]+)\s*(?:->|→|-|_|:)\s*([A-Za-z0-9]+)", which.strip())
    return (match.group(1), match.group(2)) if match else None


def remove(which: str, directory: Path | None = None) -> list[ModelPackage]:
    """Remove the installed packages that ``which`` names: a package name
    (``translate-en_es``), a folder name (``translate-en_es-1_9``) or a language
    pair (``en-es``, ``en->es``). Returns what was removed; raises
    :class:`ModelError` when nothing matches."""
    root = packages_dir() if directory is None else directory
    packages = installed_packages(root)
    pair = _pair(which)
    matches = [
        p
        for p in packages
        if which in (p.name, p.folder) or (pair is not None and (p.source, p.target) == pair)
    ]
    if not matches:
        have = ", ".join(f"{p.name} ({p.source}->{p.target})" for p in packages)
        raise ModelError(
            f"no installed package matches {which!r}",
            path=root,
            hint=f"installed: {have}" if have else f"no packages are installed; {INSTALL_HINT}",
        )
    for package in matches:
        try:
            shutil.rmtree(package.path)
        except OSError as exc:
            raise ModelError(
                f"cannot remove {package.label}: {exc.strerror or exc}",
                path=package.path,
                hint="check that the packages directory is writable",
            ) from exc
        logger.info("removed %s from %s", package.label, package.path)
    return matches
