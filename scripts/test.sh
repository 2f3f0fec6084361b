#!/usr/bin/env bash
# The project's test command (README.md): the whole workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
