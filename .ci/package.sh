#!/usr/bin/env bash
# The crate as published: `cargo package`, then build and test the unpacked tarball on its own,
# offline (the registry cache from the earlier steps is all it may use). Catches a file the
# build needs that `include` leaves out.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo package --no-verify --allow-dirty --quiet
crate=$(ls -t target/package/huaweicloud-openapi-*.crate | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$crate" -C "$work"
unpacked=$(ls -d "$work"/huaweicloud-openapi-*/)
echo "packaged $(tar -tzf "$crate" | wc -l) files: $crate"
# Its own target directory (the package's path differs from the checkout's anyway), built with
# the defaults a user gets and documented and doc-tested with every feature, as docs.rs does.
export CARGO_TARGET_DIR="$PWD/target/package-check"
(cd "$unpacked" && cargo build --offline --locked)
(cd "$unpacked" && cargo test --offline --locked --all-features --doc)
(cd "$unpacked" && RUSTDOCFLAGS="-D warnings" cargo doc --offline --locked --no-deps --all-features --quiet)
