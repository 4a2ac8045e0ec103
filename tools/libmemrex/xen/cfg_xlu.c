/*
 * cfg_xlu.c - cfg_file.h on libxlutil's reader of xl's cfg syntax.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <libxlutil.h>

#include "cfg_file.h"

mrx__cfg *mrx__cfg_init(FILE *report, const char *what)
{
    return (mrx__cfg *)xlu_cfg_init(report, what);
}

int mrx__cfg_readfile(mrx__cfg *cfg, const char *path)
{
    return xlu_cfg_readfile((XLU_Config *)cfg, path);
}

int mrx__cfg_readdata(mrx__cfg *cfg, const char *data, int len)
{
    return xlu_cfg_readdata((XLU_Config *)cfg, data, len);
}

void mrx__cfg_destroy(mrx__cfg *cfg)
{
    xlu_cfg_destroy((XLU_Config *)cfg);
}

int mrx__cfg_get_string(const mrx__cfg *cfg, const char *key,
                        const char **value, int dont_warn)
{
    return xlu_cfg_get_string((const XLU_Config *)cfg, key, value,
                              dont_warn);
}

int mrx__cfg_get_long(const mrx__cfg *cfg, const char *key, long *value,
                      int dont_warn)
{
    return xlu_cfg_get_long((const XLU_Config *)cfg, key, value, dont_warn);
}

int mrx__cfg_get_bounded_long(const mrx__cfg *cfg, const char *key,
                              long min, long max, long *value,
                              int dont_warn)
{
    return xlu_cfg_get_bounded_long((const XLU_Config *)cfg, key, min, max,
                                    value, dont_warn);
}

int mrx__cfg_get_list(const mrx__cfg *cfg, const char *key,
                      mrx__cfg_list **list, int *n, int dont_warn)
{
    return xlu_cfg_get_list((const XLU_Config *)cfg, key,
                            (XLU_ConfigList **)list, n, dont_warn);
}

const char *mrx__cfg_get_listitem(const mrx__cfg_list *list, int i)
{
    return xlu_cfg_get_listitem((const XLU_ConfigList *)list, i);
}
