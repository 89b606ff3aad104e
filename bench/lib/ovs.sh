# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the bench scripts: Open vSwitch with DPDK (Debian
# openvswitch-switch-dpdk) in a private run directory $W/ovs, with its own
# database, one PMD thread on CPU 1 and its main thread on CPU 0 (the same
# split as nfvd -l 0,1 and testpmd -l 0,1), bridge br0 of datapath netdev.
#
#   ovs_start            database + ovsdb-server + ovs-vswitchd, bridge br0
#   vsctl ARGS...        ovs-vsctl on that database
#   ovs CMD ARGS...      any OVS tool with the run directory set
#   ovs_tx_pkts OFPORT   tx packet counter of an OpenFlow port of br0
#   ovs_stop             both daemons exit, run directory removed (idempotent)
# Needs W (work dir) and TAG (DPDK file-prefix stem) set by the caller.
OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk

ovs() { OVS_RUNDIR=$W/ovs OVS_LOGDIR=$W/ovs OVS_DBDIR=$W/ovs "$@"; }
vsctl() { ovs ovs-vsctl --db=unix:"$W/ovs/db.sock" "$@"; }

ovs_start() {
	local d=$W/ovs
	mkdir -p "$d"
	ovs ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
	ovs ovsdb-server --remote=punix:"$d/db.sock" --unixctl="$d/ovsdb-server.ctl" \
		--pidfile="$d/ovsdb-server.pid" --detach --log-file="$d/ovsdb-server.log" \
		"$d/conf.db"
	vsctl --no-wait init
	vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
		other_config:dpdk-socket-mem=1024 \
		other_config:dpdk-extra="--no-pci --file-prefix ${TAG}ovs"
	ovs "$OVS_VSWITCHD" unix:"$d/db.sock" --unixctl="$d/ovs-vswitchd.ctl" \
		--pidfile="$d/ovs-vswitchd.pid" --detach --log-file="$d/ovs-vswitchd.log" \
		-vconsole:off
	vsctl add-br br0 -- set bridge br0 datapath_type=netdev
}

ovs_tx_pkts() {
	ovs ovs-ofctl dump-ports br0 "$1" | sed -n 's/.*tx pkts=\([0-9]*\).*/\1/p'
}

ovs_stop() {
	if [ -S "$W/ovs/db.sock" ]; then
		ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" exit 2>/dev/null || true
		ovs ovs-appctl -t "$W/ovs/ovsdb-server.ctl" exit 2>/dev/null || true
	fi
	rm -rf "$W/ovs"
}
