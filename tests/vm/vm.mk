# The QEMU kernel matrix (tests/vm/), included by tests/tests.mk.
#   vm-build: static tracer and helper, the initramfs, and the Debian kernels (cached)
VM_OUT := $(OUTPUT)/vm

$(VM_OUT):
	$(call msg,MKDIR,$@)
	$(Q)mkdir -p $@

# Static links of the objects the normal build already made: the guest has no libraries.
$(VM_OUT)/tcpconnlat: $(APP_OBJS) $(LIBBPF_DEP) | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $(APP_OBJS) $(APP_LDLIBS) $(STATIC_LDLIBS) -o $@

$(VM_OUT)/tconn: $(TEST_OUT)/helper_tconn.o | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ -o $@

# Fast Open, named-thread and reused-socket connects; io_uring connects.
$(VM_OUT)/tmode: $(TEST_OUT)/helper_tmode.o | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ -o $@

$(VM_OUT)/uconn: $(TEST_OUT)/helper_uconn.o | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ -luring -o $@

# The benchmarks' guest part (bench/bench.mk builds its static binaries) rides along.
$(VM_OUT)/initramfs.cpio.gz: tests/vm/mkinitramfs.sh tests/vm/guest.sh $(VM_OUT)/tcpconnlat \
		$(VM_OUT)/tconn $(VM_OUT)/loadgen $(VM_OUT)/startup $(VM_OUT)/tmode $(VM_OUT)/uconn \
		bench/guest-bench.sh bench/lib.sh
	$(call msg,INITRAMFS,$@)
	$(Q)tests/vm/mkinitramfs.sh $@ $(VM_OUT)/tcpconnlat $(VM_OUT)/tconn $(VM_OUT)/loadgen \
		$(VM_OUT)/startup $(VM_OUT)/tmode $(VM_OUT)/uconn

# Always asked: fetch-kernels.sh keeps what it has and fetches only missing series.
.PHONY: vm-kernels vm-build
vm-kernels: | $(VM_OUT)
	$(call msg,KERNELS,$(VM_OUT)/kernels)
	$(Q)tests/vm/fetch-kernels.sh $(VM_OUT)/kernels

vm-build: $(VM_OUT)/initramfs.cpio.gz vm-kernels
