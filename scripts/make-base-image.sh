#!/usr/bin/env bash
# Builds the local base image `busybox:1.35` from Debian's busybox-static, because no
# registry is reachable from CI: every image Symphony's demo and tests build starts FROM it.
# Usage: scripts/make-base-image.sh [TAG]   (idempotent; needs busybox-static and docker)
set -euo pipefail
tag="${1:-busybox:1.35}"
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag already present"; exit 0
fi
bb="$(command -v busybox || true)"
if [ -z "$bb" ] || ! file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
  [ -x /bin/busybox ] && bb=/bin/busybox
fi
[ -n "$bb" ] || { echo "busybox not found: apt-get install busybox-static" >&2; exit 127; }
root="$(mktemp -d)"; trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,var/run,root,data,www,proc,sys,dev}
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$tag" >/dev/null
echo "built base image $tag from $bb"
