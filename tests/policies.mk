# The seed policies against hand-computed numbers (tests/check_policies.c).
check_PROGRAMS += tests/check_policies
TESTS += tests/check_policies
tests_check_policies_SOURCES = tests/check_policies.c
tests_check_policies_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(XENTOOLLOG_CFLAGS)
tests_check_policies_LDADD = tools/libmemrex/libmemrex_core.la $(CHECK_LIBS)
