# Test targets, included by the top-level Makefile.
#   tests/unit/test_*.c      cmocka unit tests, linked with the user-space modules (no BPF)
#   tests/helpers/NAME.c     helper programs for the integration tests
#   tests/helpers/NAME.bpf.c BPF for a helper; NAME.c includes "NAME.skel.h"
#   tests/integration/*.sh   integration tests against the real binary, as root
TEST_OUT := $(OUTPUT)/tests
UNIT_TESTS := $(patsubst tests/unit/%.c,$(TEST_OUT)/%,$(wildcard tests/unit/test_*.c))
HELPER_BPF := $(patsubst tests/helpers/%.bpf.c,$(TEST_OUT)/%.bpf.o,$(wildcard tests/helpers/*.bpf.c))
HELPER_SKELS := $(HELPER_BPF:.bpf.o=.skel.h)
HELPERS := $(patsubst tests/helpers/%.c,$(TEST_OUT)/%,$(filter-out %.bpf.c,$(wildcard tests/helpers/*.c)))
TEST_CFLAGS := $(USER_CFLAGS) -I$(TEST_OUT)

$(TEST_OUT):
	$(call msg,MKDIR,$@)
	$(Q)mkdir -p $@

$(TEST_OUT)/%.o: tests/unit/%.c $(LIBBPF_DEP) | $(TEST_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(UNIT_TESTS): $(TEST_OUT)/%: $(TEST_OUT)/%.o $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(TEST_OUT)/%.bpf.o: tests/helpers/%.bpf.c $(VMLINUX_H) $(LIBBPF_DEP) | $(TEST_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(TEST_OUT)/%.skel.h: $(TEST_OUT)/%.bpf.o $(BPFTOOL_DEP)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(TEST_OUT)/helper_%.o: tests/helpers/%.c $(HELPER_SKELS) $(LIBBPF_DEP) | $(TEST_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(HELPERS): $(TEST_OUT)/%: $(TEST_OUT)/helper_%.o
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) $(HELPER_LIBS) -o $@

# uconn drives io_uring.
$(TEST_OUT)/uconn: HELPER_LIBS := -luring

include tests/vm/vm.mk
include tests/fuzz/fuzz.mk

.PHONY: test-build test test-vm check
test-build: $(APP) $(UNIT_TESTS) $(HELPERS)

# TESTS=pattern runs only the tests whose name (unit/..., integration/..., vm/...) matches.
# The VM artifacts are built only when the VM tests are among them; if that fails (no
# network for the kernels, say), the VM tests report it and the other tests still run.
WANT_VM := $(if $(TESTS),$(findstring vm,$(TESTS)),yes)
test: test-build
	$(if $(WANT_VM),$(Q)$(MAKE) vm-build || echo "make vm-build failed: the VM tests will fail" >&2)
	$(Q)OUTPUT=$(OUTPUT) TCPCONNLAT=$(abspath $(APP)) tests/run.sh $(TESTS)

test-vm:
	$(Q)$(MAKE) test TESTS=vm/

# What CI and the README's test line run: install what is missing, build, test.
check: test-deps
	$(Q)$(MAKE) test

-include $(wildcard $(TEST_OUT)/*.d)
