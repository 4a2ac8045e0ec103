/*
 * config.c - /etc/xen/membalance.conf, in xl cfg syntax, read with
 * libxlutil.  Every key is in one table: its type, bounds and place in
 * mrx_params.  For example:
 *
 *   policy = "cooperative"
 *   interval = 5                 # seconds
 *   host_reserve = "128m"
 *   dom0_min = "1g"
 *   manage_dom0 = 0
 *   selfballoon_downhysteresis = 8
 *   rules = [ "pattern=db-*,min=1g,max=8g,weight=512,policy=sla,sla=200",
 *             "pattern=backup-*,exclude" ]
 *   sla_levels = [ "512m:20", "1g:40", "2g:80" ]
 *
 * Errors name the file and line; unknown keys are warned about.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_file.h"

#include "mrx_internal.h"

typedef enum { K_SIZE, K_U32, K_SECS, K_BOOL, K_POLICY, K_LIST } key_type;

typedef struct key_def {
    const char *name;
    key_type type;
    size_t off;
    unsigned long min, max;
} key_def;

#define P(f) offsetof(mrx_params, f)

static const key_def keys[] = {
    { "policy", K_POLICY, P(policy), 0, 0 },
    { "interval", K_SECS, P(interval_ms), 1, 3600 },
    { "host_reserve", K_SIZE, P(host_reserve_kb), 0, 0 },
    { "dom0_min", K_SIZE, P(dom0_min_kb), 0, 0 },
    { "manage_dom0", K_BOOL, P(manage_dom0), 0, 1 },
    { "default_min", K_SIZE, P(default_min_kb), 0, 0 },
    { "default_weight", K_U32, P(default_weight), 1, 65535 },
    { "deadband", K_SIZE, P(deadband_kb), 0, 0 },
    { "stuck_tolerance", K_SIZE, P(stuck_tolerance_kb), 0, 0 },
    { "stuck_after", K_SECS, P(stuck_after_ms), 1, 3600 },
    { "stuck_hold", K_SECS, P(stuck_hold_ms), 1, 86400 },
    { "stale_after", K_SECS, P(stale_after_ms), 1, 86400 },
    { "boot_grace", K_SECS, P(boot_grace_ms), 0, 3600 },
    { "distress_margin", K_SIZE, P(distress_margin_kb), 0, 0 },
    { "distress_margin_pct", K_U32, P(distress_margin_pct), 0, 50 },
    { "distress_stall_pct100", K_U32, P(distress_stall_pct), 1, 10000 },
    { "pressure_target_us", K_U32, P(pressure.target_us), 1, 60000000 },
    { "pressure_period", K_SECS, P(pressure.period_ms), 1, 3600 },
    { "pressure_max_probe_pm", K_U32, P(pressure.max_probe_pm), 0, 1000 },
    { "pressure_max_backoff_pm", K_U32, P(pressure.max_backoff_pm), 0,
      10000 },
    { "pressure_coeff_probe", K_U32, P(pressure.coeff_probe), 1, 1000 },
    { "pressure_coeff_backoff", K_U32, P(pressure.coeff_backoff), 1, 1000 },
    { "free_filter_jump", K_SIZE, P(fmd_kb), 0, 0 },
    { "free_filter_samples", K_U32, P(filter_k), 1, MRX_FILTER_K },
    { "dry_run", K_BOOL, P(dry_run), 0, 1 },
    { "libxl_sync", K_SECS, P(libxl_sync_ms), 0, 3600 },
    { "adaptive_load_high", K_U32, P(adaptive.load_high), 1, 100000 },
    { "adaptive_load_low", K_U32, P(adaptive.load_low), 0, 100000 },
    { "adaptive_free_low_pct", K_U32, P(adaptive.free_low_pct), 0, 100 },
    { "adaptive_free_high_pct", K_U32, P(adaptive.free_high_pct), 0, 100 },
    { "adaptive_wide_margin_pct", K_U32, P(adaptive.wide_margin_pct), 1,
      1000 },
    { "adaptive_step_small_pct", K_U32, P(adaptive.step_small_pct), 1, 100 },
    { "adaptive_step_large_pct", K_U32, P(adaptive.step_large_pct), 1, 100 },
    { "adaptive_grace_base", K_SECS, P(adaptive.grace_base_ms), 0, 3600 },
    { "adaptive_grace_per_mib_ms", K_U32, P(adaptive.grace_per_mib_ms), 0,
      60000 },
    { "sla_within_pct", K_U32, P(sla.within_pct), 1, 100 },
    { "sla_hold", K_SECS, P(sla.hold_ms), 0, 3600 },
    { "sla_levels", K_LIST, 0, 0, 0 },
    { "selfballoon_reserve", K_SIZE, P(selfballoon.reserve_kb), 0, 0 },
    { "selfballoon_downhysteresis", K_U32, P(selfballoon.downhysteresis), 1,
      1000 },
    { "selfballoon_uphysteresis", K_U32, P(selfballoon.uphysteresis), 1,
      1000 },
    { "selfballoon_min_usable", K_SIZE, P(selfballoon.min_usable_kb), 0, 0 },
    { "cooperative_tau_milli", K_U32, P(cooperative.tau_milli), 0, 999 },
    { "cooperative_eps_milli", K_U32, P(cooperative.eps_milli), 0, 1000 },
    { "cooperative_up_ratio_pct", K_U32, P(cooperative.up_ratio_pct), 1,
      100 },
    { "cooperative_down_ratio_pct", K_U32, P(cooperative.down_ratio_pct), 1,
      100 },
    { "rules", K_LIST, 0, 0, 0 },
};

#define MAX_SEEN 256

typedef struct cfg_ctx {
    mrx__cfg *cfg;
    const char *path;
    FILE *report;
    unsigned nseen;
    struct { char key[48]; int line; } seen[MAX_SEEN];
} cfg_ctx;

/* Line of "key =" in the file (0 if not found): libxlutil keeps none. */
static int line_of(const cfg_ctx *c, const char *key)
{
    unsigned i;

    for (i = 0; i < c->nseen; i++)
        if (!strcmp(c->seen[i].key, key))
            return c->seen[i].line;
    return 0;
}

static void err(const cfg_ctx *c, const char *key, const char *fmt,
                const char *a)
{
    fprintf(c->report, "%s:%d: ", c->path, line_of(c, key));
    fprintf(c->report, fmt, a);
    fputc('\n', c->report);
}

/* Finds the keys the file sets, to warn about unknown ones and to give
 * line numbers in errors. */
static void scan_keys(cfg_ctx *c)
{
    FILE *f = fopen(c->path, "r");
    char line[1024];
    int no = 0;

    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *p = line, *k;
        size_t n;
        unsigned i;
        bool known = false;

        no++;
        while (isspace((unsigned char)*p))
            p++;
        if (!isalpha((unsigned char)*p) && *p != '_')
            continue;
        k = p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        n = (size_t)(p - k);
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=' || n >= sizeof(c->seen[0].key))
            continue;
        if (c->nseen < MAX_SEEN) {
            memcpy(c->seen[c->nseen].key, k, n);
            c->seen[c->nseen].key[n] = '\0';
            c->seen[c->nseen].line = no;
            c->nseen++;
        }
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (strlen(keys[i].name) == n && !strncmp(keys[i].name, k, n))
                known = true;
        if (!known)
            fprintf(c->report, "%s:%d: warning: unknown key '%.*s' "
                    "ignored\n", c->path, no, (int)n, k);
    }
    fclose(f);
}

static int parse_u32(const char *v, unsigned long max, uint32_t *out)
{
    unsigned long u;
    int rc = mrx__parse_ulong(v, max, &u);

    if (!rc)
        *out = (uint32_t)u;
    return rc;
}

/* "pattern=web*,min=256m,max=2g,weight=512,policy=sla,sla=200" or
 * "pattern=backup-*,exclude" (the keys and values in rule_parse.c). */
static int parse_rule(cfg_ctx *c, const char *item, mrx_rule *r)
{
    char buf[512], why[200], *tok, *v, *save = NULL;
    unsigned bit, seen = 0;

    memset(r, 0, sizeof(*r));
    if (strlen(item) >= sizeof(buf)) {
        snprintf(why, sizeof(why), "longer than %zu bytes", sizeof(buf) - 1);
        goto bad;
    }
    strcpy(buf, item);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        v = strchr(tok, '=');
        if (v)
            *v++ = '\0';
        bit = mrx__rule_key(tok);
        if (bit && (seen & bit)) {
            snprintf(why, sizeof(why), "%s given twice", tok);
            goto bad;
        }
        seen |= bit;
        if (mrx__rule_value(r, bit, tok, v, why, sizeof(why)))
            goto bad;
    }
    if (!r->pattern[0]) {
        snprintf(why, sizeof(why), "pattern= is required");
        goto bad;
    }
    if (mrx_rule_check(r, why, sizeof(why)))
        goto bad;
    return 0;
bad:
    fprintf(c->report, "%s:%d: rule '%s': %s\n", c->path,
            line_of(c, "rules"), item, why);
    return EINVAL;
}

/* "512m:20": memory and CPU cap (percent of a CPU) of one SLA level. */
static int parse_level(const char *item, mrx_sla_level *l)
{
    char buf[64], *colon;
    uint32_t cap;

    if (strlen(item) >= sizeof(buf))
        return EINVAL;
    strcpy(buf, item);
    colon = strchr(buf, ':');
    if (!colon)
        return EINVAL;
    *colon = '\0';
    if (mrx_parse_size_kb(buf, 'm', &l->mem_kb) || !l->mem_kb ||
        parse_u32(colon + 1, 6400, &cap))
        return EINVAL;
    l->cpu_cap = (int)cap;
    return 0;
}

static int read_list(cfg_ctx *c, const char *key, mrx_params *p)
{
    mrx__cfg_list *list;
    int n, i, rc;
    unsigned max = !strcmp(key, "rules") ? MRX_MAX_RULES : MRX_SLA_LEVELS;

    rc = mrx__cfg_get_list(c->cfg, key, &list, &n, 1);
    if (rc == ESRCH)
        return 0;
    if (rc || n < 0 || (unsigned)n > max) {
        fprintf(c->report, "%s:%d: '%s' must be a list of at most %u "
                "strings\n", c->path, line_of(c, key), key, max);
        return EINVAL;
    }
    for (i = 0; i < n; i++) {
        const char *item = mrx__cfg_get_listitem(list, i);

        if (!item) {
            err(c, key, "'%s' must hold strings", key);
            return EINVAL;
        }
        if (!strcmp(key, "rules")) {
            if ((rc = parse_rule(c, item, &p->rule[i])))
                return rc;
        } else if (parse_level(item, &p->sla.level[i])) {
            err(c, key, "bad SLA level '%s' (want SIZE:CPU_CAP, e.g. "
                "\"512m:20\")", item);
            return EINVAL;
        } else if (i && p->sla.level[i].mem_kb <= p->sla.level[i - 1].mem_kb) {
            err(c, key, "SLA level '%s' must have more memory than the "
                "one before", item);
            return EINVAL;
        }
    }
    if (!strcmp(key, "rules"))
        p->nrules = (unsigned)n;
    else
        p->sla.nlevels = (unsigned)n;
    return 0;
}

static int read_key(cfg_ctx *c, const key_def *k, mrx_params *p)
{
    void *dst = (char *)p + k->off;
    const char *s;
    long v;
    int rc;

    switch (k->type) {
    case K_LIST:
        return read_list(c, k->name, p);
    case K_POLICY:
        rc = mrx__cfg_get_string(c->cfg, k->name, &s, 1);
        if (rc == ESRCH)
            return 0;
        if (rc || !mrx_policy_find(s)) {
            char names[256];

            mrx_policy_names(names, sizeof(names));
            fprintf(c->report, "%s:%d: unknown policy '%s' (known: %s)\n",
                    c->path, line_of(c, k->name), rc ? "?" : s, names);
            return EINVAL;
        }
        mrx__strlcpy(dst, s, MRX_POLICY_LEN);
        return 0;
    case K_SIZE:
        rc = mrx__cfg_get_string(c->cfg, k->name, &s, 1);
        if (rc == ESRCH)
            return 0;
        if (rc || mrx_parse_size_kb(s, 'm', dst)) {
            err(c, k->name, "'%s' must be a size such as \"512m\" or "
                "\"2g\"", k->name);
            return EINVAL;
        }
        return 0;
    default:
        rc = mrx__cfg_get_long(c->cfg, k->name, &v, 1);
        if (rc == ESRCH)
            return 0;
        if (rc || v < (long)k->min || v > (long)k->max) {
            fprintf(c->report, "%s:%d: '%s' must be an integer from %lu "
                    "to %lu\n", c->path, line_of(c, k->name), k->name,
                    k->min, k->max);
            return EINVAL;
        }
        if (k->type == K_BOOL)
            *(bool *)dst = v != 0;
        else if (k->type == K_SECS)
            *(uint32_t *)dst = (uint32_t)v * 1000;
        else
            *(uint32_t *)dst = (uint32_t)v;
        return 0;
    }
}

/* Whether kb is below floor (0 counts as not set when unset_ok); if
 * so, why says so. */
static bool below(const char *key, uint64_t kb, bool unset_ok,
                  uint64_t floor, char *why, size_t len)
{
    char a[16], b[16];

    if ((unset_ok && !kb) || kb >= floor)
        return false;
    snprintf(why, len, "%s %s is below the floor of %s", key,
             mrx_format_kb(kb, a, sizeof(a)),
             mrx_format_kb(floor, b, sizeof(b)));
    return true;
}

int mrx_rule_check(const mrx_rule *r, char *why, size_t len)
{
    char a[16], b[16];

    if (below("min", r->min_kb, true, MRX_DOMU_FLOOR_KB, why, len) ||
        below("max", r->max_kb, true, MRX_DOMU_FLOOR_KB, why, len))
        return EINVAL;
    if (r->min_kb && r->max_kb && r->min_kb > r->max_kb) {
        snprintf(why, len, "min %s above max %s",
                 mrx_format_kb(r->min_kb, a, sizeof(a)),
                 mrx_format_kb(r->max_kb, b, sizeof(b)));
        return EINVAL;
    }
    return 0;
}

int mrx_params_check(const mrx_params *p, uint64_t host_total_kb,
                     char *why, size_t len)
{
    char a[16], b[16];
    unsigned i;

    for (i = 0; i < p->nrules; i++)
        if (mrx_rule_check(&p->rule[i], why, len))
            return EINVAL;
    if (below("default_min", p->default_min_kb, false, MRX_DOMU_FLOOR_KB,
              why, len) ||
        below("dom0_min", p->dom0_min_kb, false, MRX_DOM0_FLOOR_KB, why,
              len))
        return EINVAL;
    if (host_total_kb && p->host_reserve_kb >= host_total_kb) {
        snprintf(why, len, "host_reserve %s is not smaller than the host "
                 "(%s)", mrx_format_kb(p->host_reserve_kb, a, sizeof(a)),
                 mrx_format_kb(host_total_kb, b, sizeof(b)));
        return EINVAL;
    }
    return 0;
}

int mrx_config_load(const char *path, FILE *report, mrx_params *p)
{
    cfg_ctx *c = calloc(1, sizeof(*c));
    mrx_params np = *p;
    char why[160];
    unsigned i;
    int rc;

    if (!c)
        return ENOMEM;
    c->path = path;
    c->report = report;
    c->cfg = mrx__cfg_init(report, path);
    if (!c->cfg) {
        free(c);
        return ENOMEM;
    }
    rc = mrx__cfg_file_check(path, report);
    if (!rc)
        rc = mrx__cfg_readfile(c->cfg, path);
    if (rc) {
        if (rc != EINVAL)
            fprintf(report, "%s: cannot read: %s\n", path, strerror(rc));
        goto out;
    }
    scan_keys(c);
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if ((rc = read_key(c, &keys[i], &np)))
            goto out;
    if (mrx_params_check(&np, 0, why, sizeof(why))) {
        fprintf(report, "%s: %s\n", path, why);
        rc = EINVAL;
        goto out;
    }
    if (np.adaptive.load_low > np.adaptive.load_high ||
        np.adaptive.free_low_pct > np.adaptive.free_high_pct) {
        fprintf(report, "%s: adaptive thresholds: low above high\n", path);
        rc = EINVAL;
        goto out;
    }
    *p = np;
out:
    mrx__cfg_destroy(c->cfg);
    free(c);
    return rc;
}
