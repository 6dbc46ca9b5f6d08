#!/usr/bin/env bash
# Proves the production install of docs/operations.md section 1: the wheel built from this
# checkout, installed into a fresh venv (not an editable checkout), runs `bakohumas config
# check` and `bakohumas migrate` against a temporary SQLite database; then the systemd units
# of deploy/systemd are checked by `systemd-analyze verify` (pointed at that venv).
#
#   deploy/check-install.sh [WORKDIR]        (run by tests/test_operations_doc.py, slow)
#
# Dependencies: by default the new venv borrows the dependencies already installed for the
# interpreter named by $PYTHON (default python3) through a path file, without running that
# environment's .pth hooks, so its editable install of this project stays invisible; the
# wheel itself is installed with --no-deps. CHECK_INSTALL_DEPS=pypi installs them from the
# package index instead, as a real server does (a few minutes).
# Exit status: 0 when everything held, 1 otherwise (the failing step is named).
set -euo pipefail

checkout="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="${1:-$(mktemp -d -t bakohumas-install-XXXXXX)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
step() { echo "check-install: $*"; }
fail() { echo "check-install: FAILED: $*" >&2; exit 1; }

step "building the wheel from $checkout"
# a copy of the checkout without instance/, node_modules/ and build leftovers, so the build
# sees what a release checkout has and writes nothing into this one
src="$work/src"
rm -rf "$src" && mkdir -p "$src"
(cd "$checkout" && tar --exclude=./instance --exclude=./node_modules --exclude=./.git \
    --exclude=./test-artifacts --exclude=./build --exclude=./dist --exclude='*.egg-info' \
    --exclude=__pycache__ --exclude=./.ci -cf - .) | tar -xf - -C "$src"
# the build tools of $PYTHON's environment when it has them, else pip fetches them (PyPI)
if "$python" -c 'import setuptools, wheel' 2>/dev/null; then isolation=--no-build-isolation; else isolation=; fi
"$python" -m pip wheel --no-deps $isolation -q -w "$work/dist" "$src" > "$work/wheel.log" 2>&1 \
    || { tail -40 "$work/wheel.log"; fail "pip wheel"; }
wheel="$(ls "$work"/dist/bakohumas_assessment-*.whl)"
step "built $(basename "$wheel")"

venv="$work/venv"
rm -rf "$venv"
"$python" -m venv "$venv" || fail "python -m venv"
if [ "${CHECK_INSTALL_DEPS:-borrow}" = pypi ]; then
  "$venv/bin/pip" install -q "$wheel" || fail "pip install (with dependencies from PyPI)"
else
  # plain paths: site.py appends them to sys.path without running their .pth files
  site_dirs="$("$python" -c 'import sysconfig; p = sysconfig.get_paths(); print(p["purelib"]); print(p["platlib"])' | sort -u)"
  purelib="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  echo "$site_dirs" > "$purelib/zz-borrowed-dependencies.pth"
  "$venv/bin/pip" install -q --no-deps --no-index "$wheel" || fail "pip install --no-deps"
fi

# run from an empty folder: nothing of the checkout may be importable
run_dir="$work/run" && mkdir -p "$run_dir" && cd "$run_dir"
where="$("$venv/bin/python" -c 'import assessment, run; print(assessment.__file__); print(run.__file__)')"
echo "$where" | sed 's/^/  imported from /'
case "$where" in
  *"$checkout"*) fail "the installed package is imported from the checkout $checkout" ;;
esac
echo "$where" | grep -qv "^$venv/" && fail "a module is imported from outside the new venv"
[ -z "$(ls "$purelib"/__editable__* 2>/dev/null || true)" ] || fail "an editable install in the venv"
"$venv/bin/python" - <<'EOF' || fail "the wheel is missing templates, static files, translations or migrations"
from importlib import resources
root = resources.files("assessment")
for part in ("templates/base.html", "static", "migrations/env.py", "translations"):
    assert (root / part).exists(), part
assert any((root / "migrations" / "versions").iterdir())
assert any(p.name.endswith(".mo") for p in (root / "translations" / "id" / "LC_MESSAGES").iterdir())
assert (resources.files("rubrics") / "editions" / "bakohumas-2025.yaml").is_file()
EOF

step "bakohumas config check and migrate against a temporary database"
state="$work/state" && rm -rf "$state" && mkdir -p "$state"
env_file="$state/bakohumas.env"
cat > "$env_file" <<EOF
SECRET_KEY=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(32))')
DATABASE_URL=sqlite:///$state/bakohumas.db
UPLOAD_DIR=$state/berkas
CACHE_DIR=$state/cache
ADMIN_PASSWORD_FILE=$state/admin-password.txt
EOF
chmod 0640 "$env_file"
export BAKOHUMAS_ENV="$env_file"
unset DATABASE_URL SECRET_KEY UPLOAD_DIR CACHE_DIR REDIS_URL SMTP_HOST PYTHONPATH || true
"$venv/bin/bakohumas" migrate < /dev/null || fail "bakohumas migrate"
[ -s "$state/admin-password.txt" ] || fail "migrate without a terminal wrote no password file"
"$venv/bin/bakohumas" config check | grep -E '^(ok |FAIL)' || true
"$venv/bin/bakohumas" config check > "$work/config-check.txt" || { cat "$work/config-check.txt"; fail "bakohumas config check"; }
grep -q "^ok  database: .* at schema revision" "$work/config-check.txt" || fail "config check named no schema revision"
"$venv/bin/bakohumas" status || fail "bakohumas status"
[ ! -e "$checkout/instance/bakohumas.db" ] || [ "$checkout/instance/bakohumas.db" -ot "$env_file" ] \
    || fail "a database was created in the checkout"

step "systemd units"
if command -v systemd-analyze >/dev/null 2>&1; then
  units="$work/systemd" && rm -rf "$units" && mkdir -p "$units"
  for unit in "$checkout"/deploy/systemd/*; do
    sed "s#/opt/bakohumas/venv#$venv#g" "$unit" > "$units/$(basename "$unit")"
  done
  if [ ! -x "$venv/bin/gunicorn" ]; then   # a borrowed dependency has no script here: as pip writes it
    printf '#!%s\nfrom gunicorn.app.wsgiapp import run\nraise SystemExit(run())\n' "$venv/bin/python" > "$venv/bin/gunicorn"
    chmod 0755 "$venv/bin/gunicorn"
  fi
  SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$units"/*.service "$units"/*.timer \
      || fail "systemd-analyze verify"
  step "systemd-analyze verify: $(ls "$units" | tr '\n' ' ')"
else
  step "SKIPPED systemd units: systemd-analyze is not installed (apt-get install systemd)"
fi
step "ok: $(basename "$wheel") installed as a wheel in $venv, configured, migrated"
