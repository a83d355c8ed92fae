#ifndef CADERNO_CFUZZ_H
#define CADERNO_CFUZZ_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver: SwiftPM names an executable's entry point TARGET_main and aliases main to
// it, so each fuzz target's main hands libFuzzer its argv and its test function.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));
#endif
