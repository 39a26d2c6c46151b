# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
APP := tcpconnlat
VERSION := 0.1.0

CC ?= gcc
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
prefix ?= /usr/local
DESTDIR ?=

# The kernel's name for the architecture: selects vmlinux/<arch>/vmlinux.h and the
# __TARGET_ARCH_ define that bpf_tracing.h needs for PT_REGS. ARCH other than this machine's
# is a cross build (cross/cross.mk), in its own OUTPUT so that objects never mix.
HOSTARCH := $(shell uname -m)
karch = $(shell echo $(1) | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' \
	-e 's/riscv64/riscv/' -e 's/s390x/s390/' -e 's/loongarch64/loongarch/')
HOST_ARCH := $(call karch,$(HOSTARCH))
ARCH ?= $(HOST_ARCH)
SUPPORTED_ARCHS := x86 arm64
ifeq ($(filter $(ARCH),$(SUPPORTED_ARCHS))$(filter vmlinux,$(MAKECMDGOALS)),)
$(error unsupported architecture '$(ARCH)': only $(SUPPORTED_ARCHS) have a vmlinux/<arch>/vmlinux.h; generate one with 'make vmlinux ARCH=$(ARCH)' and add it to SUPPORTED_ARCHS)
endif
ifeq ($(ARCH),$(HOST_ARCH))
OUTPUT ?= $(abspath .output)
else
OUTPUT ?= $(abspath .output/$(ARCH))
CROSS := $(ARCH)
endif
VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(patsubst $(abspath .)/%,%,$(2))";
MAKEFLAGS += --no-print-directory
endif

# The first goal, before the fragments below add rules of their own.
.PHONY: all
all: $(APP)

include cross/cross.mk
include libbpf/libbpf.mk
include bpftool/bpftool.mk

DEPFLAGS = -MMD -MP
WARNINGS := -Wall -Wextra -Werror
CFLAGS ?= -g -O2
USER_CFLAGS := $(CFLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE -I$(OUTPUT) -Isrc $(LIBBPF_CFLAGS) \
	-DTCPCONNLAT_VERSION='"$(VERSION)"'
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Isrc \
	$(LIBBPF_CFLAGS) -Wall -Werror

# A static libelf needs its own compression libraries; pkg-config knows which (a cross
# build's sysroot says so in cross/cross.mk). libevent (--metrics's HTTP server) links
# statically too: libmicrohttpd's libmicrohttpd.a needs gnutls, whose static link needs a
# libp11-kit.a that Debian does not ship.
ifeq ($(CROSS),)
STATIC_LDLIBS := $(LIBBPF_LIB) $(or $(shell pkg-config --static --libs-only-l libelf zlib 2>/dev/null),-lelf -lz)
endif
ifeq ($(STATIC),1)
LDFLAGS += -static
LDLIBS := $(STATIC_LDLIBS)
else
LDLIBS := $(LIBBPF_LIB) $(CROSS_LDFLAGS) -lelf -lz
endif
# protobuf-c encodes --metrics's protobuf exposition (Prometheus native histograms): a small
# C runtime, whose libprotobuf-c.a links statically and for arm64; protoc-c turns
# src/metrics.proto into C at build time. -N parses DNS answers (dns.o) with glibc's libresolv
# (ns_initparse, ns_parserr): part of libc6-dev, with a libresolv.a, so it links statically
# and for every architecture glibc has.
LIB_LDLIBS := -lprotobuf-c -lresolv
LDLIBS += $(LIB_LDLIBS)
# The container API client (dockerapi.c): http-parser for its HTTP answers (chunked event
# stream included), json-c for their JSON; both link statically and for arm64.
APP_LDLIBS := -levent -lhttp_parser -ljson-c

# User-space modules; everything but main.o is linked into the unit tests too.
LIB_OBJS := $(addprefix $(OUTPUT)/,args.o text.o counters.o cgtext.o dhostid.o format.o json.o hist.o output.o checks.o backend.o tracer.o events.o cgroup.o container.o podlogs.o pidns.o expo.o expo_pb.o metrics.pb-c.o textfile.o dns.o names.o namer.o uhist.o)
# exporter.o and dockerapi.o use libevent (and the latter http-parser and json-c): the unit
# tests and fuzzers link without them.
APP_OBJS := $(LIB_OBJS) $(OUTPUT)/exporter.o $(OUTPUT)/dockerapi.o $(OUTPUT)/main.o
BPF_OBJ := $(OUTPUT)/$(APP).bpf.o
SKEL := $(OUTPUT)/$(APP).skel.h

$(OUTPUT) $(OUTPUT)/libbpf $(OUTPUT)/bpftool:
	$(call msg,MKDIR,$@)
	$(Q)mkdir -p $@

$(BPF_OBJ): src/$(APP).bpf.c $(VMLINUX_H) $(LIBBPF_DEP) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(SKEL): $(BPF_OBJ) $(BPFTOOL_DEP)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(APP)_bpf > $@.tmp && mv $@.tmp $@

# tracer.c is the only user of the skeleton; naming it here makes sure it exists
# before the first compile, and -MMD records it for rebuilds afterwards.
$(OUTPUT)/tracer.o: $(SKEL)

$(OUTPUT)/%.o: src/%.c $(LIBBPF_DEP) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -c $< -o $@

# The protobuf messages of the Prometheus exposition, as C (one rule makes both files).
$(OUTPUT)/%.pb-c.c $(OUTPUT)/%.pb-c.h: src/%.proto | $(OUTPUT)
	$(call msg,PROTOC-C,$@)
	$(Q)protoc-c --c_out=$(OUTPUT) --proto_path=src $<

$(OUTPUT)/%.pb-c.o: $(OUTPUT)/%.pb-c.c $(LIBBPF_DEP)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -c $< -o $@

# expo_pb.c includes the generated header: it must exist before the first compile.
$(OUTPUT)/expo_pb.o: $(OUTPUT)/metrics.pb-c.h

# The link line is recorded: a different one (STATIC=1 or not) relinks.
LINK_LINE := $(strip $(CC) $(LDFLAGS) $(LDLIBS))
ifneq ($(strip $(shell cat $(OUTPUT)/link-line 2>/dev/null)),$(LINK_LINE))
.PHONY: $(OUTPUT)/link-line
endif
$(OUTPUT)/link-line: | $(OUTPUT)
	$(Q)echo '$(LINK_LINE)' >$@

$(OUTPUT)/$(APP): $(APP_OBJS) $(LIBBPF_DEP) $(OUTPUT)/link-line
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $(APP_OBJS) $(APP_LDLIBS) $(LDLIBS) -o $@

# ./tcpconnlat is the last build's, whatever its ARCH: the OUTPUT it was copied from is
# recorded, and a build into another OUTPUT (another ARCH) copies its own.
APP_ORIGIN := $(abspath .output)/app-origin
ifneq ($(shell cat $(APP_ORIGIN) 2>/dev/null),$(OUTPUT))
.PHONY: $(APP)
endif
$(APP): $(OUTPUT)/$(APP)
	$(call msg,COPY,$@)
	$(Q)cp $< $@ && mkdir -p $(dir $(APP_ORIGIN)) && echo '$(OUTPUT)' >$(APP_ORIGIN)

# vmlinux.h is committed so that building needs no BTF; this regenerates it from the
# running kernel (or VMLINUX_BTF=/path/to/btf). For another ARCH, from the BTF of the
# Debian cloud kernel of VMLINUX_SUITE booted under QEMU (cross/guest-btf.sh).
ifeq ($(CROSS),)
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
else
VMLINUX_SUITE ?= trixie
ifeq ($(origin VMLINUX_BTF),undefined)
VMLINUX_BTF := $(OUTPUT)/btf/vmlinux
VMLINUX_GUEST := 1
endif
endif
.PHONY: vmlinux
vmlinux: $(BPFTOOL_DEP)
	$(if $(VMLINUX_GUEST),$(Q)cross/guest-btf.sh $(ARCH) $(VMLINUX_SUITE) $(OUTPUT)/btf $(VMLINUX_BTF))
	$(call msg,GEN,$(VMLINUX_H))
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $(VMLINUX_H).tmp && \
		mv $(VMLINUX_H).tmp $(VMLINUX_H)

# The binary, its man page, its bash completion and the exporter's systemd unit (systemd
# also reads units below /usr/local/lib). The unit's ExecStart names the installed binary:
# made at install time, for this prefix.
systemdunitdir ?= $(prefix)/lib/systemd/system
UNIT := tcpconnlat-exporter.service
INSTALLED := $(prefix)/sbin/$(APP) $(prefix)/share/man/man8/$(APP).8 \
	$(prefix)/share/bash-completion/completions/$(APP) $(systemdunitdir)/$(UNIT)
.PHONY: install
install: $(APP) systemd/$(UNIT).in
	$(call msg,INSTALL,$(addprefix $(DESTDIR),$(INSTALLED)))
	$(Q)install -D -m 0755 $(APP) $(DESTDIR)$(prefix)/sbin/$(APP)
	$(Q)install -D -m 0644 docs/$(APP).8 $(DESTDIR)$(prefix)/share/man/man8/$(APP).8
	$(Q)install -D -m 0644 completion/$(APP) \
		$(DESTDIR)$(prefix)/share/bash-completion/completions/$(APP)
	$(Q)mkdir -p $(DESTDIR)$(systemdunitdir) && \
		sed 's|@SBINDIR@|$(prefix)/sbin|g' systemd/$(UNIT).in >$(DESTDIR)$(systemdunitdir)/$(UNIT).tmp && \
		chmod 0644 $(DESTDIR)$(systemdunitdir)/$(UNIT).tmp && \
		mv $(DESTDIR)$(systemdunitdir)/$(UNIT).tmp $(DESTDIR)$(systemdunitdir)/$(UNIT)

.PHONY: uninstall
uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))

.PHONY: clean
clean:
	$(call msg,CLEAN,$(OUTPUT) $(APP))
	$(Q)rm -rf $(OUTPUT) $(APP)

# The OCI image: the static binary (stripped) alone, FROM scratch, built with buildah; no base
# image is downloaded. Its static build goes to its own OUTPUT (a cross build shares the
# sysroot of .output/ARCH), so ./tcpconnlat and the tests' build stay as they are.
#   make image [ARCH=arm64]   tcpconnlat:VERSION (this machine's arch), tcpconnlat:VERSION-arm64
# Into buildah's usual store (CONTAINERS_STORAGE_CONF=FILE names another, as the tests do).
IMAGE_ARCH_x86 := amd64
IMAGE_ARCH_arm64 := arm64
IMAGE_ARCH := $(IMAGE_ARCH_$(ARCH))
IMAGE ?= $(APP):$(VERSION)$(if $(CROSS),-$(IMAGE_ARCH))
IMAGE_OUT := $(abspath .output/image/$(ARCH))
# The source label: the repository's remote, else this tree (release builds: IMAGE_SOURCE=URL).
IMAGE_SOURCE ?= $(or $(shell git config --get remote.origin.url 2>/dev/null),file://$(abspath .))
IMAGE_REVISION := $(shell git rev-parse HEAD 2>/dev/null)
# binutils' strip: llvm-strip 14 refuses a static glibc binary's .rela.plt.
STRIP ?= $(CROSS_COMPILE)strip
BUILDAH ?= buildah
OCI := org.opencontainers.image
.PHONY: image
image:
	$(Q)command -v $(firstword $(BUILDAH)) >/dev/null || \
		{ echo "make image needs buildah: apt-get install buildah" >&2; exit 1; }
	$(Q)$(MAKE) $(if $(Q),-s) STATIC=1 OUTPUT=$(IMAGE_OUT) $(if $(CROSS),SYSROOT=$(OUTPUT)/sysroot) $(IMAGE_OUT)/$(APP)
	$(call msg,STRIP,$(IMAGE_OUT)/context/$(APP))
	$(Q)mkdir -p $(IMAGE_OUT)/context && rm -f $(IMAGE_OUT)/context/* && \
		$(STRIP) -o $(IMAGE_OUT)/context/$(APP) $(IMAGE_OUT)/$(APP)
	$(call msg,IMAGE,$(IMAGE) ($(IMAGE_ARCH)))
	$(Q)$(BUILDAH) bud --quiet --arch $(IMAGE_ARCH) --os linux --timestamp 0 \
		--label $(OCI).title=$(APP) --label $(OCI).version=$(VERSION) \
		--label '$(OCI).description=TCP connect latency tracer and Prometheus exporter (eBPF)' \
		--label '$(OCI).licenses=BSD-2-Clause OR GPL-2.0-only' \
		--label '$(OCI).source=$(IMAGE_SOURCE)' \
		$(if $(IMAGE_REVISION),--label $(OCI).revision=$(IMAGE_REVISION)) \
		-f deploy/image/Containerfile -t $(IMAGE) $(IMAGE_OUT)/context >/dev/null

# Debian packages: DEPS to build, TEST_DEPS to run the tests. Installs only what is
# missing, so it is a no-op (no apt-get at all) on a machine that has everything.
# The same package names on amd64 and arm64 Debian. On an x86_64 machine DEPS adds the arm64
# cross compiler (make ARCH=arm64; the arm64 libraries are fetched as .debs, see cross.mk),
# and TEST_DEPS the emulator of the arm64 guests (qemu-system-aarch64).
# debootstrap and git: test_fresh.sh builds a fresh Debian 12 root and copies a git archive
# of the tree into it, to run the quick start there.
DEPS := make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config libevent-dev \
	libprotobuf-c-dev protobuf-c-compiler libhttp-parser-dev libjson-c-dev
TEST_DEPS := libcmocka-dev iproute2 util-linux procps strace jq kmod xz-utils zstd dnsmasq-base dnsutils \
	qemu-system-x86 busybox-static cpio libbpf-tools bpftrace valgrind libclang-rt-14-dev \
	liburing-dev groff-base man-db prometheus prometheus-node-exporter systemd curl debootstrap git \
	podman buildah runc yq nodejs protobuf-compiler
ifeq ($(HOSTARCH),x86_64)
DEPS += gcc-aarch64-linux-gnu
TEST_DEPS += qemu-system-arm
endif
define apt_install
	$(Q)missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "  APT      $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

.PHONY: deps test-deps
deps:
	$(call apt_install,$(DEPS))
# test_deploy.sh validates the manifests against Kubernetes' schemas with npm's kubernetes-models
# (the schemas bundled: it runs offline); installed from tests/deploy/package-lock.json.
test-deps:
	$(call apt_install,$(DEPS) $(TEST_DEPS))
	$(Q)command -v npm >/dev/null || { echo "  APT      npm"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	$(Q)cmp -s tests/deploy/package-lock.json tests/deploy/node_modules/.installed-lock 2>/dev/null || \
		{ echo "  NPM      tests/deploy (kubernetes-models)"; \
		  npm ci --prefix tests/deploy --no-audit --no-fund --loglevel=error >/dev/null && \
		  cp tests/deploy/package-lock.json tests/deploy/node_modules/.installed-lock; }

.PHONY: info
info:
	@echo "arch: $(ARCH)  libbpf: $(LIBBPF_ORIGIN)  bpftool: $(BPFTOOL)"

include tests/tests.mk
include bench/bench.mk

-include $(wildcard $(OUTPUT)/*.d)

.DELETE_ON_ERROR:
.SECONDARY:
