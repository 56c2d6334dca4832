#!/bin/sh
# make demo: the main job end to end (filled in as the ASR stack lands).
set -eu
cd "$(dirname "$0")/.."
echo "demo: not wired yet" >&2
exit 1
