# Resolves libbpf for the top-level Makefile. Sets LIBBPF_CFLAGS, LIBBPF_LIB (a static
# archive, so the tool does not depend on the target's libbpf) and LIBBPF_DEP (a build
# prerequisite, empty when the distribution's package is used).
#
# A libbpf source tree checked out here (git submodule, libbpf-bootstrap style: libbpf/src)
# wins; otherwise Debian's libbpf-dev (for a cross build, the target's: cross/cross.mk).
LIBBPF_SRC := $(abspath libbpf/src)

ifneq ($(wildcard $(LIBBPF_SRC)/Makefile),)
LIBBPF_LIB := $(OUTPUT)/libbpf.a
LIBBPF_CFLAGS := -I$(OUTPUT)/include
LIBBPF_DEP := $(LIBBPF_LIB)
LIBBPF_ORIGIN := source tree $(LIBBPF_SRC)

# A cross build compiles it with the cross gcc, against the target's libelf headers.
$(LIBBPF_LIB): $(wildcard $(LIBBPF_SRC)/*.[ch] $(LIBBPF_SRC)/Makefile) $(SYSROOT_DEP) | $(OUTPUT)/libbpf
	$(call msg,LIB,$@)
	$(Q)$(MAKE) -C $(LIBBPF_SRC) BUILD_STATIC_ONLY=1 OBJDIR=$(OUTPUT)/libbpf \
		CC="$(CC)" EXTRA_CFLAGS="$(SYSROOT_CFLAGS)" \
		DESTDIR=$(OUTPUT) INCLUDEDIR=/include LIBDIR= UAPIDIR= install >/dev/null
else ifneq ($(SYSROOT),)
# Cross build: the target's Debian package, unpacked by cross/cross.mk.
LIBBPF_LIB := $(SYSROOT_LIB)/libbpf.a
LIBBPF_CFLAGS := $(SYSROOT_CFLAGS)
LIBBPF_DEP := $(SYSROOT_DEP)
LIBBPF_ORIGIN := Debian $(CROSS_DEBARCH) package ($(LIBBPF_LIB))
else
LIBBPF_LIB := $(shell $(CC) -print-file-name=libbpf.a)
LIBBPF_CFLAGS :=
LIBBPF_DEP :=
LIBBPF_ORIGIN := package ($(LIBBPF_LIB))
ifeq ($(LIBBPF_LIB),libbpf.a)
ifeq ($(filter clean deps test-deps check info,$(MAKECMDGOALS)),)
$(error libbpf.a not found: install Debian's libbpf-dev (make deps) or check out libbpf in libbpf/src)
endif
endif
endif
