# Hardening: fault injection, soak, fuzzing, sanitizers (tests/hardening.mk).
