/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - "capture": write the packets passing this point of a chain to a
 * pcapng file (Wireshark/tshark read it). Workers copy packets with
 * rte_pcapng_copy into the instance's own pool and enqueue the copies on a
 * per-worker SP/SC ring; the control thread's tick writes them. No file
 * I/O on a worker; the original packet continues untouched.
 * This file: create, tick (writes), destroy. Fast path: capture_dp.c;
 * schema half: builtin_conf.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>

#include "capture.h"

static const char *const cap_counter_names[] = {CAP_COUNTERS(VNF_NAME)};

static void
cap_write(struct cap_state *st)
{
	struct rte_mbuf *pkts[64];

	for (uint16_t r = 0; r < st->n_rings; r++) {
		unsigned int n;

		while ((n = rte_ring_sc_dequeue_burst(st->rings[r], (void **)pkts, RTE_DIM(pkts),
						      NULL)) > 0) {
			if (rte_pcapng_write_packets(st->pcapng, pkts, (uint16_t)n) < 0)
				st->write_errors += n;
			else
				st->written += n;
			rte_pktmbuf_free_bulk(pkts, n);
		}
	}
}

static void
cap_destroy(struct nfv_vnf *vnf)
{
	struct cap_state *st = vnf->priv;

	if (st == NULL)
		return;
	if (st->pcapng != NULL) {
		cap_write(st);
		rte_pcapng_close(st->pcapng);
	}
	for (uint16_t r = 0; r < st->n_rings; r++)
		rte_ring_free(st->rings[r]);
	rte_mempool_free(st->pool);
	free(st);
	vnf->priv = NULL;
}

static int
cap_create(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
	   size_t errlen)
{
	const struct cap_conf *c = conf;
	struct cap_state *st = calloc(1, sizeof(*st));
	char name[RTE_RING_NAMESIZE];
	int fd;

	(void)cfg;
	if (st == NULL)
		return -ENOMEM;
	vnf->priv = st;
	snprintf(name, sizeof(name), "cap_%u", vnf->id);
	st->pool = rte_pktmbuf_pool_create_by_ops(name, CAP_POOL, 256, 0,
						  rte_pcapng_mbuf_size(c->snaplen),
						  (int)rte_socket_id(), "ring_mp_mc");
	if (st->pool == NULL) {
		snprintf(err, errlen, "cannot allocate the capture pool: %s",
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	st->n_rings = nfv_n_workers();
	for (uint16_t r = 0; r < st->n_rings; r++) {
		snprintf(name, sizeof(name), "cap_%u_%u", vnf->id, r);
		st->rings[r] = rte_ring_create(name, CAP_RING, (int)rte_socket_id(),
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (st->rings[r] == NULL) {
			snprintf(err, errlen, "cannot create the capture ring: %s",
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	st->base_tsc = rte_get_tsc_cycles();
	st->base_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	st->ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();
	/* never through a symlink, never into something that is not a
	 * regular file (a device, a FIFO): truncated only once checked */
	fd = open(c->file, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot write %s: %s", c->file,
			 e == ELOOP ? "it is a symbolic link (refused: write to its target)"
				    : strerror(e));
		return -e;
	}
	struct stat sb;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		snprintf(err, errlen, "cannot write %s: not a regular file", c->file);
		return -EINVAL;
	}
	if (ftruncate(fd, 0) != 0 || fcntl(fd, F_SETFL, 0) != 0) {
		int e = errno;

		close(fd);
		snprintf(err, errlen, "cannot write %s: %s", c->file, strerror(e));
		return -e;
	}
	st->pcapng = rte_pcapng_fdopen(fd, NULL, NULL, "nfvd " NFV_VERSION, vnf->name);
	if (st->pcapng == NULL) {
		close(fd);
		snprintf(err, errlen, "cannot start pcapng file %s", c->file);
		return -EIO;
	}
	return 0;
}

static void
cap_tick(struct nfv_vnf *vnf, uint64_t now_ms)
{
	(void)now_ms;
	cap_write(vnf->priv);
}

static void
cap_stats(struct nfv_vnf *vnf, json_t *out)
{
	const struct cap_state *st = vnf->priv;
	const struct cap_conf *c = vnf->conf;

	json_object_set_new(out, "file", json_string(c->file));
	json_object_set_new(out, "written", json_integer(st->written));
	json_object_set_new(out, "write_errors", json_integer(st->write_errors));
}

static struct vnf_class cap_class = {
	.schema = &cap_schema,
	.create = cap_create,
	.destroy = cap_destroy,
	.process = cap_process,
	.no_meta = 1,
	.tick = cap_tick,
	.stats = cap_stats,
	.counter_names = cap_counter_names,
	.n_counters = CAP_CTR_MAX,
};
VNF_CLASS_REGISTER(cap_class)
