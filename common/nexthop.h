/*
 * nexthop: where a sending MTA goes for a destination, as smtp-probe takes
 * it on its command line: HOST, HOST:PORT, [HOST], [HOST]:PORT, an IPv4
 * address, an IPv6 address alone or as [IPv6]:PORT.  A name is looked up
 * as RFC 5321 5.1 says: its MX hosts by preference, the name itself when
 * it has none; brackets skip the MX lookup, as in Postfix.
 */
#ifndef MX_NEXTHOP_H
#define MX_NEXTHOP_H

#include <stddef.h>

#include "dns.h"

struct nexthop {
	char		*name;		/* brackets and port taken off */
	int		 port;		/* 0: none given */
	int		 nomx;		/* [HOST]: no MX lookup */
	struct dns_addr	 lit;		/* lit.af 0 unless an address */
};

/* A host to connect to, and its addresses in the order to try them. */
struct nexthop_host {
	char		*name;		/* "" for an address given */
	struct dns_addr	*addr;
	size_t		 naddr;
};

/*
 * Take a destination apart into nh (free with nexthop_free).  0; -1 with
 * errno EINVAL for one that is none of the forms above (a usage error),
 * ENOMEM out of memory.
 */
int		 nexthop_parse(const char *, struct nexthop *);
void		 nexthop_free(struct nexthop *);

/*
 * The hosts of nh, each with its addresses of family af (AF_INET,
 * AF_INET6, or AF_UNSPEC for both, IPv4 first), hosts without an address
 * left out.  MX_OK with *hosts (free with nexthop_hosts_free) and *n; else
 * err says why: MX_NOHOST for a name that does not exist, a null MX (RFC
 * 7505) or no address at all, MX_TEMPFAIL for a DNS failure that left no
 * address, MX_USAGE for an address of the other family than af,
 * MX_OSERR out of memory.
 */
int		 nexthop_hosts(struct dns *, const struct nexthop *, int,
		    struct nexthop_host **, size_t *, char *, size_t);
void		 nexthop_hosts_free(struct nexthop_host *, size_t);

#endif
