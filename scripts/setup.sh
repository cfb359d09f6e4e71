#!/usr/bin/env bash
# Set up everything pipeline needs on a Debian machine, then build or test.
#
#   bash scripts/setup.sh build   # install what is missing, build every edition into output/
#   bash scripts/setup.sh test    # install what is missing (with test tools), run all checks
#   PIPELINE_ARGOS=1 bash scripts/setup.sh build   # also the argos engine (pipeline[argos])
#
# Idempotent: it installs only what is missing, so running it again is quick.
set -euo pipefail

cd "$(dirname "$0")/.."
action="${1:-build}"
shift || true

APT_PACKAGES=(
  apertium apertium-eng-spa          # default translation engine (runs as a separate program)
  apertium-es-pt                     # Spanish-Portuguese, for Portuguese made through the Spanish (small)
  fonts-linuxlibertine               # the book font embedded in the PDFs
  fonts-dejavu-core                  # task-list boxes (☐ ☑): the book font draws no ☑
  # Fallback fonts for what Libertine cannot draw (pipeline/render/glyphs.py), embedded as
  # subsets in the PDF and EPUB only when the text uses them: emoji, symbols (✓ ⌘ ⇧),
  # Thai, Devanagari and other scripts, Chinese, Japanese and Korean.
  fonts-noto-color-emoji fonts-symbola fonts-noto-core fonts-noto-cjk
  poppler-utils                      # pdftotext/pdffonts, used by the tests
  gettext                            # msgfmt, checks the PO catalogues in the tests
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0  # WeasyPrint's text layout and font subsetting
  python3-venv
)
# Only for `test`: the browser the end-to-end tests drive through Playwright
# (launched as /usr/bin/chromium; `playwright install` is neither needed nor used).
TEST_APT_PACKAGES=(
  chromium
  epubcheck default-jre-headless     # validates the EPUB editions (run as java -jar, see tests)
)
# axe-core, the accessibility checker the tests run in Chromium, from npm into .ci-node/
# (git-ignored); only for `test`.
AXE_CORE_VERSION="4.14.1"

say() { printf '==> %s\n' "$*" >&2; }

wanted=("${APT_PACKAGES[@]}")
[ "$action" = "test" ] && wanted+=("${TEST_APT_PACKAGES[@]}")
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "$action" = "test" ] && ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
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
[ "${PIPELINE_ARGOS:-}" = 1 ] && extras=".[argos]"  # the argos engine for builds
[ "$action" = "test" ] && extras=".[test]"           # (the test extra includes it)
stamp=".venv/.pipeline-installed"
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
installed="$(cat "$stamp" 2>/dev/null || true)"
need=1
if [ -x .venv/bin/python ]; then
  case "$installed" in
    "$hash .[test]") need=0 ;;                     # a test install also serves builds
    "$hash .[argos]") [ "$extras" != ".[test]" ] && need=0 ;;
    "$hash .") [ "$extras" = "." ] && need=0 ;;
  esac
fi
if ((need)); then
  say "installing pipeline and its Python dependencies into .venv"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  # (grep drops the notes pip prints about this machine's extra package folders)
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$extras" \
    2> >(grep -v "^WARNING: Location .* is ignored" >&2)
  if [ "$extras" != "." ]; then
    # argostranslate alone, without its declared dependencies (stanza -> torch,
    # spacy: gigabytes, and only for sentence splitting pipeline does itself).
    # pipeline never imports it; argospm and bench/argos_throughput.py do.
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps \
      "argostranslate==1.11.0" 2> >(grep -v "^WARNING: Location .* is ignored" >&2)
  fi
  echo "$hash $extras" > "$stamp"
fi

case "$action" in
  build)
    say "building every edition into output/"
    exec .venv/bin/pipeline build "$@"
    ;;
  test)
    axe=".ci-node/node_modules/axe-core"
    if ! grep -qs "\"version\": \"$AXE_CORE_VERSION\"" "$axe/package.json"; then
      say "installing axe-core $AXE_CORE_VERSION into .ci-node/"
      npm install --prefix .ci-node --no-audit --no-fund --no-save --silent "axe-core@$AXE_CORE_VERSION"
    fi
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
