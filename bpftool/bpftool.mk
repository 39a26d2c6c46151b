# Resolves bpftool for the top-level Makefile (skeleton and vmlinux.h generation). Sets
# BPFTOOL and BPFTOOL_DEP. A bpftool source tree checked out here (bpftool/src, as a git
# submodule of the bpftool mirror) wins; otherwise the distribution's bpftool package.
BPFTOOL_SRC := $(abspath bpftool/src)

ifneq ($(wildcard $(BPFTOOL_SRC)/Makefile),)
BPFTOOL := $(OUTPUT)/bpftool/bootstrap/bpftool
BPFTOOL_DEP := $(BPFTOOL)

$(BPFTOOL): | $(OUTPUT)/bpftool
	$(call msg,BPFTOOL,$@)
	$(Q)$(MAKE) -C $(BPFTOOL_SRC) OUTPUT=$(OUTPUT)/bpftool/ bootstrap >/dev/null
else
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
BPFTOOL_DEP :=
endif
