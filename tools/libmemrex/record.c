/*
 * record.c - recordings of what a backend samples: a backend that wraps
 * another and writes every tick's snapshot as one JSON line, before the
 * engine sees it, and the reader of those lines (replay.c plays them
 * back).  One line:
 *
 *   {"now_ms":N,"host_total_kb":N,"host_free_kb":N,"domains":[
 *     {"domid":N,"name":S,"current_kb":N,"target_kb":N,
 *      "static_max_kb":N,"cpu_cap":N,"vcpus":N,"report":S}, ...]}
 *
 * "report" is the guest's report as its agent writes it (absent when
 * the domain had none), read back by mrx_guest_report_parse with the
 * same bounds as a live one.  Bounded: at MRX_RECORD_MAX_BYTES the file
 * is renamed FILE.1 (replacing the last one) and a new FILE begun.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "mrx_internal.h"
#include "json_get.h"

#define REPORT_MAX 1024

typedef struct recorder {
    mrx_backend b;
    mrx_backend_ops ops;         /* the inner one's, through this one */
    mrx_backend *inner;
    char path[256];
    FILE *f;
    uint64_t bytes;
    uint64_t max_bytes;
    bool failed_logged;
} recorder;

#define LOG(r, lvl, err, ...) \
    xtl_log((r)->b.lg, XTL_##lvl, err, "membalance", __VA_ARGS__)

char *mrx__record_line(const mrx_snapshot *s)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    char report[REPORT_MAX], *res = NULL;
    unsigned i;

    if (!g)
        return NULL;
    yajl_gen_map_open(g);
    mrx__json_kv_u(g, "now_ms", s->now_ms);
    mrx__json_kv_u(g, "host_total_kb", s->host_total_kb);
    mrx__json_kv_u(g, "host_free_kb", s->host_free_kb);
    mrx__json_str(g, "domains");
    yajl_gen_array_open(g);
    for (i = 0; i < s->n; i++) {
        const mrx_dom *d = &s->dom[i];

        yajl_gen_map_open(g);
        mrx__json_kv_u(g, "domid", d->domid);
        mrx__json_str(g, "name");
        mrx__json_str(g, d->name);
        mrx__json_kv_u(g, "current_kb", d->current_kb);
        mrx__json_kv_u(g, "target_kb", d->target_kb);
        mrx__json_kv_u(g, "static_max_kb", d->static_max_kb);
        mrx__json_kv_u(g, "cpu_cap", d->cpu_cap > 0 ? (uint64_t)d->cpu_cap : 0);
        mrx__json_kv_u(g, "vcpus", d->vcpus);
        if (d->gs.valid &&
            mrx__guest_report_format(&d->gs, report, sizeof(report)) > 0) {
            mrx__json_str(g, "report");
            mrx__json_str(g, report);
        }
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    res = mrx__json_take(g);
    return res;
}

int mrx__record_parse(const char *line, mrx_snapshot *s, char *why,
                      size_t len)
{
    char err[128] = "", rwhy[128];
    const char *txt;
    yajl_val root, doms, rep;
    size_t i;
    int rc = EINVAL;

    mrx_snapshot_clear(s);
    root = yajl_tree_parse(line, err, sizeof(err));
    if (!root) {
        snprintf(why, len, "not JSON: %s", err);
        return EINVAL;
    }
    doms = mrx__json_get(root, "domains", yajl_t_array);
    if (!doms || !mrx__json_u(root, "host_total_kb")) {
        snprintf(why, len, "no domains array or host_total_kb");
        goto out;
    }
    if (YAJL_GET_ARRAY(doms)->len > MRX_RECORD_MAX_DOMS) {
        snprintf(why, len, "%zu domains (at most %d)",
                 YAJL_GET_ARRAY(doms)->len, MRX_RECORD_MAX_DOMS);
        goto out;
    }
    s->now_ms = mrx__json_u(root, "now_ms");
    s->host_total_kb = mrx__json_u(root, "host_total_kb");
    s->host_free_kb = MRX_MIN(mrx__json_u(root, "host_free_kb"),
                              s->host_total_kb);
    for (i = 0; i < YAJL_GET_ARRAY(doms)->len; i++) {
        yajl_val v = YAJL_GET_ARRAY(doms)->values[i];
        uint64_t domid = mrx__json_u(v, "domid");
        mrx_dom *d;

        if (!YAJL_IS_OBJECT(v) || domid > MRX_DOMID_MAX) {
            snprintf(why, len, "domain %zu: not an object with a domid",
                     i);
            goto out;
        }
        if (mrx_snapshot_find(s, (uint32_t)domid)) {
            snprintf(why, len, "domain %" PRIu64 " twice", domid);
            goto out;
        }
        d = mrx_snapshot_add(s);
        if (!d) {
            snprintf(why, len, "out of memory");
            rc = ENOMEM;
            goto out;
        }
        d->domid = (uint32_t)domid;
        d->is_dom0 = domid == 0;        /* as the backends say it */
        mrx__json_s(v, "name", d->name, sizeof(d->name));
        d->static_max_kb = MRX_MIN(mrx__json_u(v, "static_max_kb"),
                                   s->host_total_kb);
        d->current_kb = MRX_MIN(mrx__json_u(v, "current_kb"),
                                s->host_total_kb);
        d->target_kb = MRX_MIN(mrx__json_u(v, "target_kb"),
                               s->host_total_kb);
        d->cpu_cap = (int)MRX_MIN(mrx__json_u(v, "cpu_cap"), 6400);
        d->vcpus = (unsigned)MRX_MIN(mrx__json_u(v, "vcpus"), 4096);
        rep = mrx__json_get(v, "report", yajl_t_string);
        txt = rep ? YAJL_GET_STRING(rep) : NULL;
        /* read as a live report is, with the same bounds */
        if (txt && mrx_guest_report_parse(txt, strlen(txt),
                                          d->static_max_kb,
                                          s->host_total_kb, &d->gs, rwhy,
                                          sizeof(rwhy)))
            memset(&d->gs, 0, sizeof(d->gs));
    }
    rc = 0;
out:
    yajl_tree_free(root);
    return rc;
}

/* Writes s; rotates the file once it is past its bound. */
static void record(recorder *r, const mrx_snapshot *s)
{
    char *line = mrx__record_line(s), old[sizeof(r->path) + 4];
    size_t n;

    if (!line || !r->f)
        goto out;
    n = strlen(line);
    if (fputs(line, r->f) < 0 || fputc('\n', r->f) == EOF ||
        fflush(r->f)) {
        if (!r->failed_logged)
            LOG(r, ERROR, errno, "recording to %s (logged once)", r->path);
        r->failed_logged = true;
        goto out;
    }
    r->bytes += n + 1;
    if (r->bytes < r->max_bytes)
        goto out;
    snprintf(old, sizeof(old), "%s.1", r->path);
    fclose(r->f);
    if (rename(r->path, old))
        LOG(r, WARN, errno, "recording: renaming %s", r->path);
    r->f = fopen(r->path, "we");
    r->bytes = 0;
    if (!r->f)
        LOG(r, ERROR, errno, "recording: reopening %s", r->path);
out:
    free(line);
}

static int rec_sample(mrx_backend *b, mrx_snapshot *s)
{
    recorder *r = (recorder *)b;
    int rc = r->inner->ops->sample(r->inner, s);

    if (!rc)
        record(r, s);
    return rc;
}

static int rec_set_target(mrx_backend *b, uint32_t domid, uint64_t kb)
{
    recorder *r = (recorder *)b;

    return r->inner->ops->set_target(r->inner, domid, kb);
}

static int rec_set_cpu_cap(mrx_backend *b, uint32_t domid, int cap)
{
    recorder *r = (recorder *)b;

    return r->inner->ops->set_cpu_cap ?
           r->inner->ops->set_cpu_cap(r->inner, domid, cap) : -ENOTSUP;
}

static int rec_wait(mrx_backend *b, uint32_t timeout_ms, int stop_fd)
{
    recorder *r = (recorder *)b;

    return r->inner->ops->wait(r->inner, timeout_ms, stop_fd);
}

static int rec_publish(mrx_backend *b, const char *json)
{
    recorder *r = (recorder *)b;

    return r->inner->ops->publish ? r->inner->ops->publish(r->inner, json)
                                  : 0;
}

static void rec_configure(mrx_backend *b, const mrx_params *p)
{
    recorder *r = (recorder *)b;

    if (r->inner->ops->configure)
        r->inner->ops->configure(r->inner, p);
}

static void rec_destroy(mrx_backend *b)
{
    recorder *r = (recorder *)b;

    if (r->f)
        fclose(r->f);
    mrx_backend_destroy(r->inner);
    free(r);
}

mrx_backend *mrx_record_new(mrx_backend *inner, const char *path,
                            xentoollog_logger *lg)
{
    recorder *r;

    if (strlen(path) >= sizeof(r->path)) {
        xtl_log(lg, XTL_ERROR, -1, "membalance", "recording: path too "
                "long: %.64s...", path);
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->ops = *inner->ops;
    r->ops.sample = rec_sample;
    r->ops.set_target = rec_set_target;
    r->ops.set_cpu_cap = inner->ops->set_cpu_cap ? rec_set_cpu_cap : NULL;
    r->ops.wait = rec_wait;
    r->ops.publish = inner->ops->publish ? rec_publish : NULL;
    r->ops.configure = inner->ops->configure ? rec_configure : NULL;
    r->ops.destroy = rec_destroy;
    r->b.ops = &r->ops;
    r->b.lg = lg;
    r->inner = inner;
    r->max_bytes = MRX_RECORD_MAX_BYTES;
    mrx__strlcpy(r->path, path, sizeof(r->path));
    r->f = fopen(path, "ae");
    if (!r->f) {
        xtl_log(lg, XTL_ERROR, errno, "membalance", "recording to %s",
                path);
        free(r);
        return NULL;
    }
    fseek(r->f, 0, SEEK_END);
    r->bytes = (uint64_t)MRX_MAX(ftell(r->f), 0L);
    return &r->b;
}
