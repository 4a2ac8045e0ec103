/*
 * fuzz_size.c - libFuzzer target: size arguments (mrx_parse_size_kb) and
 * their formatting back; the first byte picks the default unit.
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mrx_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char units[] = "bkmgtx";
    char *s, buf[32];
    unsigned long ul;
    uint64_t kb;

    if (!size)
        return 0;
    s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    if (!mrx_parse_size_kb(s, units[data[0] % 6], &kb)) {
        mrx_format_kb(kb, buf, sizeof(buf));
        if (strlen(buf) >= sizeof(buf))
            abort();
    }
    mrx__parse_ulong(s, 65535, &ul);
    free(s);
    return 0;
}
