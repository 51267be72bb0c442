#!/bin/sh
# The README's first command: installs the dependencies from Debian's
# packages, builds hull, makes a busybox bundle from Debian's
# busybox-static (no network needed) and runs a real container in it,
# then imports the same rootfs as the image `busybox` into hull's default
# store (/var/lib/hull) and runs a container of it.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
make -j"$(nproc)"
./scripts/mkbundle.sh build/bundle >/dev/null
# The bundle's default process is an interactive "sh"; run a command.
/usr/bin/python3 - build/bundle/config.json <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["sh", "-c", "echo hello from a hull container: hostname $(hostname), pid $$, uid $(id -u)"]
json.dump(c, open(p, "w"), indent=2)
PY
state=$(mktemp -d /tmp/hullrt-setup.XXXXXX)
trap 'rm -rf "$state"' EXIT
./build/hullrt --root "$state" run --bundle build/bundle "setup-$$"

# The default image for `hull run busybox ...`: the bundle's rootfs as a
# one-layer image (kept if the store already has one).
if ! ./build/hull image inspect busybox >/dev/null 2>&1; then
	tar --numeric-owner -C build/bundle/rootfs -cf - . |
		./build/hull import -c 'CMD ["sh"]' \
			-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - busybox >/dev/null
fi
./build/hull images busybox
# A container of it: overlay rootfs, monitor, json-file log; --rm leaves nothing.
./build/hull run --rm busybox echo hello from hull
