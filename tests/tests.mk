# Test suites (check) and scripted tests of the command line.
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(XENTOOLLOG_CFLAGS)
TEST_LIBS = tools/libmemrex/libmemrex_core.la $(CHECK_LIBS) $(XENTOOLLOG_LIBS)

check_PROGRAMS += tests/check_plan tests/check_sim tests/check_config
TESTS += tests/check_plan tests/check_sim tests/check_config tests/cli.sh \
	tests/exports.sh \
	tests/control.sh tests/systemd.sh tests/manpages.sh \
	tests/prometheus.sh
tests_check_plan_SOURCES = tests/check_plan.c
tests_check_plan_CFLAGS = $(TEST_CFLAGS)
tests_check_plan_LDADD = $(TEST_LIBS)
tests_check_sim_SOURCES = tests/check_sim.c
tests_check_sim_CFLAGS = $(TEST_CFLAGS)
tests_check_sim_LDADD = $(TEST_LIBS)
tests_check_config_SOURCES = tests/check_config.c
tests_check_config_CFLAGS = $(TEST_CFLAGS)
tests_check_config_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/cli.sh tests/daemon-test.sh tests/exports.sh tests/control.sh \
	tests/systemd.sh tests/manpages.sh \
	tests/prometheus.sh
TESTS_ENVIRONMENT = top_builddir=$(abs_top_builddir) \
	top_srcdir=$(abs_top_srcdir) MAKE="$(MAKE)"

include tests/policies.mk
include tests/xenstore.mk
include tests/hardening.mk

# Real PV guests in the simulated host (tests/check_realguest.c), in
# `make check`; `make check-realguest` runs it alone, its figures on
# stdout.
check_PROGRAMS += tests/check_realguest
TESTS += tests/check_realguest
tests_check_realguest_SOURCES = tests/check_realguest.c tests/invariants.c \
	tests/invariants.h
tests_check_realguest_CFLAGS = $(TEST_CFLAGS)
tests_check_realguest_LDADD = $(TEST_LIBS)
check-realguest: tests/check_realguest$(EXEEXT)
	top_srcdir=$(abs_top_srcdir) CK_VERBOSITY=normal \
		$(abs_top_builddir)/tests/check_realguest
.PHONY: check-realguest

# XAPI squeezed's simulator scenarios against proportional and the plan
# (tests/check_squeezed.c), in `make check`; `make check-squeezed` runs
# it alone, one line per scenario on stdout.
check_PROGRAMS += tests/check_squeezed
TESTS += tests/check_squeezed
tests_check_squeezed_SOURCES = tests/check_squeezed.c tests/invariants.c \
	tests/invariants.h
tests_check_squeezed_CFLAGS = $(TEST_CFLAGS)
tests_check_squeezed_LDADD = $(TEST_LIBS)
check-squeezed: tests/check_squeezed$(EXEEXT)
	CK_VERBOSITY=normal $(abs_top_builddir)/tests/check_squeezed
.PHONY: check-squeezed

# The check-based unit tests and the library's export check: no daemon,
# no XenStore, no root (the Debian package build runs these).
check-unit:
	@tests=; for t in $(TESTS); do \
		case $$t in tests/check_*|tests/exports.sh) tests="$$tests $$t" ;; esac; \
	done; $(MAKE) $(AM_MAKEFLAGS) check TESTS="$$tests"
.PHONY: check-unit
