#!/usr/bin/env bash
# What a downstream user compiles: a fresh project whose only dependency is this crate (by path),
# making one ProjectMan call, built in release from an empty target directory (the registry
# already downloaded, so only compiling is timed), side by side in one run:
#   - the defaults when issue 19 was filed (commit $BASELINE, 74faf6a unless set), the baseline;
#   - today's defaults;
#   - projectman only (rustls with aws-lc-rs);
#   - projectman only with rustls-ring;
#   - projectman only with native-tls (links the system's OpenSSL: needs libssl-dev).
# Prints wall time, crates compiled and binary size, and each ratio to both defaults.
#
#   bash bench/build_cost.sh            (about 7 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
crate_dir=$PWD
baseline=${BASELINE:-74faf6a}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The crate as it was at the baseline commit, unpacked beside the runs.
mkdir -p "$work/crate-$baseline"
git archive "$baseline" | tar -x -C "$work/crate-$baseline"

make_project() { # name, dependency line, crate directory whose lock file to use
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
  # The lock file of the crate built, so every set resolves the versions it was tested with.
  cp "$3/Cargo.lock" "$dir/Cargo.lock"
  echo "$dir"
}

runs=(
  "before-$baseline|huaweicloud-openapi = { path = \"$work/crate-$baseline\" }|$work/crate-$baseline"
  "defaults|huaweicloud-openapi = { path = \"$crate_dir\" }|$crate_dir"
  "projectman|huaweicloud-openapi = { path = \"$crate_dir\", default-features = false, features = [\"projectman\", \"rustls\"] }|$crate_dir"
  "projectman-ring|huaweicloud-openapi = { path = \"$crate_dir\", default-features = false, features = [\"projectman\", \"rustls-ring\"] }|$crate_dir"
  "projectman-native|huaweicloud-openapi = { path = \"$crate_dir\", default-features = false, features = [\"projectman\", \"native-tls\"] }|$crate_dir"
)

# Download everything first, so that the timed builds only compile.
for run in "${runs[@]}"; do
  IFS='|' read -r name dependency lock_from <<<"$run"
  dir=$(make_project "$name" "$dependency" "$lock_from")
  (cd "$dir" && cargo fetch --quiet)
done

printf '%-22s %8s %7s %10s %10s %10s\n' "features" "wall s" "crates" "binary MB" "x before" "x default"
before=""
today=""
for run in "${runs[@]}"; do
  IFS='|' read -r name _ _ <<<"$run"
  dir="$work/$name"
  start=$(date +%s.%N)
  crates=$(cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build --release --offline 2>&1 |
    grep -c '^ *Compiling ' || true)
  end=$(date +%s.%N)
  wall=$(python3 -c "print(f'{$end - $start:.1f}')")
  size=$(python3 -c "import os; print(f'{os.path.getsize(\"$dir/target/release/downstream-$name\") / 1e6:.1f}')")
  before=${before:-$wall}
  [ "$name" = defaults ] && today=$wall
  x_before=$(python3 -c "print(f'{$wall / $before:.2f}')")
  x_today=$([ -n "$today" ] && python3 -c "print(f'{$wall / $today:.2f}')" || echo "-")
  printf '%-22s %8s %7s %10s %10s %10s\n' "$name" "$wall" "$crates" "$size" "$x_before" "$x_today"
done
