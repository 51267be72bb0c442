#!/bin/sh
# The README's first command: installs the dependencies from Debian's
# packages, builds hull, makes a busybox bundle from Debian's
# busybox-static (no network needed) and runs a real container in it.
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
