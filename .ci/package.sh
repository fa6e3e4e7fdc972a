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
# The docs as docs.rs builds them ([package.metadata.docs.rs]: every feature, `--cfg docsrs`, which
# turns on `doc_cfg`). docs.rs uses nightly; stable rustdoc runs the same feature gate when
# RUSTC_BOOTSTRAP allows it, which this check alone does.
(cd "$unpacked" && RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="--cfg docsrs -D warnings" \
  cargo doc --offline --locked --no-deps --all-features --quiet)
# Every feature-gated item carries its badge there: "Available on crate feature X only".
doc="$CARGO_TARGET_DIR/doc/huaweicloud_openapi"
for page_feature in fake/index.html:fake dataarts/index.html:dataarts \
  projectman/index.html:projectman reconcile/fn.apply_permission_set.html:dataarts \
  reconcile/fn.apply_project.html:projectman; do
  page=${page_feature%%:*} feature=${page_feature#*:}
  if ! grep -q "Available on <strong>crate feature <code>$feature</code></strong> only" "$doc/$page"; then
    echo "docs.rs: $page has no badge for feature $feature" >&2
    exit 1
  fi
done
echo "docs.rs badges: present on every feature-gated page checked"
