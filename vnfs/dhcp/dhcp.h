/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server VNF (class "dhcp"): configuration, BOOTP/DHCP message
 * parser and builder, lease database with an on-disk journal, and the
 * RFC 2131 server state machine. Everything declared here is free of DPDK
 * (nfvctl validates configs with it, unit tests and the fuzz target link it
 * alone); the engine glue lives in dhcp_cp.c / dhcp_dp.c.
 */
#ifndef NFV_DHCP_H
#define NFV_DHCP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cfg.h"
#include "model.h"
#include "vnf.h"

#define DHCP_MAX_IFS 16
#define DHCP_MAX_SUBNETS 64
#define DHCP_MAX_RANGES 32
#define DHCP_MAX_EXCL 64
#define DHCP_MAX_OPTS 48
/* client key: 'h' + chaddr, 'c' + client id (up to 63 bytes), or for a
 * longer client id (RFC 2132 allows 255 bytes, RFC 4361 DUID-based ones are
 * ~130): 'd', its length, its first 30 bytes and a 256-bit hash of it */
#define DHCP_KEY_MAX 64
#define DHCP_CID_MAX 255
#define DHCP_MAX_POOL (1u << 22)

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_MAGIC 0x63825363u
#define DHCP_FIXED_LEN 236  /* BOOTP header before the magic cookie */
#define DHCP_MIN_LEN 240    /* header + cookie */
#define DHCP_REPLY_MAX 1200 /* BOOTP payload we build at most */

/* message types (option 53) */
enum {
	DHCP_DISCOVER = 1,
	DHCP_OFFER,
	DHCP_REQUEST,
	DHCP_DECLINE,
	DHCP_ACK,
	DHCP_NAK,
	DHCP_RELEASE,
	DHCP_INFORM,
};

/* option codes we handle by name */
enum {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTERS = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_DOMAIN = 15,
	DHCP_OPT_MTU = 26,
	DHCP_OPT_BROADCAST = 28,
	DHCP_OPT_NTP = 42,
	DHCP_OPT_REQ_ADDR = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PRL = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_SIZE = 57,
	DHCP_OPT_T1 = 58,
	DHCP_OPT_T2 = 59,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_RELAY_INFO = 82,
	DHCP_OPT_CLASSLESS = 121,
	DHCP_OPT_END = 255,
};

/* Per-lcore counters and drop reasons of the class (worker and control
 * thread). Drops cover both malformed input and requests left unanswered. */
#define DHCP_COUNTERS(_)                  \
	_(DHCP_C_PUNTED, "punted")        \
	_(DHCP_C_DISCOVER, "discover")    \
	_(DHCP_C_REQUEST, "request")      \
	_(DHCP_C_DECLINE, "decline")      \
	_(DHCP_C_RELEASE, "release")      \
	_(DHCP_C_INFORM, "inform")        \
	_(DHCP_C_OFFER, "offer")          \
	_(DHCP_C_ACK, "ack")              \
	_(DHCP_C_NAK, "nak")              \
	_(DHCP_C_RELAYED, "relayed")      \
	_(DHCP_C_ARP, "arp-replies")      \
	_(DHCP_C_FSYNC, "journal-fsync")  \
	_(DHCP_C_JREC, "journal-records") \
	_(DHCP_C_COMPACT, "journal-compactions")

#define DHCP_DROPS(_)                                                                              \
	_(DHCP_D_BAD_FRAME, "bad-frame",                                                           \
	  "not an IPv4/UDP frame the server can read, or for none of its interfaces")              \
	_(DHCP_D_BAD_IP_CSUM, "bad-ip-checksum",                                                   \
	  "IPv4 header checksum wrong, or bad lengths or a fragment")                              \
	_(DHCP_D_BAD_UDP_CSUM, "bad-udp-checksum", "UDP checksum wrong")                           \
	_(DHCP_D_TRUNCATED, "truncated", "DHCP message shorter than its fixed header")             \
	_(DHCP_D_BAD_OP, "bad-op", "op is not BOOTREQUEST")                                        \
	_(DHCP_D_BAD_HW, "bad-hw", "hardware type/length not Ethernet")                            \
	_(DHCP_D_BAD_COOKIE, "bad-cookie", "no DHCP magic cookie (plain BOOTP)")                   \
	_(DHCP_D_OPT_PAST_END, "option-past-end", "an option runs past the end of the message")    \
	_(DHCP_D_BAD_OPT_LEN, "bad-option-length",                                                 \
	  "an option with a length its code does not allow")                                       \
	_(DHCP_D_BAD_OVERLOAD, "bad-overload", "option overload (52) malformed")                   \
	_(DHCP_D_NO_TYPE, "no-message-type", "no DHCP message type option (53)")                   \
	_(DHCP_D_BAD_REQUEST, "bad-request",                                                       \
	  "a REQUEST with no server id, requested address or ciaddr (no state of RFC 2131 4.3.2)") \
	_(DHCP_D_BAD_TYPE, "bad-message-type",                                                     \
	  "a message type a server does not take (OFFER, ACK...)")                                 \
	_(DHCP_D_NO_SUBNET, "no-subnet",                                                           \
	  "no configured subnet for the interface or relay address")                               \
	_(DHCP_D_WRONG_NETWORK, "wrong-network",                                                   \
	  "an INFORM whose address is not on the subnet it came from (RFC 2131 4.3.5)")            \
	_(DHCP_D_EXHAUSTED, "pool-exhausted", "no free address left in the pool for a DISCOVER")   \
	_(DHCP_D_OTHER_SERVER, "other-server",                                                     \
	  "REQUEST for another server (server identifier not ours)")                               \
	_(DHCP_D_UNKNOWN_CLIENT, "unknown-client",                                                 \
	  "REQUEST from a client this server has no lease for")                                    \
	_(DHCP_D_NOT_OWNER, "not-owner", "DECLINE/RELEASE of an address the client does not hold") \
	_(DHCP_D_NO_SERVER_ID, "no-server-id",                                                     \
	  "a RELEASE or DECLINE without the server identifier (RFC 2131 table 5: MUST)")          \
	_(DHCP_D_RELAY_OFF, "relay-disabled",                                                      \
	  "relayed (giaddr set) while relaying is not allowed")                                    \
	_(DHCP_D_NO_MBUF, "no-mbuf", "no packet buffer for the reply")                             \
	_(DHCP_D_JOURNAL, "journal-error", "the lease journal could not record the binding")       \
	_(DHCP_D_BACKLOG, "journal-backlog",                                                       \
	  "too many ACKs waiting for the journal (disk stalled): client retries")

enum { DHCP_COUNTERS(VNF_ENUM) DHCP_C_MAX };
enum { DHCP_DROPS(VNF_ENUM) DHCP_D_MAX };

/* ---------------- configuration ---------------- */

/* One encoded option value (wire format). */
struct dhcp_opt {
	uint8_t code;
	uint8_t len;
	uint8_t data[255];
};

struct dhcp_optset {
	uint16_t n;
	struct dhcp_opt opt[DHCP_MAX_OPTS];
};

struct dhcp_range {
	uint32_t lo, hi; /* host order, inclusive */
};

struct dhcp_resv {
	uint8_t key_len;
	uint8_t key[DHCP_KEY_MAX]; /* 'h' + MAC, or 'c' + client id */
	uint32_t addr;
};

struct dhcp_subnet_conf {
	uint32_t net, mask; /* host order */
	uint8_t plen;
	uint16_t n_ranges;
	struct dhcp_range ranges[DHCP_MAX_RANGES];
	uint16_t n_excl;
	struct dhcp_range excl[DHCP_MAX_EXCL];
	uint32_t n_resv;
	struct dhcp_resv *resv;
	uint32_t lease_time, t1, t2; /* seconds */
	struct dhcp_optset opts;     /* merged: instance options, then subnet's */
};

struct dhcp_if_conf {
	uint16_t port; /* index into nfv_config.ports */
	uint16_t vlan; /* 0 = untagged */
	uint32_t addr; /* host order: server identifier on this interface */
	uint8_t plen;
	bool arp; /* answer ARP requests for addr (off when a router stage does) */
};

struct dhcp_conf {
	char name[NFV_NAME_MAX]; /* the instance's: whose journal a lease file is */
	uint16_t n_ifs;
	struct dhcp_if_conf ifs[DHCP_MAX_IFS];
	uint16_t n_subnets;
	struct dhcp_subnet_conf *subnets;
	char lease_file[NFV_PATH_MAX];	       /* "" = leases kept in memory only */
	char lease_file_at[NFV_PATH_MAX + 32]; /* "line:col: path" for create() errors */
	bool lease_fsync;		       /* lease-sync: fdatasync (true, default) or write */
	bool relay;			       /* serve requests relayed by a giaddr */
	uint32_t offer_time;		       /* seconds an OFFER holds its address */
	uint32_t decline_time;		       /* seconds a DECLINEd address is quarantined */
	uint32_t compact_records;	       /* journal records before a compaction */
};

/* The schema half (dhcp_conf.c), registered as class "dhcp". */
extern struct vnf_schema dhcp_schema;
int dhcp_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		      struct cfg_errors *err);
void dhcp_config_free(void *conf);
/* Index of the subnet containing addr (host order), or -1. */
int dhcp_conf_subnet(const struct dhcp_conf *c, uint32_t addr);
bool dhcp_subnet_in_pool(const struct dhcp_subnet_conf *s, uint32_t addr);
/* Encode a named option value from YAML; *code is set. Exposed for tests. */
int dhcp_opt_parse_named(const char *name, const struct cfg_node *v, struct dhcp_opt *o,
			 struct cfg_errors *err);

/* ---------------- messages ---------------- */

struct dhcp_hdr {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr; /* network order */
	uint8_t chaddr[16];
	uint8_t sname[64];
	uint8_t file[128];
	uint32_t cookie;
} __attribute__((packed));

_Static_assert(sizeof(struct dhcp_hdr) == DHCP_MIN_LEN, "dhcp header");

#define DHCP_FLAG_BROADCAST 0x8000

/* A parsed request: options concatenated per RFC 3396 into buf. */
struct dhcp_msg {
	const struct dhcp_hdr *hdr;
	uint8_t type;
	uint16_t off[256]; /* offset in buf */
	uint16_t len[256];
	uint8_t has[256 / 8];
	uint8_t buf[1536];
};

static inline bool
dhcp_msg_has(const struct dhcp_msg *m, uint8_t code)
{
	return (m->has[code >> 3] >> (code & 7)) & 1;
}

static inline const uint8_t *
dhcp_msg_opt(const struct dhcp_msg *m, uint8_t code, uint16_t *len)
{
	if (!dhcp_msg_has(m, code))
		return NULL;
	*len = m->len[code];
	return m->buf + m->off[code];
}

/* Parse a BOOTREQUEST. Returns 0, or -EINVAL with *why set to a DHCP_D_*
 * reason. Never reads outside p[0..len). */
int dhcp_msg_parse(const uint8_t *p, size_t len, struct dhcp_msg *m, uint16_t *why);
/* Client key of a client id of n bytes (2..DHCP_CID_MAX); returns its
 * length. */
uint8_t dhcp_cid_key(const uint8_t *cid, uint16_t n, uint8_t key[DHCP_KEY_MAX]);
/* IPv4 + UDP of a punted frame: ip points at the IPv4 header, len bytes
 * are there. Checks version, header and total lengths, fragments, the
 * header checksum and the UDP length and checksum (RFC 1122 3.2.1.2 and
 * 4.1.3.4: a bad one is dropped); ip_ok / udp_ok skip a checksum the
 * port already verified (or will not, for a locally made frame). Returns 0
 * with the UDP payload in *pl, *pl_len, or -EINVAL with *why. */
int dhcp_ip_udp_check(const uint8_t *ip, size_t len, bool ip_ok, bool udp_ok, const uint8_t **pl,
		      size_t *pl_len, uint16_t *why);
/* Value of a 4-byte option in network order, or 0. */
uint32_t dhcp_msg_u32(const struct dhcp_msg *m, uint8_t code);

/* Reply under construction. */
struct dhcp_reply {
	uint8_t type;	 /* 0: no reply */
	uint32_t dst_ip; /* host order */
	uint16_t dst_port;
	bool bcast_mac; /* else unicast to mac */
	uint8_t mac[6];
	size_t len;
	uint8_t buf[DHCP_REPLY_MAX];
};

/* ---------------- leases ---------------- */

enum dhcp_lstate {
	DHCP_L_FREE,
	DHCP_L_OFFERED,
	DHCP_L_BOUND,
	DHCP_L_RELEASED,
	DHCP_L_DECLINED,
};

extern const char *const dhcp_lstate_names[];

struct dhcp_lease {
	uint32_t addr; /* host order */
	uint8_t state;
	uint8_t key_len;
	uint8_t chaddr[6];
	uint64_t expire; /* wall-clock seconds */
	uint16_t subnet;
	uint8_t key[DHCP_KEY_MAX];
};

/* Open-addressing index (linear probing, backward-shift delete) of
 * uint32 values keyed by a caller-defined key; hashes stored. */
struct dhcp_idx {
	uint32_t mask;
	uint32_t *val; /* value + 1; 0 = empty */
	uint32_t *hash;
};

/* Journal record: the whole state of one address. */
struct dhcp_jrec {
	uint32_t magic;
	uint32_t addr;
	uint64_t expire;
	uint8_t state;
	uint8_t key_len;
	uint8_t chaddr[6];
	uint8_t key[DHCP_KEY_MAX];
	uint32_t pad;
	uint32_t crc;
} __attribute__((packed));

#define DHCP_JREC_MAGIC 0x4c434844u /* "DHCL" */
#define DHCP_JFILE_MAGIC "NFVDHCP1"

struct dhcp_buf {
	uint8_t *p;
	size_t len, cap;
};

/* Rate limit of a warning: the first event, then at most one message every
 * DHCP_JWARN_GAP_US with the count of events since the last one. */
#define DHCP_JWARN_GAP_US 10000000u
struct dhcp_jwarn {
	uint64_t last_us; /* when the last message was due */
	uint64_t count;	  /* events since */
	uint64_t streak;  /* events since the last success */
	bool any;	  /* a message was due at least once */
	bool warned;	  /* a message was due in this streak */
};
/* An event at now_us: true when a message is due, *n the events it reports
 * (since the last message, this one included). */
bool dhcp_jwarn_due(struct dhcp_jwarn *w, uint64_t now_us, uint64_t *n);
/* The journal's warnings (load, write errors); tests replace it. */
extern void (*dhcp_jlog)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct dhcp_db {
	const struct dhcp_conf *conf;
	uint32_t n, cap;
	struct dhcp_lease **chunks; /* DHCP leases in chunks of 4096 */
	struct dhcp_idx by_addr;    /* addr -> lease */
	struct dhcp_idx by_key;	    /* (subnet, key) -> lease */
	struct dhcp_idx resv_addr;  /* addr -> (subnet << 22 | resv index) */
	struct dhcp_idx resv_key;   /* (subnet, key) -> same */
	uint32_t *cursor;	    /* per subnet: next pool offset to try */
	/* journal */
	int fd;
	char path[NFV_PATH_MAX];
	struct dhcp_buf pending; /* records not yet handed to the writer */
	uint64_t records;	 /* records in the file */
	uint64_t fsyncs;
	uint64_t write_errors; /* batches that failed (retried with the next) */
	uint64_t corrupt_records; /* skipped at load: records (or torn parts) */
	uint64_t torn_tail_bytes; /* cut at load */
	struct dhcp_jwarn wwarn;  /* rate limit of the write-error warning */
	/* who has the file: an exclusive flock (on lock_fd's open file) against
	 * other processes, a list of the journals open in this process
	 * against other instances (a new generation of the same instance
	 * takes the file over: handed_off stops the old one writing) */
	bool registered;
	bool handed_off;
	int lock_fd;
	dev_t dev;
	ino_t ino;
	struct dhcp_db *open_next;
	struct dhcp_db *prev_gen;
	/* end of the last whole committed record: every batch is written at
	 * this offset, a failed one is cut back to it (the writer thread owns
	 * it while a batch is in flight) */
	uint64_t end;
	bool dir_unsynced; /* a rename (compaction) whose directory fsync failed */
	/* journal writer thread: writes + fdatasyncs one batch at a time
	 * while the control thread goes on serving (group commit) */
	bool writer_on;
	bool busy; /* a batch is with the writer */
	pthread_t writer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;			    /* under mu */
	uint64_t seq_req;		    /* under mu: last batch handed over */
	atomic_uint_fast64_t seq_done;	    /* last batch written (ok or failed) */
	atomic_int batch_err;		    /* 0 or -errno of the last batch */
	atomic_uint_fast64_t commit_max_us; /* slowest write+fdatasync so far */
	uint64_t seq_started;		    /* control thread copy of seq_req */
	uint64_t last_commit_us;	    /* when the last fdatasync batch started */
	struct dhcp_buf inflight;	    /* the batch being written */
	/* background compaction */
	bool compacting;
	pthread_t thr;
	atomic_int thr_done; /* 1 ok, -errno failed */
	int tmp_fd;
	struct dhcp_buf snap; /* snapshot being written by the thread */
	struct dhcp_buf tail; /* records committed while it runs */
	uint64_t snap_records;
	uint64_t compactions;
	bool compact_abort;	/* a tail batch could not be kept: give it up */
	uint64_t compact_floor; /* no automatic compaction before the file holds
				 * this many records (after one: twice what it
				 * kept; after a failed one: a quarter more) */
};

/* The journal's file operations; tests replace them to inject short
 * writes and errors (ENOSPC, EIO) at any point. */
struct dhcp_jio {
	ssize_t (*write_at)(int fd, const void *p, size_t n, off_t off);
	int (*datasync)(int fd);
	int (*sync)(int fd);
	int (*truncate)(int fd, off_t len);
	int (*rename)(const char *from, const char *to);
};
extern struct dhcp_jio dhcp_jio;

/* Build the database for conf; open (create) and replay the journal at
 * path (NULL or "" = memory only). Errors name the reason in err. */
int dhcp_db_open(struct dhcp_db *db, const struct dhcp_conf *conf, const char *path, uint64_t now,
		 char *err, size_t errlen);
void dhcp_db_close(struct dhcp_db *db);
/* Serve conf from now on (subnets, pools, reservations may differ): the
 * leases and the journal stay, the indexes are rebuilt. -ENOMEM leaves the
 * database as it was. */
int dhcp_db_rebind(struct dhcp_db *db, const struct dhcp_conf *conf);
struct dhcp_lease *dhcp_db_by_addr(struct dhcp_db *db, uint32_t addr);
struct dhcp_lease *dhcp_db_by_key(struct dhcp_db *db, uint16_t subnet, const uint8_t *key,
				  uint8_t key_len);
/* Reserved address for the key in subnet, or 0; *reserved_for_other is set
 * when addr (if non-zero) is reserved for another client. */
/* chaddr (may be NULL): a reservation by that MAC applies to a client
 * known by its client id too (whatever the id's type). */
uint32_t dhcp_db_resv_for(struct dhcp_db *db, uint16_t subnet, const uint8_t *key, uint8_t key_len,
			  const uint8_t *chaddr);
bool dhcp_db_addr_reserved(struct dhcp_db *db, uint32_t addr);
/* May addr be given to key now? (in pool or reserved for key, not held) */
bool dhcp_db_available(struct dhcp_db *db, uint16_t subnet, uint32_t addr, const uint8_t *key,
		       uint8_t key_len, const uint8_t *chaddr, uint64_t now);
/* Choose an address for a client: reservation, its current lease,
 * requested (0 = none), then the pool. Returns the address or 0. */
uint32_t dhcp_db_choose(struct dhcp_db *db, uint16_t subnet, const uint8_t *key, uint8_t key_len,
			const uint8_t *chaddr, uint32_t requested, uint64_t now);
/* Set the state of addr for key (key NULL keeps the address's client,
 * key_len 0 clears it).
 * journal: append a record (BOUND / RELEASED / DECLINED / FREE). */
struct dhcp_lease *dhcp_db_set(struct dhcp_db *db, uint16_t subnet, uint32_t addr,
			       const uint8_t *key, uint8_t key_len, const uint8_t chaddr[6],
			       enum dhcp_lstate st, uint64_t expire, bool journal);
#define DHCP_COMMIT_GAP_US 1000 /* fdatasync batches start at most this often */
#define DHCP_COMMIT_FULL 512	/* ... unless this many records wait */
/* Group commit, asynchronous: hand the pending records to the writer
 * thread unless a batch is already being written (or the last one started
 * less than DHCP_COMMIT_GAP_US ago). Records appended now
 * become durable with batch dhcp_db_next_seq(). */
void dhcp_db_commit_start(struct dhcp_db *db);
/* Collect a finished batch: returns 1 (ok) or -errno (failed) with *seq its
 * number, or 0 when none finished since the last call. */
int dhcp_db_commit_poll(struct dhcp_db *db, uint64_t *seq);
static inline uint64_t
dhcp_db_next_seq(const struct dhcp_db *db)
{
	return db->seq_started + 1;
}
/* Synchronous: write and fdatasync everything pending. 0 or -errno. */
int dhcp_db_commit(struct dhcp_db *db);
static inline bool
dhcp_db_dirty(const struct dhcp_db *db)
{
	return db->pending.len > 0 || db->busy;
}
/* Start a background compaction (snapshot + rename) when due or forced. */
int dhcp_db_compact_start(struct dhcp_db *db, uint64_t now, bool force);
/* Finish a compaction whose thread is done. Returns 1 finished, 0 not yet
 * (or none running), -errno failed (the old journal stays in use). */
int dhcp_db_compact_poll(struct dhcp_db *db);

/* ---------------- server ---------------- */

struct dhcp_srv {
	const struct dhcp_conf *conf;
	struct dhcp_db *db;
};

/* What the request arrived as. */
struct dhcp_rx {
	int iface;	 /* index in conf->ifs */
	bool bcast_dst;	 /* IP destination was broadcast */
	uint32_t src_ip; /* IP source, host order */
	uint8_t src_mac[6];
	uint64_t now; /* wall-clock seconds */
};

/* Handle one parsed request. Returns 0 with r->type set (0 when no reply is
 * due; *why then names the reason if it is one), or -EINVAL with *why.
 * *journaled is true when the reply must wait for dhcp_db_commit(). */
int dhcp_srv_handle(struct dhcp_srv *s, const struct dhcp_msg *m, const struct dhcp_rx *rx,
		    struct dhcp_reply *r, uint16_t *why, bool *journaled);

/* Format a lease list as JSON-ready text helpers live in dhcp_cp.c. */
void dhcp_ip_str(uint32_t addr, char *buf, size_t size);

#endif /* NFV_DHCP_H */
