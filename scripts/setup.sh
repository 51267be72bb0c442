#!/bin/sh
# The README's first command: installs the dependencies from Debian's
# packages, builds hull, makes a busybox bundle from Debian's
# busybox-static (no network needed) and runs a real container in it.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
make -j"$(nproc)"
./scripts/mkbundle.sh build/bundle >/dev/null
state=$(mktemp -d /tmp/hullrt-setup.XXXXXX)
trap 'rm -rf "$state"' EXIT
# The bundle's default process is "sh"; run a command instead.
sed 's|"args": \[[^]]*\]|"args": ["sh", "-c", "echo hello from a hull container: $(hostname), pid $$"]|' \
	build/bundle/config.json >"$state/config.json"
mkdir "$state/bundle"
cp "$state/config.json" "$state/bundle/config.json"
ln -s "$PWD/build/bundle/rootfs" "$state/bundle/rootfs"
./build/hullrt --root "$state/run" run --bundle "$state/bundle" "setup-$$"
