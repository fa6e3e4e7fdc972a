#!/usr/bin/env bash
# What a downstream user compiles: a fresh project whose only dependency is this crate (by path),
# making one ProjectMan call, built in release from an empty target directory (the registry
# already downloaded, so only compiling is timed), for three feature sets side by side in one
# run: today's defaults; projectman only; projectman only with rustls-ring. Prints wall time,
# crates compiled and binary size, and each ratio to the defaults.
#
#   bash bench/build_cost.sh            (about 6 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
crate_dir=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_project() { # name, dependency line
  local dir="$work/$1"
  mkdir -p "$dir/src"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "downstream-$1"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
$2
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
EOF
  cat >"$dir/src/main.rs" <<'EOF'
use huaweicloud_openapi::{Execute, ProjectManClient};

#[tokio::main]
async fn main() -> Result<(), huaweicloud_openapi::Error> {
    let client = ProjectManClient::builder().region("cn-north-4").build()?;
    let me = client.show_cur_user_info().execute().await?;
    println!("{:?}", me.into_inner().user_id);
    Ok(())
}
EOF
  # The lock file of this crate, so every set resolves the same versions.
  cp "$crate_dir/Cargo.lock" "$dir/Cargo.lock"
  echo "$dir"
}

runs=(
  "defaults|huaweicloud-openapi = { path = \"$crate_dir\" }"
  "projectman|huaweicloud-openapi = { path = \"$crate_dir\", default-features = false, features = [\"projectman\", \"rustls\"] }"
  "projectman-ring|huaweicloud-openapi = { path = \"$crate_dir\", default-features = false, features = [\"projectman\", \"rustls-ring\"] }"
)

# Download everything first, so that the timed builds only compile.
for run in "${runs[@]}"; do
  dir=$(make_project "${run%%|*}" "${run#*|}")
  (cd "$dir" && cargo fetch --quiet)
done

printf '%-16s %9s %8s %10s %9s\n' "features" "wall s" "crates" "binary MB" "x default"
base=""
for run in "${runs[@]}"; do
  name=${run%%|*}
  dir="$work/$name"
  start=$(date +%s.%N)
  crates=$(cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --release --offline 2>&1 |
    grep -c '^ *Compiling ' || true)
  end=$(date +%s.%N)
  wall=$(python3 -c "print(f'{$end - $start:.1f}')")
  size=$(python3 -c "import os; print(f'{os.path.getsize(\"$dir/target/release/downstream-$name\") / 1e6:.1f}')")
  base=${base:-$wall}
  ratio=$(python3 -c "print(f'{$wall / $base:.2f}')")
  printf '%-16s %9s %8s %10s %9s\n' "$name" "$wall" "$crates" "$size" "$ratio"
done
