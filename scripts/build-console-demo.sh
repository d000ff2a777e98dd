#!/usr/bin/env bash
# Builds the demo server with console-subscriber (needs --cfg tokio_unstable) into
# target/console-demo, where tests/integration/console_live.rs looks for it.
set -euo pipefail
cd "$(dirname "$0")/.."
target="$PWD/target/console-demo"
(cd scripts/console-demo && RUSTFLAGS="--cfg tokio_unstable" CARGO_TARGET_DIR="$target" cargo build --release --locked --quiet)
