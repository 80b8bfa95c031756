/* fuzz_budget.h: every harness includes it.  The memory budget (engine/core/membudget.h) is
 * set well below libFuzzer's -rss_limit_mb (tests/run.sh, the Makefile's fuzz target), so an
 * input the budget refuses is a clean refusal, and an input that still gets past it to the
 * RSS or malloc limit -- an allocation some file sized without asking the budget -- is a
 * finding.  The per-input -timeout makes the same of work that grows faster than the input. */
#ifndef YOLOPORT_FUZZ_BUDGET_H
#define YOLOPORT_FUZZ_BUDGET_H

#include "engine/core/membudget.h"

#define FUZZ_BUDGET ((uint64_t)256 << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    membudget_set_limit(FUZZ_BUDGET);
    return 0;
}

#endif
