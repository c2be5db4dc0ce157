#!/bin/sh
# Debian's busybox nc has no -z; the images' nc (alpine busybox, netcat) do. `nc -z HOST PORT`
# here connects and closes, like theirs; anything else goes to busybox nc unchanged.
if [ "${1:-}" = "-z" ]; then
  shift
  exec busybox nc -w 2 "$@" </dev/null
fi
exec busybox nc "$@"
