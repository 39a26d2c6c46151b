# Memory-safety builds, included by tests/tests.mk.
#   $(OUTPUT)/san/test_*   the cmocka unit tests, linked with copies of the user-space
#                          modules built under ASan and UBSan (tests/integration/
#                          test_memsafety.sh runs them; not in $(OUTPUT)/tests, which
#                          tests/run.sh runs as they are)
#   $(OUTPUT)/fuzz/fuzz_*  libFuzzer targets (clang), tests/fuzz/fuzz_*.c
#   make fuzz              runs each target FUZZ_SECONDS on its own copy of the seed corpus
#                          (tests/fuzz/corpus/NAME), kept in $(OUTPUT)/fuzz/corpus-NAME
SAN_OUT := $(OUTPUT)/san
FUZZ_OUT := $(OUTPUT)/fuzz
# Any report stops the program: a sanitizer finding is a test failure, not a warning.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_LIB_OBJS := $(patsubst $(OUTPUT)/%,$(SAN_OUT)/%,$(LIB_OBJS))
SAN_TESTS := $(patsubst tests/unit/%.c,$(SAN_OUT)/%,$(wildcard tests/unit/test_*.c))
# Dynamic links only: the sanitizer runtimes do not link statically (STATIC=1).
SAN_LDLIBS := $(LIBBPF_LIB) -lelf -lz -lresolv -lprotobuf-c

FUZZ_TARGETS := args event dns
FUZZ_BINS := $(addprefix $(FUZZ_OUT)/fuzz_,$(FUZZ_TARGETS))
# The modules under test get libFuzzer's coverage instrumentation too (fuzzer-no-link).
FUZZ_CFLAGS := $(USER_CFLAGS) $(SAN_FLAGS) -fsanitize=fuzzer-no-link
FUZZ_SECONDS ?= 300

$(SAN_OUT) $(FUZZ_OUT) $(FUZZ_OUT)/obj:
	$(call msg,MKDIR,$@)
	$(Q)mkdir -p $@

$(SAN_OUT)/%.o: src/%.c $(LIBBPF_DEP) | $(SAN_OUT)
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(SAN_OUT)/tracer.o: $(SKEL)
$(SAN_OUT)/expo_pb.o: $(OUTPUT)/metrics.pb-c.h

$(SAN_OUT)/%.pb-c.o: $(OUTPUT)/%.pb-c.c $(LIBBPF_DEP) | $(SAN_OUT)
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(SAN_OUT)/test_%.o: tests/unit/test_%.c $(LIBBPF_DEP) | $(SAN_OUT)
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(TEST_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -c $< -o $@

$(SAN_TESTS): $(SAN_OUT)/%: $(SAN_OUT)/%.o $(SAN_LIB_OBJS)
	$(call msg,BIN-SAN,$@)
	$(Q)$(CC) $(SAN_FLAGS) $^ $(SAN_LDLIBS) -lcmocka -o $@

$(FUZZ_OUT)/obj/%.o: src/%.c $(LIBBPF_DEP) | $(FUZZ_OUT)/obj
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(FUZZ_OUT)/%.o: tests/fuzz/%.c $(LIBBPF_DEP) | $(FUZZ_OUT)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@

# args.c parses --by with hist.c, which formats keys with text.c, cgtext.c and json.c.
$(FUZZ_OUT)/fuzz_args: $(FUZZ_OUT)/fuzz_args.o $(addprefix $(FUZZ_OUT)/obj/,args.o hist.o uhist.o dhostid.o text.o cgtext.o format.o json.o cgroup.o container.o)
$(FUZZ_OUT)/fuzz_event: $(FUZZ_OUT)/fuzz_event.o $(addprefix $(FUZZ_OUT)/obj/,events.o text.o cgtext.o format.o json.o cgroup.o container.o hist.o uhist.o dhostid.o)
# -N's answer path: the DNS parser (libresolv) and the name cache.
$(FUZZ_OUT)/fuzz_dns: $(FUZZ_OUT)/fuzz_dns.o $(addprefix $(FUZZ_OUT)/obj/,dns.o names.o)
$(FUZZ_BINS):
	$(call msg,FUZZER,$@)
	$(Q)$(CLANG) $(SAN_FLAGS) -fsanitize=fuzzer $^ -lresolv -o $@

.PHONY: fuzz fuzz-build
fuzz-build: $(SAN_TESTS) $(FUZZ_BINS)

# Every target runs, even after one crashed; then make fails.
fuzz: $(FUZZ_BINS)
	$(Q)rc=0; for t in $(FUZZ_TARGETS); do \
		tests/fuzz/run.sh $(FUZZ_OUT)/fuzz_$$t tests/fuzz/corpus/$$t \
			$(FUZZ_OUT)/corpus-$$t $(FUZZ_SECONDS) || rc=1; \
	done; exit $$rc

# make test builds them: test_memsafety.sh runs them.
test-build: $(SAN_TESTS) $(FUZZ_BINS)

-include $(wildcard $(SAN_OUT)/*.d $(FUZZ_OUT)/*.d $(FUZZ_OUT)/obj/*.d)
