#!/usr/bin/env bash
# Installs dist/ the way users do, on a PATH with no cargo, rustc or C compiler,
# and runs the quick-starts against the emulator packages:
#   - Python: a fresh virtual environment per CPython found (3.9 to 3.13),
#     `pip install` of the two wheels, examples/quickstart.py;
#   - Node: a fresh npm project, `npm install` of the four tarballs, the
#     quick-start (examples/quickstart.ts, compiled), on this Node and on Node 18
#     and 22 from the npm registry; the same with pnpm 10 (from npm);
#   - the loader's error on a platform without a prebuilt package (simulated);
#   - the sdist built into a wheel with the network off and an empty cargo home.
# Run scripts/dist.sh first. Prints how long each install took.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD dist=$PWD/dist
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A PATH of symlinks to the tools an install needs, and nothing that compiles.
tools="$work/bin"
mkdir -p "$tools"
for tool in node npm npx bash sh env tar gzip rm mkdir cat ls sed grep dirname basename uname cp mv ln chmod readlink sort head tail tr date mktemp find xargs; do
  found=$(command -v "$tool") && ln -s "$found" "$tools/$tool"
done
sandbox() { env -i HOME="$work/home" PATH="$tools" LANG=C.UTF-8 npm_config_cache="$work/npm-cache" npm_config_update_notifier=false "$@"; }
mkdir -p "$work/home"
for compiler in cargo rustc cc gcc; do
  if sandbox sh -c "command -v $compiler" > /dev/null; then echo "install-test: $compiler is on the sandbox PATH" >&2; exit 1; fi
done
seconds() { local start=$1; echo "$(( ($(date +%s%N) - start) / 1000000 ))" | sed 's/\(...\)$/.\1/'; }

echo "== Python: pip install the wheels into fresh environments (no compiler on PATH), then the quick-start"
pythons=()
for candidate in python3.9 python3.10 python3.11 python3.12 python3.13 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.{9,10,11,12,13}.*/bin/python3; do
  found=$(command -v "$candidate" 2>/dev/null) || continue
  # (a pyenv shim for a version not selected is found, but does not run)
  minor=$("$found" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
  case " ${pythons[*]-} " in *" $minor="*) continue ;; esac
  pythons+=("$minor=$found")
done
[ ${#pythons[@]} -gt 0 ] || { echo "install-test: no CPython 3.9+ found" >&2; exit 1; }
for entry in "${pythons[@]}"; do
  minor=${entry%%=*} python=${entry#*=}
  "$python" -m venv "$work/py$minor"
  start=$(date +%s%N)
  sandbox "$work/py$minor/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
    "$dist/passfort-$version-"*.whl "$dist/passfort_emulator-$version-"*.whl
  took=$(seconds "$start")
  (cd "$work" && sandbox "$work/py$minor/bin/python" "$repo/examples/quickstart.py" > "$work/py$minor.out")
  echo "  CPython $minor: pip install took ${took} s; quick-start: $(tail -1 "$work/py$minor.out")"
done

echo "== Python: without the testing extra, passfort.testing says what to install"
"${pythons[0]#*=}" -m venv "$work/py-bare"
sandbox "$work/py-bare/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$dist/passfort-$version-"*.whl
missing=$(sandbox "$work/py-bare/bin/python" -c 'import passfort.testing' 2>&1 || true)
echo "$missing" | grep -q "pip install 'passfort\[testing\]'" || { echo "$missing" >&2; exit 1; }
echo "  $(echo "$missing" | tail -1)"

echo "== Node: npm install the tarballs into a fresh project (no compiler on PATH), then the quick-start"
npm install --no-audit --no-fund --loglevel=error   # the clone's own dev tools (TypeScript), to compile the example
npx --no-install tsc -p examples/tsconfig.json
tarballs=("$dist/passfort-$version.tgz" "$dist/passfort-linux-x64-gnu-$version.tgz" "$dist/passfort-emulator-$version.tgz" "$dist/passfort-emulator-linux-x64-gnu-$version.tgz")
project="$work/npm-project"
mkdir -p "$project" && cp target/ts-examples/quickstart.js "$project/"
echo '{ "name": "npm-probe", "private": true }' > "$project/package.json"
start=$(date +%s%N)
(cd "$project" && sandbox npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}")
took=$(seconds "$start")
installed=$(du -sk "$project/node_modules" | cut -f1)
ls "$project/node_modules" > "$work/npm-modules"
(cd "$project" && sandbox node quickstart.js > "$work/npm.out")
echo "  npm install took ${took} s; node_modules: ${installed} KiB, packages: $(tr '\n' ' ' < "$work/npm-modules"); quick-start: $(tail -1 "$work/npm.out")"
without_emulator=$(du -sk "$project/node_modules/passfort" "$project/node_modules/passfort-linux-x64-gnu" | awk '{ s += $1 } END { print s }')
echo "  production node_modules (passfort and its platform package): ${without_emulator} KiB"

echo "== Node: the quick-start on Node 18 and 22 (from the npm registry)"
for major in 18 22; do
  npm install --prefix "$work/node$major" --no-audit --no-fund --loglevel=error "node@$major" > /dev/null
  (cd "$project" && sandbox "$work/node$major/node_modules/.bin/node" quickstart.js > "$work/node$major.out")
  echo "  Node $(sandbox "$work/node$major/node_modules/.bin/node" --version): $(tail -1 "$work/node$major.out")"
done

echo "== Node: the loader on a platform without a prebuilt package (simulated)"
unsupported=$(cd "$project" && sandbox node -e "Object.defineProperty(process, 'platform', { value: 'freebsd' }); require('passfort')" 2>&1 || true)
echo "$unsupported" | grep -q 'no native addon for this platform (freebsd-x64)' || { echo "$unsupported" >&2; exit 1; }
echo "$unsupported" | grep -q 'To build from source' || { echo "$unsupported" >&2; exit 1; }
echo "  $(echo "$unsupported" | grep -o 'passfort: no native addon[^;]*')"

echo "== Node: pnpm 10 (from npm) installs the tarballs and the addon loads"
npm install --prefix "$work/pnpm" --no-audit --no-fund --loglevel=error pnpm@10 > /dev/null
pnpm_project="$work/pnpm-project"
mkdir -p "$pnpm_project" && cp target/ts-examples/quickstart.js "$pnpm_project/"
node -e '
  const [dir, version, dist] = process.argv.slice(1)
  const file = (name) => `file:${dist}/${name}-${version}.tgz`
  const manifest = {
    name: "pnpm-probe", private: true,
    dependencies: { passfort: file("passfort") },
    devDependencies: { "passfort-emulator": file("passfort-emulator") },
    pnpm: { overrides: { "passfort-linux-x64-gnu": file("passfort-linux-x64-gnu"), "passfort-emulator-linux-x64-gnu": file("passfort-emulator-linux-x64-gnu") } },
  }
  require("fs").writeFileSync(`${dir}/package.json`, JSON.stringify(manifest, null, 2))
' "$pnpm_project" "$version" "$dist"
start=$(date +%s%N)
(cd "$pnpm_project" && sandbox "$work/pnpm/node_modules/.bin/pnpm" install --store-dir "$work/pnpm-store" --reporter=silent)
took=$(seconds "$start")
(cd "$pnpm_project" && sandbox node -e "const p = require('passfort'); if (typeof p.PassFort !== 'function') process.exit(1)")
(cd "$pnpm_project" && sandbox node quickstart.js > "$work/pnpm.out")
echo "  pnpm install took ${took} s; the addon loads; quick-start: $(tail -1 "$work/pnpm.out")"

echo "== Python: the sdist builds into a working wheel with the network off"
"${pythons[0]#*=}" -m venv "$work/py-sdist"
"$work/py-sdist/bin/python" -m pip install --quiet --disable-pip-version-check "maturin==1.16.0"
# A source build needs Rust and a C toolchain (ring), so the usual PATH; but an empty cargo
# home (no registry cache to fall back on) and the network off: only the vendored crates.
start=$(date +%s%N)
env CARGO_NET_OFFLINE=true CARGO_HOME="$work/empty-cargo-home" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
  PATH="$work/py-sdist/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" \
  "$work/py-sdist/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-index --no-build-isolation --no-deps \
  --wheel-dir "$work/sdist-wheel" "$dist/passfort-$version.tar.gz"
took=$(seconds "$start")
"$work/py-sdist/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$work/sdist-wheel/"*.whl
"$work/py-sdist/bin/python" -c "import passfort; passfort.Client('sk_probe', base_url='http://127.0.0.1:9/4.0')"
echo "  built offline in ${took} s (debug profile, empty CARGO_HOME): $(ls "$work/sdist-wheel")"
