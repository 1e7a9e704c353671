#!/usr/bin/env bash
# Builds everything users install into dist/ (release, stripped), with no
# Docker and no system C compiler in the artefacts' way: zig links against
# glibc 2.17.
#
#   passfort-V-cp39-abi3-manylinux_2_17_x86_64.whl            pip install passfort
#   passfort_emulator-V-cp39-abi3-manylinux_2_17_x86_64.whl   pip install 'passfort[testing]'
#   passfort-V.tar.gz                 the sdist, crates vendored: builds offline where no wheel fits
#   passfort-V.tgz, passfort-linux-x64-gnu-V.tgz              npm install passfort
#   passfort-emulator-V.tgz, passfort-emulator-linux-x64-gnu-V.tgz   npm install -D passfort-emulator
#
# Other platforms: .github/workflows/release.yml runs the same steps per target.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/dist"
venv="${PASSFORT_VENV:-.venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/dist-tools.txt
export PATH="$venv/bin:$PATH"

# One version everywhere: Cargo's, the npm manifests' and the exact pins between the packages.
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
for pinned in "passfort-emulator==$version" ; do grep -q "\"$pinned\"" pyproject.toml || { echo "pyproject.toml must pin $pinned" >&2; exit 1; }; done
grep -q "\"passfort==$version\"" emulator-python/pyproject.toml || { echo "emulator-python/pyproject.toml must pin passfort==$version" >&2; exit 1; }
for manifest in package.json emulator-node/package.json; do
  node -e "const m = require('./$manifest'); if (m.version !== '$version') { console.error('$manifest is ' + m.version + ', Cargo.toml $version'); process.exit(1) }"
done

rm -rf "$out" && mkdir -p "$out"
target=x86_64-unknown-linux-gnu

echo "== Python wheels (manylinux_2_17 x86_64, abi3 for CPython 3.9+)"
wheel() { maturin build --release --locked --zig --compatibility manylinux2014 --target "$target" --out "$out" "$@"; }
wheel                                   # pyproject.toml: passfort
wheel -m emulator-python/Cargo.toml     # emulator-python/pyproject.toml: passfort-emulator
for wheel in "$out"/*.whl; do
  shown=$(auditwheel show "$wheel")
  echo "$shown" | grep -q 'manylinux_2_17_x86_64' || { echo "$shown" >&2; echo "auditwheel does not place $wheel in manylinux_2_17" >&2; exit 1; }
  echo "  $(basename "$wheel"): auditwheel: manylinux_2_17_x86_64"
done

echo "== Python sdist, crates vendored (builds with the network off)"
bash scripts/vendored-sdist.sh "$out"

echo "== Node addons (glibc 2.17), then the npm packages"
cargo zigbuild --quiet --release --locked --target "$target.2.17" -p passfort-node -p passfort-emulator-node
built="target/$target/release"
node scripts/npm-packages.js --out "$out" --platform linux-x64-gnu \
  --addon "passfort=$built/libpassfort_node.so" --addon "passfort-emulator=$built/libpassfort_emulator_node.so"

echo "== dist/"
ls -l "$out" | tail -n +2
