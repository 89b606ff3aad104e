#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# /init of the nfvd guest initramfs (guest/build.sh). Mode from
# /etc/nfv-mode or the kernel command line "nfv.mode=bridge|nfvd".
# Prints "nfv-guest: ready" on the console once the data path runs.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /var /dev/pts
[ -e /var/run ] || ln -s /run /var/run
echo 0 > /proc/sys/kernel/printk_ratelimit 2>/dev/null

mode=$(cat /etc/nfv-mode)
for w in $(cat /proc/cmdline); do
	case $w in
	nfv.mode=*) mode=${w#nfv.mode=} ;;
	esac
done
echo "nfv-guest: mode $mode"
while read -r m; do
	insmod "/lib/modules/$m" || echo "nfv-guest: insmod $m failed"
done < /etc/modules.order

run_bridge() {
	ip link set lo up
	ip link add br0 type bridge 2>/dev/null || brctl addbr br0
	n=0
	for d in /sys/class/net/eth*; do
		[ -e "$d" ] || continue
		i=${d##*/}
		ip link set "$i" up
		ip link set "$i" master br0 2>/dev/null || brctl addif br0 "$i"
		n=$((n + 1))
	done
	# forward at once: no STP listening/learning delay
	brctl setfd br0 0 2>/dev/null
	brctl stp br0 off 2>/dev/null
	ip link set br0 up
	echo "nfv-guest: bridge br0 with $n ports"
	echo "nfv-guest: ready"
}

run_nfvd() {
	mkdir -p /etc/nfvd /run/nfvd
	mkdir -p /dev/hugepages
	mount -t hugetlbfs none /dev/hugepages
	pages=128
	for w in $(cat /proc/cmdline); do
		case $w in nfv.hugepages=*) pages=${w#nfv.hugepages=} ;; esac
	done
	echo "$pages" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	echo "1af4 1000" > /sys/bus/pci/drivers/uio_pci_generic/new_id
	echo "1af4 1041" > /sys/bus/pci/drivers/uio_pci_generic/new_id
	fw=/sys/firmware/qemu_fw_cfg/by_name/opt/nfvd
	if [ ! -r "$fw/chain.yaml/raw" ]; then
		echo "nfv-guest: no chain file (fw_cfg opt/nfvd/chain.yaml)"
		return 1
	fi
	cat "$fw/chain.yaml/raw" > /etc/nfvd/chain.yaml
	args=""  # the chain file nfvctl writes sets the live counters (stats-interval)
	[ -r "$fw/args/raw" ] && args=$(cat "$fw/args/raw")
	echo "nfv-guest: ready"
	while :; do
		# shellcheck disable=SC2086
		nfvd $args /etc/nfvd/chain.yaml
		echo "nfv-guest: nfvd exited ($?), restarting in 1 s"
		sleep 1
	done
}

case $mode in
bridge) run_bridge ;;
nfvd) run_nfvd ;;
*) echo "nfv-guest: unknown mode $mode" ;;
esac
# keep PID 1 alive; a console shell for debugging
while :; do
	setsid cttyhack sh
	sleep 1
done
