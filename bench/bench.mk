# make bench: the benchmark suite (bench/), included by the top-level Makefile after the
# tests (it uses their dropsyn helper and the VM kernels and initramfs).
#   BENCH_SIZE=full|tiny   tiny: every part at a smoke size (what the test line runs)
#   BENCH_VM=0             skip the QEMU guests
BENCH_OUT := $(OUTPUT)/bench
BENCH_BINS := $(BENCH_OUT)/loadgen $(BENCH_OUT)/fmtbench $(BENCH_OUT)/startup $(BENCH_OUT)/parts \
	$(BENCH_OUT)/parts.bpf.o $(BENCH_OUT)/sockdns $(BENCH_OUT)/sockdns.bpf.o \
	$(BENCH_OUT)/scrapebench $(BENCH_OUT)/syscalls
BENCH_SIZE ?= full
BENCH_VM ?= 1

$(BENCH_OUT):
	$(call msg,MKDIR,$@)
	$(Q)mkdir -p $@

$(BENCH_OUT)/%.o: bench/%.c $(LIBBPF_DEP) | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BENCH_OUT)/loadgen: $(BENCH_OUT)/loadgen.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -pthread -o $@

# Where the nanoseconds go: one BPF program per piece of a connect's work (bench.sh).
$(BENCH_OUT)/parts.bpf.o: bench/parts.bpf.c src/tcpconnlat.h $(VMLINUX_H) | $(BENCH_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@

# -N's other hook candidate: a socket filter on a packet socket (bench.sh compares).
$(BENCH_OUT)/sockdns.bpf.o: bench/sockdns.bpf.c src/tcpconnlat.h $(VMLINUX_H) | $(BENCH_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@

$(BENCH_OUT)/sockdns: $(BENCH_OUT)/sockdns.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BENCH_OUT)/parts: $(BENCH_OUT)/parts.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BENCH_OUT)/startup: $(BENCH_OUT)/startup.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

$(BENCH_OUT)/syscalls: $(BENCH_OUT)/syscalls.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

# The tool's own formatting and output modules, without BPF.
$(BENCH_OUT)/fmtbench: $(BENCH_OUT)/fmtbench.o $(addprefix $(OUTPUT)/,events.o text.o cgtext.o format.o json.o output.o cgroup.o container.o hist.o uhist.o dhostid.o)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

# The exporter's rendering (--metrics's three formats), without BPF.
$(BENCH_OUT)/scrapebench: $(BENCH_OUT)/scrapebench.o $(filter-out $(OUTPUT)/tracer.o $(OUTPUT)/checks.o,$(LIB_OBJS))
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Static copies for the guests, which have no libraries.
$(VM_OUT)/loadgen: $(BENCH_OUT)/loadgen.o | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ -pthread -o $@

$(VM_OUT)/startup: $(BENCH_OUT)/startup.o | $(VM_OUT)
	$(call msg,STATIC,$@)
	$(Q)$(CC) -static $^ -o $@

.PHONY: bench bench-build
bench-build: $(APP) $(BENCH_BINS) $(TEST_OUT)/dropsyn $(TEST_OUT)/baddns

bench: bench-build
	$(if $(filter 1,$(BENCH_VM)),$(Q)$(MAKE) vm-build)
	$(Q)BENCH_BIN=$(BENCH_OUT) BENCH_SIZE=$(BENCH_SIZE) TCPCONNLAT=$(abspath $(APP)) \
		DROPSYN=$(TEST_OUT)/dropsyn DNSFLOOD=$(TEST_OUT)/baddns bench/bench.sh
	$(if $(filter 1,$(BENCH_VM)),$(Q)BENCH_OUT=$(BENCH_OUT) VM_DIR=$(VM_OUT) \
		BENCH_SIZE=$(BENCH_SIZE) bench/vm-bench.sh)
	$(Q)bench/report.sh $(BENCH_OUT)

-include $(wildcard $(BENCH_OUT)/*.d)

# The test line smoke-runs the benchmarks (tests/integration/test_bench.sh,
# tests/vm/test_bench_vm.sh).
test-build: $(BENCH_BINS)
