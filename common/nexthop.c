/*
 * A destination taken apart and looked up as a sending MTA does: MX
 * hosts by preference, then each one's addresses.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dane.h"
#include "nexthop.h"

/* A port as a destination gives it: 1 to 65535, digits only. */
static int
port_of(const char *s)
{
	long	v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

int
nexthop_parse(const char *arg, struct nexthop *nh)
{
	char	*s, *end, *colon = NULL;

	memset(nh, 0, sizeof *nh);
	if ((s = strdup(arg)) == NULL)
		return -1;
	nh->name = s;
	/* An IPv6 address alone: its colons are no port. */
	if (inet_pton(AF_INET6, s, nh->lit.a) == 1) {
		nh->lit.af = AF_INET6;
		return 0;
	}
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || (end[1] != '\0' &&
		    end[1] != ':'))
			goto bad;
		colon = end[1] == ':' ? end + 1 : NULL;
		*end = '\0';
		memmove(s, s + 1, end - s);
		nh->nomx = 1;
	} else
		colon = strrchr(s, ':');
	if (colon != NULL) {
		*colon = '\0';
		if ((nh->port = port_of(colon + 1)) == -1)
			goto bad;
	}
	if (inet_pton(AF_INET6, s, nh->lit.a) == 1) {
		/* host:port with an IPv6 host needs the brackets */
		if (!nh->nomx)
			goto bad;
		nh->lit.af = AF_INET6;
	} else if (inet_pton(AF_INET, s, nh->lit.a) == 1)
		nh->lit.af = AF_INET;
	else if (s[0] == '\0' || dane_bad_name(s, strlen(s)) != NULL)
		goto bad;
	return 0;
bad:
	nexthop_free(nh);
	errno = EINVAL;
	return -1;
}

void
nexthop_free(struct nexthop *nh)
{
	free(nh->name);
	nh->name = NULL;
}

void
nexthop_hosts_free(struct nexthop_host *h, size_t n)
{
	size_t	i;

	for (i = 0; h != NULL && i < n; i++) {
		free(h[i].name);
		free(h[i].addr);
	}
	free(h);
}

static int
literal(const struct nexthop *nh, int af, struct nexthop_host **out,
    size_t *n, char *err, size_t errlen)
{
	struct nexthop_host	*h;

	if (af != AF_UNSPEC && af != nh->lit.af) {
		cli_errf(err, errlen, "'%s' is an IPv%c address", nh->name,
		    nh->lit.af == AF_INET ? '4' : '6');
		return MX_USAGE;
	}
	if ((h = calloc(1, sizeof *h)) == NULL ||
	    (h->addr = malloc(sizeof *h->addr)) == NULL ||
	    (h->name = strdup("")) == NULL) {
		nexthop_hosts_free(h, 1);
		cli_errf(err, errlen, "out of memory");
		return MX_OSERR;
	}
	h->addr[0] = nh->lit;
	h->naddr = 1;
	*out = h;
	*n = 1;
	return MX_OK;
}

int
nexthop_hosts(struct dns *dns, const struct nexthop *nh, int af,
    struct nexthop_host **out, size_t *nout, char *err, size_t errlen)
{
	struct nexthop_host	*h = NULL;
	char			**mx = NULL, why[512], first[512] = "";
	size_t			 nmx = 0, i, n = 0;
	enum dns_status		 st;
	int			 tempfail = 0, r;

	*out = NULL;
	*nout = 0;
	if (nh->lit.af != 0)
		return literal(nh, af, out, nout, err, errlen);
	st = nh->nomx ? DNS_NODATA : dns_mx(dns, nh->name, &mx, &nmx, why,
	    sizeof why);
	switch (st) {
	case DNS_NXDOMAIN:
		cli_errf(err, errlen, "cannot find '%s': no such domain",
		    nh->name);
		return MX_NOHOST;
	case DNS_TEMPFAIL:
	case DNS_PERMFAIL:
		cli_errf(err, errlen, "cannot look up the MX of '%s': %s",
		    nh->name, why);
		return st == DNS_TEMPFAIL ? MX_TEMPFAIL : MX_NOHOST;
	case DNS_OK:
		if (nmx == 1 && mx[0][0] == '\0') {
			dns_txt_free(mx, nmx);
			cli_errf(err, errlen, "'%s' takes no mail: its MX "
			    "is a null MX", nh->name);
			return MX_NOHOST;
		}
		break;
	default:	/* no MX: the name itself (RFC 5321 5.1) */
		if ((mx = calloc(1, sizeof *mx)) == NULL ||
		    (mx[0] = strdup(nh->name)) == NULL)
			goto out;
		nmx = 1;
	}
	if ((h = calloc(nmx, sizeof *h)) == NULL)
		goto out;
	for (i = 0; i < nmx; i++) {
		if (mx[i][0] == '\0')
			continue;
		h[n].name = mx[i];
		mx[i] = NULL;
		r = dns_addrs(dns, h[n].name, af, &h[n].addr, &h[n].naddr,
		    why, sizeof why);
		if (r == DNS_TEMPFAIL)
			tempfail = 1;
		if (r != DNS_OK && first[0] == '\0')
			cli_errf(first, sizeof first, "'%s': %s", h[n].name,
			    r == DNS_TEMPFAIL ? why : "no address");
		if (r == DNS_OK)
			n++;
		else {
			free(h[n].name);
			free(h[n].addr);
			memset(&h[n], 0, sizeof h[n]);
		}
	}
	dns_txt_free(mx, nmx);
	if (n == 0) {
		free(h);
		cli_errf(err, errlen, "cannot find an address of %s", first);
		return tempfail ? MX_TEMPFAIL : MX_NOHOST;
	}
	*out = h;
	*nout = n;
	return MX_OK;
out:
	dns_txt_free(mx, nmx);
	nexthop_hosts_free(h, n);
	cli_errf(err, errlen, "out of memory");
	return MX_OSERR;
}
