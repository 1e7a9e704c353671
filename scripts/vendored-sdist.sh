#!/usr/bin/env bash
# Writes OUT/passfort-V.tar.gz: maturin's sdist with every crate it needs
# vendored and cargo pointed at them, so that `pip install passfort-V.tar.gz`
# builds with the network off (CARGO_NET_OFFLINE=true) where no wheel fits.
# Needs maturin on PATH (scripts/dist.sh puts it there).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

maturin sdist --out "$work" 2>&1 | grep -v "^⚠️\|^  = note\|^\s*$" || true
sdist=$(ls "$work"/passfort-*.tar.gz)
tar -xzf "$sdist" -C "$work"
tree="$work/$(basename "$sdist" .tar.gz)"

# The sdist's own workspace (maturin keeps only what the package needs).
manifest="$tree/Cargo.toml"
[ -f "$manifest" ] || manifest="$tree/bindings-python/Cargo.toml"
mkdir -p "$tree/.cargo"
cargo vendor --quiet --versioned-dirs --manifest-path "$manifest" "$tree/vendor" > /dev/null
# Found by cargo from the folder pip builds in (the unpacked sdist).
cat > "$tree/.cargo/config.toml" <<'TOML'
[source.crates-io]
replace-with = "vendored-sources"

[source.vendored-sources]
directory = "vendor"

[net]
offline = true
TOML

tar -czf "$out/$(basename "$sdist")" -C "$work" "$(basename "$tree")"
echo "  $(basename "$sdist"): $(du -h "$out/$(basename "$sdist")" | cut -f1), $(ls "$tree/vendor" | wc -l) crates vendored"
