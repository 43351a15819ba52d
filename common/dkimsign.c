/*
 * dkimsign: adding a DKIM-Signature field.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "canon.h"
#include "dkim.h"
#include "dkimsign.h"
#include "msg.h"

#define DKIM_SIGN_TAGS	32

static int
body_hash(struct msg *m, struct bodyhash *h)
{
	char	buf[65536];
	ssize_t	got;

	if (msg_body_rewind(m) < 0)
		return -1;
	while ((got = msg_body_read(m, buf, sizeof buf)) > 0)
		bodyhash_feed(h, buf, (size_t)got);
	if (got < 0)
		return -1;
	return bodyhash_final(h);
}

/*
 * The signer's tags over ours.  The names are copied into one buffer,
 * NUL after each, sized first so that it never moves.
 */
static int
extra_tags(const struct dkim_signer *sg, struct dkim_tag *t, size_t *nt,
    struct buf *names)
{
	size_t	i, k, len = 0;

	for (i = 0; i < sg->ntags; i++)
		len += strlen(sg->tags[i]) + 1;
	if (buf_reserve(names, len + 1) < 0)
		return -1;
	for (i = 0; i < sg->ntags; i++) {
		const char	*eq = strchr(sg->tags[i], '=');
		size_t		 nl = eq ? (size_t)(eq - sg->tags[i]) :
				    strlen(sg->tags[i]);
		char		*name = names->p + names->len;

		memcpy(name, sg->tags[i], nl);
		name[nl] = '\0';
		names->len += nl + 1;
		if (nl == 0 || strcmp(name, "b") == 0 ||
		    strcmp(name, "bh") == 0)
			return -1;
		for (k = 0; k < *nt; k++)
			if (strcmp(t[k].name, name) == 0)
				break;
		if (eq == NULL) {
			if (k < *nt)
				t[k] = t[--*nt];
			continue;
		}
		if (k == *nt) {
			if (*nt == DKIM_SIGN_TAGS)
				return -1;
			(*nt)++;
		}
		t[k] = (struct dkim_tag){ name, eq + 1, 0 };
	}
	return 0;
}

int
dkim_sign(struct msg *m, const struct dkim_signer *sg, char *why,
    size_t whylen)
{
	struct bodyhash	 bh;
	struct buf	 hl = { 0 }, data = { 0 }, field = { 0 };
	struct dkim_tag	 t[DKIM_SIGN_TAGS];
	struct buf	 names = { 0 };
	const char	*eol = msg_crlf(m) ? "\r\n" : "\n";
	char		 bhb64[64], canon[32], lbuf[32], tbuf[32], xbuf[32];
	size_t		 nt = 0;
	int		 rc = -1;

	if (bodyhash_init(&bh, sg->brel, sg->limit) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (body_hash(m, &bh) < 0) {
		bodyhash_free(&bh);
		snprintf(why, whylen, "cannot read the body");
		return -1;
	}
	b64_encode(bh.md, bh.mdlen, bhb64);
	bodyhash_free(&bh);
	if ((sg->headers != NULL ? buf_addstr(&hl, sg->headers) :
	    dkim_default_headers(m, &hl)) < 0 || buf_add(&hl, "", 1) < 0)
		goto nomem;
	snprintf(canon, sizeof canon, "%s/%s", sg->hrel ? "relaxed" :
	    "simple", sg->brel ? "relaxed" : "simple");
	snprintf(lbuf, sizeof lbuf, "%lld", sg->limit);
	snprintf(tbuf, sizeof tbuf, "%lld", (long long)sg->now);
	snprintf(xbuf, sizeof xbuf, "%lld", sg->expire);
	t[nt++] = (struct dkim_tag){ "v", "1", 0 };
	t[nt++] = (struct dkim_tag){ "a", dkim_alg_name(sg->alg), 0 };
	t[nt++] = (struct dkim_tag){ "b", "", 0 };
	t[nt++] = (struct dkim_tag){ "bh", bhb64, 0 };
	t[nt++] = (struct dkim_tag){ "c", canon, 0 };
	t[nt++] = (struct dkim_tag){ "d", sg->domain, 0 };
	t[nt++] = (struct dkim_tag){ "h", hl.p, 1 };
	t[nt++] = (struct dkim_tag){ "s", sg->selector, 0 };
	if (sg->identity != NULL)
		t[nt++] = (struct dkim_tag){ "i", sg->identity, 0 };
	if (sg->limit >= 0)
		t[nt++] = (struct dkim_tag){ "l", lbuf, 0 };
	if (sg->timestamps)
		t[nt++] = (struct dkim_tag){ "t", tbuf, 0 };
	if (sg->expire > 0)
		t[nt++] = (struct dkim_tag){ "x", xbuf, 0 };
	if (extra_tags(sg, t, &nt, &names) < 0) {
		snprintf(why, whylen, "bad or too many tags");
		goto out;
	}
	if (dkim_canon_headers(m, hl.p, hl.len - 1, sg->hrel, -1, &data) < 0)
		goto nomem;
	if (dkim_sign_field(&field, "DKIM-Signature", t, nt, sg->key,
	    sg->alg, sg->hrel, &data, eol) < 0) {
		snprintf(why, whylen, "cannot sign");
		goto out;
	}
	if (msg_prepend(m, field.p, field.len) < 0)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	snprintf(why, whylen, "out of memory");
out:
	buf_free(&hl);
	buf_free(&data);
	buf_free(&field);
	buf_free(&names);
	return rc;
}
