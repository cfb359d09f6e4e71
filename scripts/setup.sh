#!/usr/bin/env bash
# Set up everything pipeline needs on a Debian machine, then build or test.
#
#   bash scripts/setup.sh build   # install what is missing, build every edition into output/
#   bash scripts/setup.sh test    # install what is missing (with test tools), run all checks
#
# Idempotent: it installs only what is missing, so running it again is quick.
set -euo pipefail

cd "$(dirname "$0")/.."
action="${1:-build}"
shift || true

APT_PACKAGES=(
  apertium apertium-eng-spa          # default translation engine (runs as a separate program)
  fonts-linuxlibertine               # the book font embedded in the PDFs
  poppler-utils                      # pdftotext/pdffonts, used by the tests
  gettext                            # msgfmt, checks the PO catalogues in the tests
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0  # WeasyPrint's text layout and font subsetting
  python3-venv
)

say() { printf '==> %s\n' "$*" >&2; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "error: pipeline needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
}

extras="."
[ "$action" = "test" ] && extras=".[test]"
stamp=".venv/.pipeline-installed"
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
installed="$(cat "$stamp" 2>/dev/null || true)"
need=1
if [ -x .venv/bin/python ]; then
  case "$installed" in
    "$hash .[test]") need=0 ;;                     # a test install also serves builds
    "$hash .") [ "$extras" = "." ] && need=0 ;;
  esac
fi
if ((need)); then
  say "installing pipeline and its Python dependencies into .venv"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  # (grep drops the notes pip prints about this machine's extra package folders)
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$extras" \
    2> >(grep -v "^WARNING: Location .* is ignored" >&2)
  echo "$hash $extras" > "$stamp"
fi

case "$action" in
  build)
    say "building every edition into output/"
    exec .venv/bin/pipeline build "$@"
    ;;
  test)
    say "ruff"
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    say "mypy"
    .venv/bin/mypy
    say "pytest"
    exec .venv/bin/pytest "$@"
    ;;
  *)
    echo "usage: bash scripts/setup.sh build|test [options]" >&2
    exit 2
    ;;
esac
