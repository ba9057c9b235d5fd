#!/bin/sh
# Starts N instances of a server example behind a balancer, on 127.0.0.1:BASE+1..BASE+N
# (BASE 2500), each with --proxy-protocol, and stops them all on Ctrl-C.
#
#   deploy/instances.sh echo_server 3 [BASE] [-- more flags for every instance]
set -eu
example=${1:?usage: instances.sh EXAMPLE N [BASE] [-- FLAGS]}
count=${2:?usage: instances.sh EXAMPLE N [BASE] [-- FLAGS]}
shift 2
base=2500
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
    base=$1
    shift
fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then
    shift
fi
cd "$(dirname "$0")/.."
cargo build --release --example "$example"
pids=
trap 'kill $pids 2>/dev/null; wait' INT TERM EXIT
i=1
while [ "$i" -le "$count" ]; do
    target/release/examples/"$example" -p $((base + i)) --proxy-protocol "$@" &
    pids="$pids $!"
    i=$((i + 1))
done
wait
