# SPDX-License-Identifier: BSD-3-Clause
"""nfv-bench: RFC 2544 / ETSI GS NFV-TST 009 benchmarks of nfvd chains and
their peers (testpmd io, Open vSwitch with DPDK), driven through nfv-gen."""
