#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build the nfvd guest images from Debian packages only (reproducible: fixed
# file order, fixed mtimes, no host-specific data).
#
#   guest/build.sh [-o OUTDIR] [-k KVER] [-n NFVD_BINARY]
#
# Output (default ${XDG_CACHE_HOME:-$HOME/.cache}/nfvd/guest):
#   vmlinux            uncompressed kernel from linux-image-KVER (fast to
#                      boot under TCG: no in-guest xz decompression)
#   bridge.cpio.gz     variant (b): busybox + virtio_net + bridge; every NIC
#                      joins br0 (stands for a third-party VNF image)
#   nfvd.cpio.gz       variant (a): busybox + uio_pci_generic + DPDK libraries,
#                      PMD folder and nfvd; runs nfvd on the virtio PMD with the
#                      chain file QEMU passes as fw_cfg "opt/nfvd/chain.yaml"
#                      (built only when an nfvd binary is found or given)
#
# Needs: linux-image-amd64, busybox, libdpdk (for variant a), xz-utils.
set -eu

OUT=${XDG_CACHE_HOME:-$HOME/.cache}/nfvd/guest
KVER=
NFVD=
SRCDIR=$(cd "$(dirname "$0")" && pwd)
while getopts o:k:n:h opt; do
	case $opt in
	o) OUT=$OPTARG ;;
	k) KVER=$OPTARG ;;
	n) NFVD=$OPTARG ;;
	*) sed -n '3,20p' "$0"; exit 2 ;;
	esac
done

die() { echo "guest/build.sh: $*" >&2; exit 1; }

if [ -z "$KVER" ]; then
	KVER=$(ls /lib/modules | sort -V | tail -n 1)
fi
MODDIR=/lib/modules/$KVER
VMLINUZ=/boot/vmlinuz-$KVER
[ -d "$MODDIR" ] || die "no $MODDIR: apt-get install linux-image-amd64"
[ -r "$VMLINUZ" ] || die "no $VMLINUZ: apt-get install linux-image-amd64"
command -v busybox >/dev/null || die "busybox not found: apt-get install busybox"
BUSYBOX=$(command -v busybox)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nfvguest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

# ---- kernel: extract the uncompressed vmlinux from the bzImage ----
extract_vmlinux() {
	# magic (printf-able) / decompressor
	for kind in xz gzip zstd; do
		case $kind in
		xz) magic='\3757zXZ\000'; cmd='xz -dc --single-stream' ;;
		gzip) magic='\037\213\010'; cmd='gzip -dc' ;;
		zstd) magic='(\265/\375'; cmd='zstd -dc' ;;
		esac
		command -v "${cmd%% *}" >/dev/null || continue
		pat=$(printf "$magic")
		for off in $(LC_ALL=C grep -obUaF "$pat" "$VMLINUZ" 2>/dev/null | cut -d: -f1 | head -n 4); do
			tail -c +"$((off + 1))" "$VMLINUZ" | $cmd > "$WORK/vmlinux" 2>/dev/null || true
			if [ "$(head -c 4 "$WORK/vmlinux" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; then
				return 0
			fi
		done
	done
	return 1
}
if [ ! -s "$OUT/vmlinux" ] || [ "$VMLINUZ" -nt "$OUT/vmlinux" ]; then
	extract_vmlinux || die "cannot extract vmlinux from $VMLINUZ"
	mv "$WORK/vmlinux" "$OUT/vmlinux"
fi

# ---- modules in dependency order (modules.dep of the host package) ----
# prints module paths, dependencies first, each once
mod_order() {
	seen=" "
	resolve() {
		line=$(grep -E "(^|/)$1\.ko(\.xz)?:" "$MODDIR/modules.dep" | head -n 1)
		[ -n "$line" ] || die "module $1 not in $MODDIR/modules.dep"
		path=${line%%:*}
		deps=${line#*:}
		# modules.dep lists deps nearest first: load them in reverse
		rev=
		for d in $deps; do rev="$d $rev"; done
		for d in $rev; do
			case "$seen" in *" $d "*) continue ;; esac
			seen="$seen$d "
			echo "$d"
		done
		case "$seen" in *" $path "*) return ;; esac
		seen="$seen$path "
		echo "$path"
	}
	for m in "$@"; do resolve "$m"; done
}

# ---- a busybox root; $1 = root dir, rest = modules ----
make_root() {
	root=$1; shift
	# merged /usr like Debian 12: ldd's /lib paths and the PMD folder's
	# /usr/lib symlinks must reach the same files (EAL loads a driver
	# twice, and aborts, when they do not)
	mkdir -p "$root/usr/lib/x86_64-linux-gnu" "$root/usr/lib64"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/proc" "$root/sys" "$root/dev" \
		"$root/tmp" "$root/run" "$root/lib/modules"
	cp "$BUSYBOX" "$root/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	copy_libs "$root" "$BUSYBOX"
	: > "$root/etc/modules.order"
	for p in $(mod_order "$@"); do
		f=$(basename "$p")
		case $f in
		*.xz) xz -dc "$MODDIR/$p" > "$root/lib/modules/${f%.xz}"; f=${f%.xz} ;;
		*) cp "$MODDIR/$p" "$root/lib/modules/$f" ;;
		esac
		echo "$f" >> "$root/etc/modules.order"
	done
	cp "$SRCDIR/init.sh" "$root/init"
	chmod 755 "$root/init"
}

# copy the shared-library closure of the given ELF files into root
copy_libs() {
	root=$1; shift
	for elf in "$@"; do
		ldd "$elf" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
	done | sort -u | while read -r lib; do
		copy_file "$root" "$lib"
	done
}

# copy a file into root keeping its symlink chain (so a library has one
# real file whatever name it is opened by)
copy_file() {
	root=$1
	f=$2
	while [ -L "$f" ]; do
		[ -e "$root$f" ] || [ -L "$root$f" ] || {
			mkdir -p "$(dirname "$root$f")"
			cp -P "$f" "$root$f"
		}
		t=$(readlink "$f")
		case $t in
		/*) f=$t ;;
		*) f=$(dirname "$f")/$t ;;
		esac
	done
	[ -e "$root$f" ] && return 0
	mkdir -p "$(dirname "$root$f")"
	cp "$f" "$root$f"
}

pack() {
	# reproducible cpio: sorted names, fixed mtime, newc, gzip -n; GNU
	# cpio --reproducible also zeroes inode and device numbers
	local cpio="$BUSYBOX cpio -o -H newc"
	if command -v cpio >/dev/null && cpio --help 2>&1 | grep -q -- --reproducible; then
		cpio="cpio -o -H newc --reproducible --quiet"
	fi
	(cd "$1" && find . -exec touch -h -d @0 {} + && find . | LC_ALL=C sort |
		$cpio 2>/dev/null) | gzip -9n > "$2.tmp"
	mv "$2.tmp" "$2"
}

# ---- variant (b): Linux bridge ----
make_root "$WORK/bridge" virtio_pci virtio_net bridge
echo bridge > "$WORK/bridge/etc/nfv-mode"
pack "$WORK/bridge" "$OUT/bridge.cpio.gz"
echo "built $OUT/bridge.cpio.gz"

# ---- variant (a): nfvd on the virtio PMD ----
if [ -z "$NFVD" ]; then
	for c in "$SRCDIR"/../build*/nfvd; do
		[ -x "$c" ] && NFVD=$c && break
	done
fi
if [ -z "$NFVD" ] || [ ! -x "$NFVD" ]; then
	echo "guest/build.sh: no nfvd binary (give -n PATH): skipping nfvd.cpio.gz" >&2
	echo "$OUT"
	exit 0
fi
R=$WORK/nfvd
make_root "$R" uio_pci_generic qemu_fw_cfg
echo nfvd > "$R/etc/nfv-mode"
cp "$NFVD" "$R/bin/nfvd"
PMDDIR=$(pkg-config --variable=pmdsdir libdpdk 2>/dev/null || true)
[ -n "$PMDDIR" ] || PMDDIR=$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* | head -n 1)
[ -d "$PMDDIR" ] || die "no DPDK PMD folder: apt-get install libdpdk-dev"
# Only the drivers a guest needs: EAL loads every .so of the folder and
# fails on one whose dependencies are missing.
mkdir -p "$R$PMDDIR"
for d in bus_pci bus_vdev mempool_ring net_virtio net_ring net_null; do
	for l in "$PMDDIR"/librte_"$d".so*; do
		[ -e "$l" ] || continue
		copy_file "$R" "$l"
		copy_libs "$R" "$(readlink -f "$l")"
	done
done
copy_libs "$R" "$NFVD"
pack "$R" "$OUT/nfvd.cpio.gz"
echo "built $OUT/nfvd.cpio.gz"
echo "$OUT"
