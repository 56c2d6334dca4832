#!/bin/sh
# make corpus / make models: put the data tale reads under data/.
# For each file in scripts/data_sources.tsv whose path starts with the group
# (corpus: corpus/ and audio/; models: models/):
#   1. ../shared/<path> present  -> verify sha256, symlink data/<path> to it;
#   2. data/<path> already valid -> keep;
#   3. otherwise download the upstream URL with curl into a temporary file,
#      verify sha256, rename into place.
# Derived files without a single upstream URL ('-') are reported, not faked.
# ../shared/testvectors (no upstream) is linked as data/testvectors when present.
set -u
GROUP=${1:?usage: fetch_data.sh corpus|models}
# FETCH_LENIENT=1 (used by make test/demo): a failed download is a warning, and
# tests that need the file skip; make corpus/models alone fail on it.
LENIENT=${FETCH_LENIENT:-0}
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
SHARED=${TALE_SHARED_DIR:-$ROOT/../shared}
[ -d "$SHARED" ] && SHARED=$(cd "$SHARED" && pwd)
mkdir -p data
fail=0
n_link=0; n_keep=0; n_get=0; n_missing=0; n_failed=0; n_offline=0; n_derived=0; first_derived=""
dead_hosts=""; first_err=""
errf=$(mktemp); trap 'rm -f "$errf"' EXIT

while IFS="$(printf '\t')" read -r path sum url; do
    case "$path" in '#'*|'') continue ;; esac
    case "$GROUP" in
        corpus) case "$path" in corpus/*|audio/*) ;; *) continue ;; esac ;;
        models) case "$path" in models/*) ;; *) continue ;; esac ;;
        *) echo "fetch_data: unknown group $GROUP" >&2; exit 2 ;;
    esac
    dest="data/$path"
    mkdir -p "$(dirname "$dest")"
    if [ -f "$SHARED/$path" ]; then
        got=$(sha256sum "$SHARED/$path" | cut -d' ' -f1)
        if [ "$got" != "$sum" ]; then
            echo "fetch_data: $SHARED/$path: sha256 mismatch (expected $sum, got $got)" >&2
            fail=1; continue
        fi
        if [ "$(readlink "$dest" 2>/dev/null)" != "$SHARED/$path" ]; then
            rm -f "$dest" && ln -s "$SHARED/$path" "$dest"
        fi
        n_link=$((n_link + 1)); continue
    fi
    if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$sum" ]; then
        n_keep=$((n_keep + 1)); continue
    fi
    if [ "$url" = "-" ]; then
        n_derived=$((n_derived + 1)); [ -n "$first_derived" ] || first_derived=$path
        n_missing=$((n_missing + 1)); continue
    fi
    if [ "${FETCH_OFFLINE:-0}" = 1 ]; then   # make check: no network
        n_offline=$((n_offline + 1)); n_missing=$((n_missing + 1)); continue
    fi
    tmp="$dest.tmp.$$"
    host=$(printf '%s\n' "$url" | sed -n 's|^[a-z]*://\([^/]*\).*|\1|p')
    # a host that failed once (offline, no DNS) is not tried again in this run
    case " $dead_hosts " in
        *" $host "*)
            [ "$LENIENT" = 1 ] || fail=1; n_missing=$((n_missing + 1)); n_failed=$((n_failed + 1))
            continue ;;
    esac
    if ! curl -fsSL --connect-timeout 15 --retry 2 -o "$tmp" "$url" 2>"$errf"; then
        n_failed=$((n_failed + 1))
        [ -n "$first_err" ] || first_err="$path from $url: $(head -n 1 "$errf")"
        dead_hosts="$dead_hosts $host"
        rm -f "$tmp"; [ "$LENIENT" = 1 ] || fail=1; n_missing=$((n_missing + 1)); continue
    fi
    got=$(sha256sum "$tmp" | cut -d' ' -f1)
    if [ "$got" != "$sum" ]; then
        echo "fetch_data: $path: sha256 mismatch after download from $url (expected $sum, got $got)" >&2
        rm -f "$tmp"; fail=1; continue
    fi
    mv "$tmp" "$dest"; n_get=$((n_get + 1))
done < scripts/data_sources.tsv

if [ "$GROUP" = models ] && [ -d "$SHARED/testvectors" ]; then
    [ -L data/testvectors ] || ln -s "$SHARED/testvectors" data/testvectors
fi
if [ "$n_offline" -gt 0 ]; then
    echo "fetch_data: $n_offline $GROUP files not in ../shared and not downloaded (offline: make check); the tests that need them skip" >&2
fi
if [ "$n_derived" -gt 0 ]; then
    echo "fetch_data: $n_derived $GROUP files (e.g. $first_derived) are derived data with no single upstream file and no ../shared mirror: see docs/DATA.md" >&2
fi
if [ "$n_failed" -gt 0 ]; then
    echo "fetch_data: $n_failed $GROUP files could not be downloaded (hosts: $dead_hosts); first error: $first_err" >&2
    [ "$LENIENT" = 1 ] && echo "fetch_data: the tests that need them skip and say so" >&2
fi
echo "make $GROUP: $n_link linked from ../shared, $n_keep already present, $n_get downloaded, $n_missing unavailable" >&2
exit $fail
