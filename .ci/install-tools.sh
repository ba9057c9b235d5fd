#!/usr/bin/env bash
# Installs the programs the interop tests drive, as users would: nc and socat (the echo
# examples), curl, wget and Debian's chromium (the HTTP examples, headless), wrk (the
# benchmark's HTTP rows), tmux (the terminal the `--tui` clients are tested in), openssl
# (TLS interop), haproxy and nginx (the load-balancer tests), and ip (network namespaces).
# Non-interactive and idempotent. When something cannot be installed it says so and exits
# 0: on a developer's machine the tests that need it then print "SKIPPED: ..."; on CI
# (`CI` set) they fail, so a missing tool is never a silent pass.
set -u

declare -A package_of=([nc]=netcat-openbsd [socat]=socat [curl]=curl [wget]=wget [chromium]=chromium [wrk]=wrk [tmux]=tmux [openssl]=openssl [haproxy]=haproxy [nginx]=nginx [ip]=iproute2)
# haproxy, nginx and ip live in sbin.
export PATH="$PATH:/usr/sbin:/sbin"
missing=()
for program in "${!package_of[@]}"; do
    command -v "$program" >/dev/null 2>&1 || missing+=("${package_of[$program]}")
done
# Debian's nginx loads its stream proxy (the PROXY protocol tests) as a module of its own.
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || missing+=(libnginx-mod-stream)
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-tools: all present"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo -n)
    else
        echo "install-tools: WARNING: not root and no sudo; cannot install ${missing[*]}" >&2
        exit 0
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-tools: WARNING: no apt-get; cannot install ${missing[*]}" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-tools: installing ${missing[*]}"
if "${sudo[@]}" apt-get update -qq \
    && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; then
    echo "install-tools: installed ${missing[*]}"
else
    echo "install-tools: WARNING: installing ${missing[*]} failed; tests needing them will skip" >&2
fi
exit 0
