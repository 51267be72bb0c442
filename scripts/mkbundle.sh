#!/bin/sh
# mkbundle.sh DIR - makes an OCI bundle in DIR from Debian's busybox-static:
#
#   DIR/rootfs       /bin/busybox plus a symlink per applet in /bin, the
#                    empty mount points /proc /sys /dev /tmp /etc /root,
#                    /etc/passwd (root, nobody 65534) and /etc/group
#   DIR/config.json  the default spec as `runc spec` writes it, except
#                    process.terminal false; args ["sh"]
#
# Needs no network and no runc.  Idempotent: running it again on the same
# DIR gives the same bundle (config.json is rewritten to the default).
# BUSYBOX=/path/to/static/busybox overrides /bin/busybox.
set -eu

usage() { echo "usage: $0 DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
case "$1" in -h|--help) echo "usage: $0 DIR"; exit 0 ;; esac

DIR=$1
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || { echo "$0: $BUSYBOX: not found (apt-get install busybox-static)" >&2; exit 1; }
# A dynamic busybox would need its libraries inside the rootfs.
if command -v file >/dev/null 2>&1 && ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
	echo "$0: $BUSYBOX is not statically linked (install busybox-static)" >&2
	exit 1
fi

R=$DIR/rootfs
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/etc" "$R/root"
chmod 1777 "$R/tmp"
chmod 700 "$R/root"

if ! cmp -s "$BUSYBOX" "$R/bin/busybox" 2>/dev/null; then
	rm -f "$R/bin/busybox"
	cp "$BUSYBOX" "$R/bin/busybox"
	chmod 755 "$R/bin/busybox"
fi

# One relative symlink per applet in /bin ("busybox --install -s" would
# make absolute ones and needs a chroot).  Existing entries are kept.
(
	cd "$R/bin"
	for a in $(./busybox --list); do
		[ -e "$a" ] || [ -L "$a" ] || ln -s busybox "$a"
	done
)

cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
chmod 644 "$R/etc/passwd" "$R/etc/group"

# `runc spec` (runc 1.1), with terminal false.
cat >"$DIR/config.json.tmp" <<'EOF'
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"ambient": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620",
				"gid=5"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "network"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
}
EOF
mv -f "$DIR/config.json.tmp" "$DIR/config.json"
echo "$DIR"
