// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * libFuzzer target: the fuzzer's input is an operation sequence.  Byte 0
 * picks the encoding, then every 8 bytes are one operation word for
 * model_step() (map, unmap, lookup, lookup_range, PTE round trips), checked
 * against the reference model and the encoding's invariant checker.  Any
 * mismatch aborts, which libFuzzer reports with the input that caused it.
 *
 *   clang -fsanitize=fuzzer,address,undefined ... ; ./fuzz_ops -runs=N
 */
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;
	struct model m;
	uint64_t word;
	size_t pos;

	if (size < 1)
		return 0;
	if (!registered) {
		rcu_register_thread();
		registered = true;
	}
	test_name = "fuzz";
	if (model_init(&m, dpidx_encodings[data[0] % DPIDX_NR_ENCODINGS], 1UL << 16))
		abort();
	m.check_each_op = true;
	for (pos = 1; pos + 8 <= size; pos += 8) {
		memcpy(&word, data + pos, 8);
		model_step(&m, word);
		if (test_failures)
			abort();
	}
	model_destroy(&m);
	CHECK_NO_LEAK();
	if (test_failures)
		abort();
	return 0;
}
