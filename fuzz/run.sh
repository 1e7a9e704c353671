#!/usr/bin/env bash
# Runs each fuzz target for the given number of seconds (default 600), growing
# the corpus under fuzz/corpus/<target>. Needs cargo-fuzz (`cargo install
# cargo-fuzz`); RUSTC_BOOTSTRAP lets the stable toolchain take its sanitizer flags.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
for target in webhook decode arguments; do
  echo "== fuzzing $target for ${seconds}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1
done
