# tests/e2e/e2e.mk - the end-to-end test on the real Xen 4.17 hypervisor
# under QEMU (see tests/e2e/README).  Not part of "make check": it needs
# root, network access to deb.debian.org and 20-40 minutes.
#
#   make e2e                                   build everything, then run
#   make e2e E2E_FLAGS="--cache /var/tmp/mb-e2e --timeout 2600"
#
# SPDX-License-Identifier: LGPL-2.1-only

.PHONY: e2e xen-report
# The patched xl first (the patch series on Debian's Xen source,
# tests/xen-patch/check.sh): dom0 runs the scenario with it.
E2E_XL_DIR = $(abs_top_builddir)/tests/e2e/xl-patched
e2e: all
	$(abs_top_srcdir)/tests/xen-patch/check.sh \
		--builddir $(abs_top_builddir) --out $(E2E_XL_DIR)
	$(abs_top_srcdir)/tests/e2e/run-e2e.sh \
		--builddir $(abs_top_builddir) --xl $(E2E_XL_DIR)/xl $(E2E_FLAGS)

# docs/xen-report.md and docs/xen-matrix.png from the console log of an
# e2e run (XEN_REPORT_LOG), with the same schedule in the simulator
# (needs python3 and gnuplot).
XEN_REPORT_LOG = $(abs_top_builddir)/tests/e2e/log/console.log.txt
xen-report: all
	python3 $(abs_top_srcdir)/tests/e2e/xen-report.py \
		--log $(XEN_REPORT_LOG) \
		--xl $(abs_top_builddir)/tools/xl/xl-membalance \
		--policy-report $(abs_top_builddir)/bench/policy_report \
		--out $(abs_top_srcdir)/docs/xen-report.md \
		--png $(abs_top_srcdir)/docs/xen-matrix.png

EXTRA_DIST += tests/e2e/README \
	tests/e2e/e2e.mk \
	tests/e2e/run-e2e.sh \
	tests/e2e/dom0-driver.sh \
	tests/e2e/dom0-matrix.sh \
	tests/e2e/guest-init.sh \
	tests/e2e/memhog.c \
	tests/e2e/setmem-bench.c \
	tests/e2e/xen-report.py \
	tests/e2e/membalance-e2e.conf
