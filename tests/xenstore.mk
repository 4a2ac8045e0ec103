# XenStore tests: the strict guest-stats parser (no daemon), and the
# agent, reader, watches and status document against a real, test-only
# xenstored (tests/xenstore/build-xenstored.sh; `make xenstored-nohv`).
check_PROGRAMS += tests/check_xenstore
TESTS += tests/check_xenstore tests/xenstore/run-check-xenstore.sh
tests_check_xenstore_SOURCES = tests/check_xenstore.c
tests_check_xenstore_CFLAGS = $(AM_CFLAGS) -pthread $(CHECK_CFLAGS) \
	$(XENSTORE_CFLAGS) $(XENTOOLLOG_CFLAGS)
tests_check_xenstore_LDADD = tools/libmemrex/libmemrex_core.la $(CHECK_LIBS) \
	$(XENSTORE_LIBS) $(XENTOOLLOG_LIBS) -lpthread

EXTRA_DIST += tests/xenstore/build-xenstored.sh \
	tests/xenstore/with-xenstored.sh \
	tests/xenstore/run-check-xenstore.sh \
	tests/xenstore/xenstored-test-nohv.patch

# Builds the test-only xenstored that run-check-xenstore.sh runs
# (downloads Debian's Xen source once; needs a bookworm deb-src entry).
xenstored-nohv:
	$(abs_top_srcdir)/tests/xenstore/build-xenstored.sh \
		$(abs_top_builddir)/tests/xenstore/build
.PHONY: xenstored-nohv
