/*
 * parse.c - strict parsing shared by the readers of user input (the
 * control socket, the configuration, scenarios).
 *
 * SPDX-License-Identifier: LGPL-2.1-only
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mrx_internal.h"

int mrx__parse_ulong(const char *s, unsigned long max, unsigned long *v)
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

/* What libxlutil (Xen 4.17) cannot read cleanly is refused before it
 * sees it: a file that cannot be opened (it says "Success"), one that is
 * not a regular file (a directory: "input in flex scanner failed"), and
 * one with a NUL byte (its lexer aborts on one inside a quoted string,
 * an assertion in xlu__cfgl_dequote).  Returns 0 or EINVAL, reported. */
int mrx__cfg_file_check(const char *path, FILE *report)
{
    FILE *f = fopen(path, "re");
    struct stat st;
    long line = 1;
    int ch, rc = 0;

    if (!f) {
        fprintf(report, "%s: cannot read: %s\n", path, strerror(errno));
        return EINVAL;
    }
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
        fprintf(report, "%s: not a regular file\n", path);
        fclose(f);
        return EINVAL;
    }
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
