# The seed policies: sources are added to libmemrex here.
tools_libmemrex_libmemrex_la_SOURCES += \
	tools/libmemrex/policy_params.c \
	tools/libmemrex/policy_adaptive.c \
	tools/libmemrex/policy_sla.c \
	tools/libmemrex/policy_selfballoon.c \
	tools/libmemrex/policy_cooperative.c \
	tools/libmemrex/policy_pressure.c
