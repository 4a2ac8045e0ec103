/*
 * config.c - /etc/xen/membalance.conf, in xl cfg syntax:
 *
 *   policy = "cooperative"
 *   interval = 5                 # seconds
 *   host_reserve = "128m"
 *   dom0_min = "1g"
 *   manage_dom0 = 0
 *   default_min = "256m"
 *   default_weight = 256
 *   rules = [ "pattern=db-*,min=1g,max=8g,weight=512",
 *             "pattern=backup-*,exclude" ]
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxlutil.h>

#include "mrx_internal.h"

typedef struct cfg_ctx {
    XLU_Config *cfg;
    const char *path;
    FILE *report;
} cfg_ctx;

static int size_key(cfg_ctx *c, const char *key, uint64_t *kb)
{
    const char *s;
    int rc = xlu_cfg_get_string(c->cfg, key, &s, 1);

    if (rc == ESRCH)
        return 0;
    if (rc || mrx_parse_size_kb(s, 'm', kb)) {
        fprintf(c->report, "%s: '%s' must be a size such as \"512m\" or "
                "\"2g\"\n", c->path, key);
        return EINVAL;
    }
    return 0;
}

static int long_key(cfg_ctx *c, const char *key, long lo, long hi, long *v)
{
    int rc = xlu_cfg_get_bounded_long(c->cfg, key, lo, hi, v, 0);

    return rc == ESRCH ? 0 : rc;
}

/* "pattern=web*,min=256m,max=2g,weight=512,sla=200" or ",exclude". */
static int parse_rule(cfg_ctx *c, const char *item, int idx, mrx_rule *r)
{
    char buf[512], *tok, *save = NULL;
    unsigned long u;
    char *end;

    memset(r, 0, sizeof(*r));
    if (strlen(item) >= sizeof(buf))
        goto bad;
    strcpy(buf, item);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *v = strchr(tok, '=');

        if (!strcmp(tok, "exclude")) {
            r->exclude = true;
            continue;
        }
        if (!v)
            goto bad;
        *v++ = '\0';
        if (!strcmp(tok, "pattern")) {
            if (!*v || strlen(v) >= sizeof(r->pattern))
                goto bad;
            mrx_strlcpy(r->pattern, v, sizeof(r->pattern));
        } else if (!strcmp(tok, "min")) {
            if (mrx_parse_size_kb(v, 'm', &r->min_kb))
                goto bad;
        } else if (!strcmp(tok, "max")) {
            if (mrx_parse_size_kb(v, 'm', &r->max_kb))
                goto bad;
        } else if (!strcmp(tok, "weight") || !strcmp(tok, "sla")) {
            if (!*v || *v == '-')
                goto bad;
            errno = 0;
            u = strtoul(v, &end, 10);
            if (errno || *end || !u || u > 1000000)
                goto bad;
            if (*tok == 'w')
                r->weight = (unsigned)u;
            else
                r->sla_limit = (uint32_t)u;
        } else {
            fprintf(c->report, "%s: rules[%d]: unknown key '%s'\n",
                    c->path, idx, tok);
            return EINVAL;
        }
    }
    if (!r->pattern[0]) {
        fprintf(c->report, "%s: rules[%d]: pattern= is required\n",
                c->path, idx);
        return EINVAL;
    }
    if (r->min_kb && r->max_kb && r->min_kb > r->max_kb) {
        fprintf(c->report, "%s: rules[%d]: min above max\n", c->path, idx);
        return EINVAL;
    }
    return 0;
bad:
    fprintf(c->report, "%s: rules[%d]: bad rule '%s'\n", c->path, idx, item);
    return EINVAL;
}

static int read_cfg(cfg_ctx *c, mrx_params *p)
{
    XLU_ConfigList *list;
    const char *s;
    long v;
    int n, i, rc;

    rc = xlu_cfg_get_string(c->cfg, "policy", &s, 1);
    if (!rc) {
        if (!mrx_policy_find(s)) {
            char names[256];

            mrx_policy_names(names, sizeof(names));
            fprintf(c->report, "%s: unknown policy '%s' (known: %s)\n",
                    c->path, s, names);
            return EINVAL;
        }
        mrx_strlcpy(p->policy, s, sizeof(p->policy));
    }
    v = p->interval_ms / 1000;
    if ((rc = long_key(c, "interval", 1, 3600, &v)))
        return rc;
    p->interval_ms = (uint32_t)v * 1000;
    if ((rc = size_key(c, "host_reserve", &p->host_reserve_kb)) ||
        (rc = size_key(c, "dom0_min", &p->dom0_min_kb)) ||
        (rc = size_key(c, "default_min", &p->default_min_kb)) ||
        (rc = size_key(c, "deadband", &p->deadband_kb)))
        return rc;
    v = p->manage_dom0;
    if ((rc = long_key(c, "manage_dom0", 0, 1, &v)))
        return rc;
    p->manage_dom0 = v;
    v = p->default_weight;
    if ((rc = long_key(c, "default_weight", 1, 65535, &v)))
        return rc;
    p->default_weight = (unsigned)v;

    rc = xlu_cfg_get_list(c->cfg, "rules", &list, &n, 1);
    if (rc == ESRCH)
        return 0;
    if (rc) {
        fprintf(c->report, "%s: 'rules' must be a list of strings\n",
                c->path);
        return rc;
    }
    if (n > MRX_MAX_RULES) {
        fprintf(c->report, "%s: at most %d rules\n", c->path, MRX_MAX_RULES);
        return EINVAL;
    }
    p->nrules = 0;
    for (i = 0; i < n; i++) {
        const char *item = xlu_cfg_get_listitem(list, i);

        if (!item) {
            fprintf(c->report, "%s: rules[%d] is not a string\n", c->path, i);
            return EINVAL;
        }
        if ((rc = parse_rule(c, item, i, &p->rule[p->nrules])))
            return rc;
        p->nrules++;
    }
    return 0;
}

int mrx_config_load(const char *path, FILE *report, mrx_params *p)
{
    cfg_ctx c = { .path = path, .report = report };
    mrx_params np = *p;
    int rc;

    c.cfg = xlu_cfg_init(report, path);
    if (!c.cfg)
        return ENOMEM;
    rc = xlu_cfg_readfile(c.cfg, path);
    if (rc) {
        if (rc != EINVAL)
            fprintf(report, "%s: cannot read: %s\n", path, strerror(rc));
        goto out;
    }
    rc = read_cfg(&c, &np);
    if (!rc)
        *p = np;
out:
    xlu_cfg_destroy(c.cfg);
    return rc;
}
