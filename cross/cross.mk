# Cross build (ARCH other than this machine's), included by the top-level Makefile. Sets
# CROSS_LDFLAGS and, for the package libbpf (libbpf/libbpf.mk), SYSROOT_*.
#   make ARCH=arm64 STATIC=1   a static aarch64 ./tcpconnlat, objects in .output/arm64
# The compiler is Debian's cross gcc (gcc-aarch64-linux-gnu: make deps); the target's
# libbpf, libelf, zlib, zstd, libevent and protobuf-c are Debian's packages for that
# architecture, downloaded by cross/debs.sh into OUTPUT/sysroot and unpacked there, without
# touching the system's apt configuration. CROSS_SUITE: the Debian release they come from, by default this machine's,
# whose glibc the cross gcc has.
ifneq ($(CROSS),)
CROSS_TRIPLET_arm64 := aarch64-linux-gnu
CROSS_TRIPLET_x86 := x86_64-linux-gnu
CROSS_DEBARCH_arm64 := arm64
CROSS_DEBARCH_x86 := amd64
CROSS_TRIPLET := $(CROSS_TRIPLET_$(ARCH))
CROSS_DEBARCH := $(CROSS_DEBARCH_$(ARCH))
CROSS_COMPILE ?= $(CROSS_TRIPLET)-
ifneq ($(filter default undefined,$(origin CC)),)
CC := $(CROSS_COMPILE)gcc
endif
CROSS_SUITE ?= $(shell . /etc/os-release && echo $$VERSION_CODENAME)
CROSS_PKGS := libbpf-dev libbpf1 libelf-dev libelf1 zlib1g-dev zlib1g libzstd-dev libzstd1 \
	liburing-dev liburing2 libevent-dev libevent-2.1-7 libprotobuf-c-dev libprotobuf-c1 \
	libhttp-parser-dev libhttp-parser2.9 libjson-c-dev libjson-c5

SYSROOT := $(OUTPUT)/sysroot
SYSROOT_LIB := $(SYSROOT)/root/usr/lib/$(CROSS_TRIPLET)
SYSROOT_CFLAGS := -I$(SYSROOT)/root/usr/include
SYSROOT_DEP := $(SYSROOT)/done
# Runtime libraries (zlib) are still in /lib in bookworm's packages.
CROSS_LDFLAGS := -L$(SYSROOT_LIB) -Wl,-rpath-link,$(SYSROOT_LIB):$(SYSROOT)/root/lib/$(CROSS_TRIPLET)
# The libraries a static libelf needs: Debian's arm64 libelf is built with zlib and zstd.
STATIC_LDLIBS = $(LIBBPF_LIB) $(CROSS_LDFLAGS) -lelf -lz -lzstd

# Downloaded again only when the suite or the package list changes.
SYSROOT_WANT := $(strip $(CROSS_DEBARCH) $(CROSS_SUITE) $(CROSS_PKGS))
ifneq ($(strip $(shell cat $(SYSROOT)/wanted 2>/dev/null)),$(SYSROOT_WANT))
.PHONY: $(SYSROOT)/wanted
endif
$(SYSROOT)/wanted:
	$(Q)mkdir -p $(SYSROOT)
	$(Q)echo '$(SYSROOT_WANT)' >$@

$(SYSROOT_DEP): cross/debs.sh $(SYSROOT)/wanted
	$(call msg,DEBS,$(CROSS_DEBARCH) $(CROSS_SUITE): $(CROSS_PKGS))
	$(Q)rm -rf $(SYSROOT)/root $(SYSROOT)/debs
	$(Q)cross/debs.sh $(SYSROOT) $(CROSS_DEBARCH) $(CROSS_SUITE) $(CROSS_PKGS) >/dev/null
	$(Q)touch $@
endif
