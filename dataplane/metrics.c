/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - Prometheus text endpoint (exposition format 0.0.4).
 *
 * `nfvd: {metrics: "127.0.0.1:9464"}` (or --metrics) makes the control
 * thread answer `GET /metrics` over HTTP/1.x on that address with every
 * counter of `nfvctl stats`: ports, chains, VNF counters and drop reasons
 * by label, VNF statistics, engine drops, workers. Driven by
 * nfv_metrics_poll() from the main loop like the control socket: one
 * poll() with a zero timeout, non-blocking accept/recv/send, one request
 * per connection, closed after the answer. The text is rendered from
 * nfv_engine_stats(), so the endpoint and nfvctl never disagree.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "engine.h"
#include "metrics.h"

#define MX_MAX_CLIENTS 8
#define MX_REQ_MAX 8192
#define MX_IDLE_MS 5000 /* a client has this long from connect to its answer */
#define MX_EVICT_MS 1000 /* every slot busy: a client still sending its request after this goes */
#define MX_MAX_FAMILIES 64

struct mx_conn {
	int fd; /* -1: free */
	uint64_t since_ms;
	size_t req_len;
	char req[MX_REQ_MAX];
	char *out; /* answer being sent (malloc) */
	size_t out_len, out_off;
};

struct mx_family {
	char name[96];
	const char *type; /* counter, gauge */
	const char *help;
	char *text; /* sample lines (memstream) */
	size_t len;
	FILE *f;
};

struct mx_main {
	int lfd; /* -1: no endpoint */
	struct mx_conn conn[MX_MAX_CLIENTS];
	struct mx_family fam[MX_MAX_FAMILIES];
	unsigned int n_fam;
};

static struct mx_main mx_main = {.lfd = -1};

/* ---- rendering ---- */

static struct mx_family *
mx_family(struct mx_main *m, const char *name, const char *type, const char *help)
{
	for (unsigned int i = 0; i < m->n_fam; i++)
		if (strcmp(m->fam[i].name, name) == 0)
			return &m->fam[i];
	if (m->n_fam == MX_MAX_FAMILIES)
		return NULL;
	struct mx_family *f = &m->fam[m->n_fam];

	snprintf(f->name, sizeof(f->name), "%s", name);
	f->type = type;
	f->help = help;
	f->text = NULL;
	f->len = 0;
	f->f = open_memstream(&f->text, &f->len);
	if (f->f == NULL)
		return NULL;
	m->n_fam++;
	return f;
}

/* a label value: backslash, double quote and newline escaped */
static void
mx_label(FILE *f, const char *key, const char *v, bool comma)
{
	fprintf(f, "%s%s=\"", comma ? "," : "", key);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

/* a metric name part: [a-zA-Z0-9_], anything else becomes '_' */
static void
mx_name_part(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; *src && i + 1 < size; src++, i++)
		dst[i] = ((*src >= 'a' && *src <= 'z') || (*src >= 'A' && *src <= 'Z') ||
			  (*src >= '0' && *src <= '9'))
				 ? *src
				 : '_';
	dst[i] = '\0';
}

/* counters are exact as doubles up to 2^53 (90 days at 1 Gpps) */
static bool
mx_number(const json_t *v, double *d)
{
	if (json_is_integer(v)) {
		*d = (double)json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		*d = json_real_value(v);
		return true;
	}
	return false;
}

/* one sample: family{l1="v1"[,l2="v2"[,l3="v3"]]} value */
static void
mx_sample(struct mx_main *m, const char *fam, const char *type, const char *help, double v,
	  const char *k1, const char *v1, const char *k2, const char *v2, const char *k3,
	  const char *v3)
{
	struct mx_family *f = mx_family(m, fam, type, help);

	if (f == NULL)
		return;
	fputs(fam, f->f);
	if (k1 != NULL) {
		fputc('{', f->f);
		mx_label(f->f, k1, v1, false);
		if (k2 != NULL)
			mx_label(f->f, k2, v2, true);
		if (k3 != NULL)
			mx_label(f->f, k3, v3, true);
		fputc('}', f->f);
	}
	if (v == (double)(long long)v && v < 9e18 && v > -9e18)
		fprintf(f->f, " %lld\n", (long long)v);
	else
		fprintf(f->f, " %.15g\n", v);
}

/* numbers of a VNF's statistics object, nested names joined with '.' */
static void
mx_vnf_stats(struct mx_main *m, const char *vnf, const char *cls, const char *prefix, json_t *o)
{
	const char *k;
	json_t *v;
	double d;

	json_object_foreach(o, k, v)
	{
		char name[128];

		if (prefix[0] == '\0' && (strcmp(k, "counters") == 0 || strcmp(k, "drops") == 0 ||
					  strcmp(k, "class") == 0))
			continue;
		snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", k);
		if (json_is_object(v))
			mx_vnf_stats(m, vnf, cls, name, v);
		else if (mx_number(v, &d))
			mx_sample(m, "nfvd_vnf_stat", "gauge",
				  "VNF statistics (nfvctl stats: vnfs.NAME.*), by name", d, "vnf",
				  vnf, "class", cls, "stat", name);
	}
}

/* the numbers of one port or chain object as PREFIX_KEY_total{label="name"}
 * counters; rx and tx are packets (nfvd_port_rx_packets_total) */
static void
mx_counters(struct mx_main *m, const char *prefix, const char *label, const char *name, json_t *o,
	    const char *help)
{
	const char *k;
	json_t *v;
	double d;

	json_object_foreach(o, k, v)
	{
		char part[48], fam[96];

		if (!mx_number(v, &d))
			continue;
		mx_name_part(part, sizeof(part), k);
		snprintf(fam, sizeof(fam), "%s_%s%s_total", prefix, part,
			 strcmp(k, "rx") == 0 || strcmp(k, "tx") == 0 ? "_packets" : "");
		mx_sample(m, fam, "counter", help, d, label, name, NULL, NULL, NULL, NULL);
	}
}

static void
mx_render(struct mx_main *m, json_t *s, FILE *out)
{
	const char *k, *k2;
	json_t *v, *v2;
	double d;

	m->n_fam = 0;
	if (mx_number(json_object_get(s, "uptime_ms"), &d))
		mx_sample(m, "nfvd_uptime_seconds", "gauge", "Time since nfvd started", d / 1000,
			  NULL, NULL, NULL, NULL, NULL, NULL);
	if (mx_number(json_object_get(s, "generation"), &d))
		mx_sample(m, "nfvd_config_generation", "gauge",
			  "Pipeline generation (1 at start, +1 per apply)", d, NULL, NULL, NULL,
			  NULL, NULL, NULL);
	json_object_foreach(json_object_get(s, "ports"), k, v)
	{
		const char *link = json_string_value(json_object_get(v, "link"));

		if (link != NULL && strcmp(link, "unknown") != 0)
			mx_sample(m, "nfvd_port_up", "gauge", "Port link state (1 up, 0 down)",
				  strcmp(link, "up") == 0, "port", k, NULL, NULL, NULL, NULL);
		mx_counters(m, "nfvd_port", "port", k, v, "Port counter (nfvctl stats: ports)");
	}
	json_object_foreach(json_object_get(s, "chains"), k, v)
		mx_counters(m, "nfvd_chain", "chain", k, v, "Chain counter (nfvctl stats: chains)");
	json_object_foreach(json_object_get(s, "vnfs"), k, v)
	{
		const char *cls = json_string_value(json_object_get(v, "class"));

		cls = cls != NULL ? cls : "";
		json_object_foreach(json_object_get(v, "counters"), k2, v2) if (mx_number(v2, &d))
			mx_sample(m, "nfvd_vnf_packets_total", "counter",
				  "VNF counters by name (nfvctl stats: vnfs.NAME.counters)", d,
				  "vnf", k, "class", cls, "counter", k2);
		json_object_foreach(json_object_get(v, "drops"), k2, v2) if (mx_number(v2, &d))
			mx_sample(m, "nfvd_vnf_drops_total", "counter",
				  "Packets a VNF dropped, by reason", d, "vnf", k, "class", cls,
				  "reason", k2);
		mx_vnf_stats(m, k, cls, "", v);
	}
	json_object_foreach(json_object_get(json_object_get(s, "engine"), "drops"), k,
			    v) if (mx_number(v, &d))
		mx_sample(m, "nfvd_engine_drops_total", "counter",
			  "Packets the engine dropped, by reason", d, "reason", k, NULL, NULL, NULL,
			  NULL);
	for (size_t i = 0; i < json_array_size(json_object_get(s, "workers")); i++) {
		json_t *w = json_array_get(json_object_get(s, "workers"), i);
		char lcore[16];

		if (!mx_number(json_object_get(w, "lcore"), &d))
			continue;
		snprintf(lcore, sizeof(lcore), "%.0f", d);
		json_object_foreach(w, k, v)
		{
			char part[48], fam[96];
			bool gauge = strcmp(k, "cycles_per_packet") == 0;

			if (strcmp(k, "lcore") == 0 || !mx_number(v, &d))
				continue;
			mx_name_part(part, sizeof(part), k);
			snprintf(fam, sizeof(fam), "nfvd_worker_%s%s", part, gauge ? "" : "_total");
			mx_sample(m, fam, gauge ? "gauge" : "counter", "Worker counter", d, "lcore",
				  lcore, NULL, NULL, NULL, NULL);
		}
	}
	for (unsigned int i = 0; i < m->n_fam; i++) {
		struct mx_family *f = &m->fam[i];

		fclose(f->f);
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
		if (f->text != NULL)
			fwrite(f->text, 1, f->len, out);
		free(f->text);
	}
	m->n_fam = 0;
}

int
nfv_metrics_text(json_t *stats, char **text, size_t *len)
{
	FILE *out = open_memstream(text, len);

	if (out == NULL)
		return -ENOMEM;
	mx_render(&mx_main, stats, out);
	return fclose(out) == 0 ? 0 : -ENOMEM;
}

/* ---- HTTP ---- */

static void
mx_conn_close(struct mx_conn *c)
{
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
}

/* the answer to send: a head, then body_len bytes of body unless head_only
 * (HEAD: the same head as GET's, no body) */
static void
mx_answer(struct mx_conn *c, const char *status, const char *type, const char *body,
	  size_t body_len, bool head_only)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, body_len);
	size_t blen = head_only ? 0 : body_len;

	c->out = malloc((size_t)n + blen);
	if (c->out == NULL) {
		mx_conn_close(c);
		return;
	}
	memcpy(c->out, head, (size_t)n);
	memcpy(c->out + n, body, blen);
	c->out_len = (size_t)n + blen;
	c->out_off = 0;
}

/* a whole request head is in: answer it */
static void
mx_request(struct mx_conn *c)
{
	static const char text[] = "text/plain; charset=utf-8";
	char method[8] = "", path[256] = "";

	c->req[c->req_len] = '\0';
	if (sscanf(c->req, "%7s %255s HTTP/1.", method, path) != 2 ||
	    strstr(c->req, " HTTP/1.") == NULL) {
		mx_answer(c, "400 Bad Request", text, "bad request\n", 12, false);
		return;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		mx_answer(c, "405 Method Not Allowed", text, "GET /metrics\n", 13, false);
		return;
	}
	if (strcmp(path, "/metrics") != 0 && strncmp(path, "/metrics?", 9) != 0) {
		mx_answer(c, "404 Not Found", text, "nfvd serves /metrics\n", 21, false);
		return;
	}
	json_t *s = nfv_engine_stats();
	char *body = NULL;
	size_t len = 0;

	if (s == NULL || nfv_metrics_text(s, &body, &len) != 0)
		mx_answer(c, "500 Internal Server Error", text, "no stats\n", 9, false);
	else
		mx_answer(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, len,
			  strcmp(method, "HEAD") == 0);
	free(body);
	json_decref(s);
}

static void
mx_conn_read(struct mx_conn *c)
{
	ssize_t n = recv(c->fd, c->req + c->req_len, MX_REQ_MAX - 1 - c->req_len, 0);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		mx_conn_close(c);
		return;
	}
	if (n < 0)
		return;
	c->req_len += (size_t)n;
	c->req[c->req_len] = '\0';
	/* memmem: a request may hold NUL bytes */
	if (memmem(c->req, c->req_len, "\r\n\r\n", 4) != NULL ||
	    memmem(c->req, c->req_len, "\n\n", 2) != NULL)
		mx_request(c);
	else if (c->req_len == MX_REQ_MAX - 1)
		mx_answer(c, "431 Request Header Fields Too Large", "text/plain", "too large\n", 10,
			  false);
}

static void
mx_conn_write(struct mx_conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		mx_conn_close(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len)
		mx_conn_close(c);
}

static void
mx_make_room(struct mx_main *m, uint64_t now)
{
	struct mx_conn *old = NULL;

	for (int i = 0; i < MX_MAX_CLIENTS; i++) {
		struct mx_conn *c = &m->conn[i];

		if (c->fd < 0)
			return; /* a slot is free */
		if (c->out == NULL && now - c->since_ms >= MX_EVICT_MS &&
		    (old == NULL || c->since_ms < old->since_ms))
			old = c;
	}
	if (old != NULL)
		mx_conn_close(old); /* the next poll accepts into its slot */
}

/* The listener, then every slot (fd -1 for a free one: poll skips it). */
static unsigned int
mx_fill_pfd(const struct mx_main *m, struct pollfd *pfd)
{
	unsigned int n = 0;

	pfd[n++] = (struct pollfd){.fd = m->lfd, .events = POLLIN};
	for (int i = 0; i < MX_MAX_CLIENTS; i++) {
		const struct mx_conn *c = &m->conn[i];

		pfd[n++] = (struct pollfd){.fd = c->fd, .events = c->out ? POLLOUT : POLLIN};
	}
	return n;
}

unsigned int
nfv_metrics_wait_fds(struct pollfd *pfd, unsigned int max)
{
	const struct mx_main *m = &mx_main;

	if (m->lfd < 0 || max < MX_MAX_CLIENTS + 1)
		return 0;
	return mx_fill_pfd(m, pfd);
}

void
nfv_metrics_poll(void)
{
	struct mx_main *m = &mx_main;
	struct pollfd pfd[MX_MAX_CLIENTS + 1];
	uint64_t now;
	unsigned int n;

	if (m->lfd < 0)
		return;
	now = nfv_now_ms();
	for (int i = 0; i < MX_MAX_CLIENTS; i++) {
		struct mx_conn *c = &m->conn[i];

		if (c->fd >= 0 && now - c->since_ms > MX_IDLE_MS)
			mx_conn_close(c);
	}
	n = mx_fill_pfd(m, pfd);
	if (poll(pfd, (nfds_t)n, 0) <= 0)
		return;
	for (int i = 0; i < MX_MAX_CLIENTS; i++) {
		struct mx_conn *c = &m->conn[i];

		if (c->fd < 0 || pfd[i + 1].revents == 0)
			continue;
		if (c->out == NULL)
			mx_conn_read(c);
		if (c->fd >= 0 && c->out != NULL)
			mx_conn_write(c);
	}
	if (pfd[0].revents & POLLIN) {
		for (int i = 0; i < MX_MAX_CLIENTS; i++) {
			struct mx_conn *c = &m->conn[i];
			int fd;

			if (c->fd >= 0)
				continue;
			fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd < 0)
				return;
			c->fd = fd;
			c->since_ms = now;
			c->req_len = 0;
			c->out = NULL;
		}
		/* every slot busy: the rest wait in the backlog, but clients that
		 * trickle their request head must not hold every slot: the one
		 * reading the longest (over MX_EVICT_MS) makes room */
		mx_make_room(m, now);
	}
}

int
nfv_metrics_open(const char *addr, char *err, size_t errlen)
{
	struct mx_main *m = &mx_main;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd, rc;
	char why[160];

	for (int i = 0; i < MX_MAX_CLIENTS; i++)
		m->conn[i].fd = -1;
	if (addr == NULL || addr[0] == '\0')
		return 0;
	if (nfv_parse_inet_addr(addr, &ss, &len, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "metrics: %s", why);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0)
		goto close_fd;
	m->lfd = fd;
	return 0;
close_fd:
	rc = -errno;
	close(fd);
	errno = -rc;
fail:
	rc = -errno;
	snprintf(err, errlen, "metrics: cannot listen on %s: %s", addr, strerror(-rc));
	return rc;
}

void
nfv_metrics_close(void)
{
	struct mx_main *m = &mx_main;

	if (m->lfd < 0)
		return;
	for (int i = 0; i < MX_MAX_CLIENTS; i++)
		if (m->conn[i].fd >= 0)
			mx_conn_close(&m->conn[i]);
	close(m->lfd);
	m->lfd = -1;
}
