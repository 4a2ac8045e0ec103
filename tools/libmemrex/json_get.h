/*
 * json_get.h - typed lookups in a parsed yajl tree, for the readers of
 * the daemon's documents (status_parse.c, history_parse.c), and the
 * few helpers their writers share.  A missing
 * key, or one of another type, reads as 0, "" or false.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef JSON_GET_H
#define JSON_GET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

yajl_val mrx__json_get(yajl_val v, const char *k, yajl_type t);
/* A non-negative integer; 0 when absent. */
uint64_t mrx__json_u(yajl_val v, const char *k);
/* A number that may be absent: false leaves *dst alone. */
bool mrx__json_has_u(yajl_val v, const char *k, uint64_t *dst);
void mrx__json_s(yajl_val v, const char *k, char *dst, size_t len);
bool mrx__json_b(yajl_val v, const char *k);

/* The writers' side (status_json.c, history.c, record.c). */
void mrx__json_str(yajl_gen g, const char *s);
void mrx__json_kv_u(yajl_gen g, const char *k, uint64_t v);
void mrx__json_kv_b(yajl_gen g, const char *k, bool v);
/* The document g made, as a string the caller frees (NULL when out of
 * memory); frees g. */
char *mrx__json_take(yajl_gen g);

#endif /* JSON_GET_H */
