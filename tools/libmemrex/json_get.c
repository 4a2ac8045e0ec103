/*
 * json_get.c - typed lookups in a parsed yajl tree (json_get.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"
#include "json_get.h"

yajl_val mrx__json_get(yajl_val v, const char *k, yajl_type t)
{
    const char *path[] = { k, NULL };

    return yajl_tree_get(v, path, t);
}

uint64_t mrx__json_u(yajl_val v, const char *k)
{
    uint64_t u = 0;

    mrx__json_has_u(v, k, &u);
    return u;
}

bool mrx__json_has_u(yajl_val v, const char *k, uint64_t *dst)
{
    yajl_val n = mrx__json_get(v, k, yajl_t_number);

    if (!n || !YAJL_IS_INTEGER(n) || YAJL_GET_INTEGER(n) < 0)
        return false;
    *dst = (uint64_t)YAJL_GET_INTEGER(n);
    return true;
}

void mrx__json_s(yajl_val v, const char *k, char *dst, size_t len)
{
    yajl_val n = mrx__json_get(v, k, yajl_t_string);

    mrx__strlcpy(dst, n ? YAJL_GET_STRING(n) : "", len);
}

bool mrx__json_b(yajl_val v, const char *k)
{
    yajl_val n = mrx__json_get(v, k, yajl_t_any);

    return n && YAJL_IS_TRUE(n);
}

void mrx__json_str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

void mrx__json_kv_u(yajl_gen g, const char *k, uint64_t v)
{
    mrx__json_str(g, k);
    yajl_gen_integer(g, (long long)v);
}

void mrx__json_kv_b(yajl_gen g, const char *k, bool v)
{
    mrx__json_str(g, k);
    yajl_gen_bool(g, v);
}

char *mrx__json_take(yajl_gen g)
{
    const unsigned char *buf;
    char *res = NULL;
    size_t len;

    if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
        (res = malloc(len + 1))) {
        memcpy(res, buf, len);
        res[len] = '\0';
    }
    yajl_gen_free(g);
    return res;
}
