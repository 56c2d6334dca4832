#!/bin/sh
# Install the Debian packages tale needs, when any is missing.
# As root: apt-get.  Otherwise: sudo -n.  Otherwise: print the exact line and fail.
set -eu
PKGS="build-essential pkg-config libfftw3-dev libsndfile1-dev libsamplerate0-dev
libopenblas-dev libicu-dev portaudio19-dev libcmocka-dev libstemmer-dev clang libclang-rt-14-dev
libcurl4-openssl-dev libssl-dev zlib1g-dev espeak-ng sox libsox-fmt-all curl gnuplot-nox ca-certificates
hunspell-da wdanish locales slurm-wlm munge time libwebsockets-dev chromium"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

# A Danish locale (decimal comma) for the tests that check output is
# locale-independent; generated only as root, the tests skip without it.
danish_locale() {
    locale -a 2>/dev/null | grep -qi '^da_DK\.utf-\?8$' && return 0
    [ "$(id -u)" = 0 ] && [ -f /etc/locale.gen ] || return 0
    sed -i 's/^# *\(da_DK\.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    grep -q '^da_DK.UTF-8 UTF-8' /etc/locale.gen || echo 'da_DK.UTF-8 UTF-8' >>/etc/locale.gen
    locale-gen >/dev/null 2>&1 || echo "deps: locale-gen da_DK.UTF-8 failed (tests needing it skip)" >&2
}

if [ -z "$missing" ]; then
    danish_locale
    exit 0
fi

echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n apt-get update -qq && sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "deps: missing Debian packages and no root or passwordless sudo. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
danish_locale
