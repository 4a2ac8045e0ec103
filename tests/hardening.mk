# Hardening: fault injection, hostile guests, restart, soak, fuzzing,
# sanitizers and memcheck (docs/hardening.md).
HARD_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(XENTOOLLOG_CFLAGS)
HARD_LIBS = tools/libmemrex/libmemrex_core.la $(CHECK_LIBS) $(XENTOOLLOG_LIBS)

check_PROGRAMS += tests/check_faults tests/check_hostile tests/check_restart
TESTS += tests/check_faults tests/check_hostile tests/check_restart \
	tests/restart.sh
tests_check_faults_SOURCES = tests/check_faults.c tests/invariants.c \
	tests/invariants.h
tests_check_faults_CFLAGS = $(HARD_CFLAGS)
tests_check_faults_LDADD = $(HARD_LIBS)
tests_check_hostile_SOURCES = tests/check_hostile.c tests/invariants.c \
	tests/invariants.h
tests_check_hostile_CFLAGS = $(HARD_CFLAGS)
tests_check_hostile_LDADD = $(HARD_LIBS)
tests_check_restart_SOURCES = tests/check_restart.c tests/invariants.c \
	tests/invariants.h
tests_check_restart_CFLAGS = $(HARD_CFLAGS)
tests_check_restart_LDADD = $(HARD_LIBS)
# check_sim shares the invariant checker
tests_check_sim_SOURCES += tests/invariants.c tests/invariants.h

# The soak: every policy, faults on, invariants on every tick.
noinst_PROGRAMS += tests/soak
tests_soak_SOURCES = tests/soak.c tests/invariants.c tests/invariants.h
tests_soak_CFLAGS = $(AM_CFLAGS) $(XENTOOLLOG_CFLAGS)
tests_soak_LDADD = tools/libmemrex/libmemrex_core.la $(XENTOOLLOG_LIBS)

EXTRA_DIST += tools/libmemrex/sim_fault.h tests/restart.sh tests/memcheck.sh \
	tests/fuzz tests/mutation

# >= 1e7 domain-ticks (500 domains); the CI one >= 1e6 (100 domains).
soak: tests/soak
	$(abs_top_builddir)/tests/soak --domains 500 --domain-ticks 10000000
soak-short: tests/soak
	$(abs_top_builddir)/tests/soak --domains 100 --domain-ticks 1000000

# The unit suites under valgrind (tests/memcheck.sh).
memcheck: $(check_PROGRAMS)
	top_builddir=$(abs_top_builddir) $(abs_top_srcdir)/tests/memcheck.sh

# libFuzzer targets for every parser of guest or user input, built with
# clang (tests/fuzz/run-fuzz.sh): long, and a short one for CI.
FUZZ_DIR = $(abs_top_builddir)/fuzz-build
fuzz:
	$(abs_top_srcdir)/tests/fuzz/run-fuzz.sh --builddir $(FUZZ_DIR) \
		--seconds 300
fuzz-smoke:
	$(abs_top_srcdir)/tests/fuzz/run-fuzz.sh --builddir $(FUZZ_DIR) \
		--seconds 20

# Every rule broken on purpose in a scratch copy of the tree, one at a
# time (tests/mutation/mutations.txt); a break no suite notices fails.
mutation-check:
	$(abs_top_srcdir)/tests/mutation/run.sh --srcdir $(abs_top_srcdir)

clean-local: clean-hardening
clean-hardening:
	rm -rf fuzz-build tests/memcheck

.PHONY: soak soak-short memcheck fuzz fuzz-smoke mutation-check \
	clean-hardening
