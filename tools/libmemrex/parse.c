/*
 * parse.c - strict parsing shared by the readers of user input (the
 * control socket, the configuration, scenarios).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "mrx_internal.h"

int mrx_parse_ulong(const char *s, unsigned long max, unsigned long *v)
{
    char *end;

    if (!isdigit((unsigned char)*s))
        return EINVAL;
    errno = 0;
    *v = strtoul(s, &end, 10);
    if (errno || *end || *v > max)
        return EINVAL;
    return 0;
}

/* libxlutil's lexer (Xen 4.17) aborts on a NUL byte inside a quoted
 * string (an assertion in xlu__cfgl_dequote): such files are refused
 * before it sees them.  Returns 0 or EINVAL, reported. */
int mrx_refuse_nul(const char *path, FILE *report)
{
    FILE *f = fopen(path, "r");
    long line = 1;
    int ch, rc = 0;

    if (!f)
        return 0;               /* libxlutil reports why */
    while ((ch = getc(f)) != EOF) {
        if (ch == '\n')
            line++;
        if (ch == '\0') {
            fprintf(report, "%s:%ld: NUL byte in the file\n", path, line);
            rc = EINVAL;
            break;
        }
    }
    fclose(f);
    return rc;
}
