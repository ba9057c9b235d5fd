#!/usr/bin/env bash
# Installs what the HTTP interop tests drive: Debian's chromium (headless screenshots of
# the MJPEG example) and curl. Non-interactive and idempotent: does nothing when both
# are already there. When they cannot be installed it says so and exits 0; the tests
# that need them then print "SKIPPED: ..." instead of passing silently.
set -u

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-browser: chromium and curl already installed"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo -n)
    else
        echo "install-browser: WARNING: not root and no sudo; cannot install ${missing[*]}" >&2
        exit 0
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: WARNING: no apt-get; cannot install ${missing[*]}" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-browser: installing ${missing[*]}"
if "${sudo[@]}" apt-get update -qq \
    && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; then
    echo "install-browser: installed ${missing[*]}"
else
    echo "install-browser: WARNING: installing ${missing[*]} failed; browser tests will skip" >&2
fi
exit 0
