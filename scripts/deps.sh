#!/bin/sh
# Installs what hull needs to build and test, from Debian's packages.
# Fast when everything is already there (dpkg is asked first).
set -eu
PKGS="build-essential pkg-config libjson-c-dev libseccomp-dev libcap-dev libarchive-dev libssl-dev
      libacl1-dev libzstd-dev liblz4-dev libbz2-dev liblzma-dev zlib1g-dev nettle-dev
      libxml2-dev libicu-dev
      busybox-static python3 python3-pytest iproute2 podman conmon uidmap procps
      containerd"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
