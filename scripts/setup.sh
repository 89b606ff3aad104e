#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Prepare a Debian 12 machine for building, testing and benchmarking nfvd.
# Idempotent: run it as often as you like; it says what it did and what was
# already in place.
#   - installs every package in scripts/packages.txt (apt-get update only
#     when something is missing)
#   - reserves 2 MiB hugepages (NFV_HUGEPAGES, default 1024; never fewer
#     than are already reserved) and mounts hugetlbfs at /dev/hugepages
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pkgfile="$here/packages.txt"
want_pages=${NFV_HUGEPAGES:-1024}
hp_dir=/sys/kernel/mm/hugepages/hugepages-2048kB

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo $0)"
[ -r "$pkgfile" ] || die "cannot read $pkgfile"
case "$want_pages" in
''|*[!0-9]*) die "NFV_HUGEPAGES must be a number, got '$want_pages'" ;;
esac

setup_packages() {
	local pkgs missing=() p
	mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$pkgfile" | grep -v '^$')
	for p in "${pkgs[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed'; then
			missing+=("$p")
		fi
	done
	if [ ${#missing[@]} -eq 0 ]; then
		say "packages: all ${#pkgs[@]} installed, nothing to do"
		return 0
	fi
	say "packages: installing ${#missing[@]} missing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture: answer it up front.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	# A fresh machine has no package lists yet: update first; otherwise only
	# when the install fails on stale lists.
	if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
		say "packages: no apt lists yet, running apt-get update"
		apt-get update -q </dev/null || die "apt-get update failed"
	fi
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; then
		say "packages: apt-get install failed, running apt-get update first"
		apt-get update -q </dev/null || die "apt-get update failed"
		apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null ||
			die "apt-get install failed for: ${missing[*]}"
	fi
	say "packages: installed ${missing[*]}"
}

setup_hugepages() {
	local have free
	[ -d "$hp_dir" ] || die "kernel has no 2 MiB hugepage support ($hp_dir missing)"
	have=$(cat "$hp_dir/nr_hugepages")
	if [ "$have" -ge "$want_pages" ]; then
		say "hugepages: $have x 2 MiB reserved (want >= $want_pages), nothing to do"
	else
		echo "$want_pages" >"$hp_dir/nr_hugepages"
		have=$(cat "$hp_dir/nr_hugepages")
		[ "$have" -ge "$want_pages" ] ||
			die "hugepages: asked for $want_pages x 2 MiB, the kernel gave $have (memory fragmented? reboot or free memory)"
		say "hugepages: reserved $have x 2 MiB"
	fi
	free=$(cat "$hp_dir/free_hugepages")
	say "hugepages: $free of $have free"
}

setup_hugetlbfs() {
	if findmnt -n -t hugetlbfs /dev/hugepages >/dev/null 2>&1; then
		say "hugetlbfs: mounted at /dev/hugepages, nothing to do"
		return 0
	fi
	mkdir -p /dev/hugepages
	mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages ||
		die "cannot mount hugetlbfs at /dev/hugepages"
	say "hugetlbfs: mounted at /dev/hugepages"
}

setup_packages
setup_hugepages
setup_hugetlbfs
say "done"
