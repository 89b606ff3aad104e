/* SPDX-License-Identifier: BSD-3-Clause
 * fpm_micro - nfvd's FPM ingest alone, no socket, no engine: an FPM stream
 * written by bench/fpm_ingest.py --write (zebra 8.4's encoding) fed to
 * the router's reader (rtr_fpm_feed) in 32 KiB reads, as the control
 * thread does, on the tables of bench/fpm_ingest.py's chain (two
 * interfaces, 100 routes); the RCU reclaim after each read as in the
 * poll. Prints the time of the decode alone (rtr_fpm_parse over every
 * frame), of the add stream into the FIB and of the delete stream, in
 * routes per second of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID:
 * on a shared host the thread's waits for a CPU are not counted):
 *
 *   BUILD/bench/fpm_micro ADD_STREAM DEL_STREAM [MAX_ROUTES]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "micro_engine.h"
#include "router_fpm.h"
#include "router_fpm_parse.h"
#include "router_rt.h"

static uint8_t *
micro_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0) {
		fprintf(stderr, "fpm_micro: cannot read %s\n", path);
		exit(1);
	}
	rewind(f);
	b = malloc((size_t)n);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static struct rtr_conf *
micro_conf(struct nfv_config *cfg, unsigned int max_routes)
{
	static char yaml[32768];
	int off = snprintf(yaml, sizeof(yaml),
			   "max-routes: %u\n"
			   "fpm: {listen: '127.0.0.1:1'}\n"
			   "interfaces:\n"
			   "  - {name: in, port: src, addresses: [10.0.0.254/8]}\n"
			   "  - {name: out, port: sink, addresses: [192.168.0.254/24]}\n"
			   "neighbours:\n"
			   "  - {address: 192.168.0.1, mac: '02:00:00:00:00:09'}\n"
			   "  - {address: 192.168.0.2, mac: '02:00:00:00:00:09'}\n"
			   "routes:\n",
			   max_routes);
	struct cfg_errors err = {.file = "micro"};
	struct cfg_node *root = NULL;
	void *conf = NULL;

	for (int p = 0; p < 100; p++)
		off += snprintf(yaml + off, sizeof(yaml) - off,
				"  - {prefix: 172.16.%d.0/24, via: 192.168.0.1}\n", p);
	if (cfg_load_string("micro", yaml, strlen(yaml), &root, &err) < 0 ||
	    rtr_config_parse(cfg, root, &conf, &err) < 0) {
		cfg_errors_print(&err, stderr);
		exit(1);
	}
	cfg_free(root);
	return conf;
}

static double
micro_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* feed buf in 32 KiB reads as the poll does; CPU seconds */
static double
micro_feed(struct rtr_state *st, const uint8_t *buf, size_t len)
{
	static uint8_t rd[256 * 1024];
	size_t have = 0, off = 0;
	double t0 = micro_cpu();

	while (off < len || have > 0) {
		size_t n = RTE_MIN(len - off, (size_t)32 * 1024);
		long used;

		memcpy(rd + have, buf + off, n);
		have += n;
		off += n;
		used = rtr_fpm_feed(st, rd, have);
		if (used < 0) {
			fprintf(stderr, "fpm_micro: bad frame in the stream\n");
			exit(1);
		}
		memmove(rd, rd + used, have - (size_t)used);
		have -= (size_t)used;
		rtr_tables_reclaim(st->tables);
		if (n == 0 && used == 0)
			break;
	}
	return micro_cpu() - t0;
}

int
main(int argc, char **argv)
{
	static struct nfv_config cfg = {.n_ports = 2};
	uint16_t ports[2] = {0, 1};
	struct rte_ether_addr macs[2] = {{{2, 0, 0, 0, 0, 2}}, {{2, 0, 0, 0, 0, 8}}};
	unsigned int max_routes = argc > 3 ? (unsigned int)atoi(argv[3]) : 1100000;
	uint32_t r0, frames = 0, routes;
	struct rtr_conf *conf;
	struct rtr_fpm_msg m;
	struct rtr_state *st;
	size_t alen, dlen, off = 0;
	uint8_t *add, *del;
	double t_parse, t_add, t_del;
	double t0;
	char e[256] = "";

	if (argc < 3) {
		fprintf(stderr, "usage: fpm_micro ADD_STREAM DEL_STREAM [MAX_ROUTES]\n");
		return 2;
	}
	add = micro_read(argv[1], &alen);
	del = micro_read(argv[2], &dlen);
	if (micro_engine_init("fpm_micro", 3072, 1024) < 0)
		return 1;
	st = rte_zmalloc(NULL, sizeof(*st), 64);
	if (st == NULL)
		return 1;
	snprintf(cfg.ports[0].name, NFV_NAME_MAX, "src");
	snprintf(cfg.ports[1].name, NFV_NAME_MAX, "sink");
	snprintf(cfg.dir, sizeof(cfg.dir), ".");
	conf = micro_conf(&cfg, max_routes);
	snprintf(conf->fpm_listen, sizeof(conf->fpm_listen), "127.0.0.1:0");
	snprintf(st->name, sizeof(st->name), "micro");
	st->pool = nfv_fake.pool;
	rtr_state_init(st, conf, rte_get_tsc_hz());
	st->tables = rtr_tables_build(st, conf, ports, macs, e, sizeof(e));
	if (st->tables == NULL || rtr_fpm_open(st, conf, e, sizeof(e)) != 0) {
		fprintf(stderr, "fpm_micro: %s\n", e);
		return 1;
	}
	/* decode alone */
	t0 = micro_cpu();
	while (off < alen) {
		bool nl;
		int fl = rtr_fpm_frame(add + off, alen - off, &nl);

		if (fl <= 0)
			break;
		frames += rtr_fpm_parse(add + off + 4, (size_t)fl - 4, &m) == 0;
		off += (size_t)fl;
	}
	t_parse = micro_cpu() - t0;
	r0 = st->tables->n_routes4;
	t_add = micro_feed(st, add, alen);
	routes = st->tables->n_routes4 - r0;
	t_del = micro_feed(st, del, dlen);
	printf("fpm_micro: %u frames decoded in %.3f s (%.0f frames/s)\n", frames, t_parse,
	       frames / t_parse);
	printf("fpm_micro: %u routes into the FIB in %.3f s: %.0f routes/s\n", routes, t_add,
	       routes / t_add);
	printf("fpm_micro: deleted in %.3f s: %.0f routes/s (%u left of %u)\n", t_del,
	       routes / t_del, st->tables->n_routes4 - r0, routes);
	rtr_fpm_close(st);
	return 0;
}
