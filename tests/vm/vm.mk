# The QEMU kernel matrix (tests/vm/), included by tests/tests.mk.
#   vm-build: static tracer and helper, the initramfs, and the Debian kernels (cached), for
#   guests of this machine's architecture in VM_OUT and, built by a make ARCH=... of their
#   own (a cross build), for the other architectures' guests in VM_OUT/ARCH.
VM_OUT := $(OUTPUT)/vm
VM_ARCHS := x86 arm64
DEBARCH_x86 := amd64
DEBARCH_arm64 := arm64

$(VM_OUT):
	$(call msg,MKDIR,$@)
	$(Q)mkdir -p $@

# Static links of the objects the normal build already made: the guest has no libraries.
$(VM_OUT)/tcpconnlat: $(APP_OBJS) $(LIBBPF_DEP) | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $(APP_OBJS) $(APP_LDLIBS) $(LIB_LDLIBS) $(STATIC_LDLIBS) -o $@

$(VM_OUT)/tconn: $(TEST_OUT)/helper_tconn.o | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ -o $@

# Fast Open, named-thread and reused-socket connects; io_uring connects.
$(VM_OUT)/tmode: $(TEST_OUT)/helper_tmode.o | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ -o $@

$(VM_OUT)/uconn: $(TEST_OUT)/helper_uconn.o | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ $(CROSS_LDFLAGS) -luring -o $@

# -N: a DNS server of the tests' own, and a client that resolves through getaddrinfo() and
# connects at once. The linker warns that a static getaddrinfo() needs glibc's shared NSS
# modules at run time: not the files and dns ones, in libc itself since glibc 2.34, and the
# guest asks no other.
$(VM_OUT)/baddns: $(TEST_OUT)/helper_baddns.o | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ -o $@

$(VM_OUT)/resconn: $(TEST_OUT)/helper_resconn.o | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ -o $@

VM_HELPERS := $(VM_OUT)/tmode $(VM_OUT)/uconn $(VM_OUT)/baddns $(VM_OUT)/resconn
ifeq ($(CROSS),)
# The benchmarks' guest part (bench/bench.mk builds its static binaries) rides along.
VM_BENCH := $(VM_OUT)/loadgen $(VM_OUT)/startup
VM_INITRAMFS_DEPS := $(VM_BENCH) bench/guest-bench.sh bench/lib.sh
else
# Another architecture's guest: its programs and libraries are Debian's packages for that
# architecture, unpacked into a sysroot of their own (the same release as the cross build's).
VM_SYSROOT := $(VM_OUT)/sysroot
VM_GUEST_PKGS := busybox-static iproute2 bpftool jq libbpf-tools coreutils libc6 libbpf1 \
	libbsd0 libcap2 libelf1 libjq1 libmd0 libmnl0 libonig5 libxtables12 zlib1g
$(VM_SYSROOT)/done: cross/debs.sh tests/vm/vm.mk | $(VM_OUT)
	$(call msg,DEBS,$(DEBARCH_$(ARCH)) $(CROSS_SUITE): the guest's programs)
	$(Q)rm -rf $(VM_SYSROOT)
	$(Q)cross/debs.sh $(VM_SYSROOT) $(DEBARCH_$(ARCH)) $(CROSS_SUITE) $(VM_GUEST_PKGS) >/dev/null
	$(Q)touch $@
VM_INITRAMFS_DEPS := $(VM_SYSROOT)/done
endif

$(VM_OUT)/initramfs.cpio.gz: tests/vm/mkinitramfs.sh tests/vm/guest.sh $(VM_OUT)/tcpconnlat \
		$(VM_OUT)/tconn $(VM_HELPERS) $(VM_INITRAMFS_DEPS)
	$(call msg,INITRAMFS,$@)
	$(Q)SYSROOT=$(if $(VM_SYSROOT),$(VM_SYSROOT)/root) tests/vm/mkinitramfs.sh $@ \
		$(VM_OUT)/tcpconnlat $(VM_OUT)/tconn $(or $(VM_BENCH),'' '') $(VM_HELPERS)

# Always asked: fetch-kernels.sh keeps what it has and fetches only missing series (and
# looks for a newer kernel once a day).
.PHONY: vm-kernels vm-build vm-build-cross
vm-kernels: | $(VM_OUT)
	$(call msg,KERNELS,$(VM_OUT)/kernels)
	$(Q)tests/vm/fetch-kernels.sh $(VM_OUT)/kernels $(DEBARCH_$(ARCH))

VM_CROSS_ARCHS := $(if $(CROSS),,$(filter-out $(ARCH),$(VM_ARCHS)))
vm-build-cross:
	$(Q)$(foreach a,$(VM_CROSS_ARCHS),$(MAKE) ARCH=$(a) OUTPUT=$(OUTPUT)/$(a) VM_OUT=$(VM_OUT)/$(a) \
		vm-build &&) true

vm-build: $(VM_OUT)/initramfs.cpio.gz vm-kernels $(if $(VM_CROSS_ARCHS),vm-build-cross)
