/*
 * cfg_file.h - files in xl's cfg syntax (key = "value", key = [ ... ],
 * # comments), for the configuration and the scenarios.  The reader is
 * libxlutil's, behind xen/cfg_xlu.c, so that the core includes no Xen
 * header but xentoollog's; each call is libxlutil's of the same name
 * (xlu_cfg_*), with the same arguments and results.  Private to
 * libmemrex.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#ifndef CFG_FILE_H
#define CFG_FILE_H

#include <stdio.h>

typedef struct mrx__cfg mrx__cfg;
typedef struct mrx__cfg_list mrx__cfg_list;

/* NULL when out of memory; report and what stay the caller's. */
mrx__cfg *mrx__cfg_init(FILE *report, const char *what);
/* 0 or an errno value (a syntax error is EINVAL, reported); after a
 * failure only mrx__cfg_destroy may be called. */
int mrx__cfg_readfile(mrx__cfg *cfg, const char *path);
int mrx__cfg_readdata(mrx__cfg *cfg, const char *data, int len);
void mrx__cfg_destroy(mrx__cfg *cfg);

/* 0, ESRCH when the key is absent, EINVAL when it has another type or
 * (bounded) is out of range; reported unless dont_warn. */
int mrx__cfg_get_string(const mrx__cfg *cfg, const char *key,
                        const char **value, int dont_warn);
int mrx__cfg_get_long(const mrx__cfg *cfg, const char *key, long *value,
                      int dont_warn);
int mrx__cfg_get_bounded_long(const mrx__cfg *cfg, const char *key,
                              long min, long max, long *value,
                              int dont_warn);
int mrx__cfg_get_list(const mrx__cfg *cfg, const char *key,
                      mrx__cfg_list **list, int *n, int dont_warn);
/* Item i of a list; NULL when out of range or not a string. */
const char *mrx__cfg_get_listitem(const mrx__cfg_list *list, int i);

#endif /* CFG_FILE_H */
