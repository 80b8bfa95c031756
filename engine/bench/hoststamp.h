/* hoststamp: what a measurement was taken on -- the host (CPU model, cores, memory, GPU, OS)
 * and every runtime yoloport knows, found or not, with its version and library path -- for
 * `yoloport checks` and stamped on every benchmark's results. */
#ifndef YOLOPORT_HOSTSTAMP_H
#define YOLOPORT_HOSTSTAMP_H

#include <stddef.h>

#include "engine/host/host.h"
#include "engine/runtime/runtime.h"

typedef struct {
    HostFacts host;
    RuntimeProbe runtimes[RUNTIME_COUNT];
    char when[40];          /* ISO date and time of the stamp */
    char version[32];       /* yoloport's */
} HostStamp;

/* Detect the host and probe every runtime (explicit: a runtime=NAME:PATH value or NULL, for
 * the runtime it names).  Never fails. */
void hoststamp_take(HostStamp *s, const char *explicit_runtime);

/* One line: "Intel Xeon ... (2 CPUs, 23.4 GB RAM), no GPU; onnxruntime 1.30.0". */
const char *hoststamp_line(const HostStamp *s, char *buf, size_t len);

/* The stamp as a JSON object text (heap string): {"yoloport", "date", "os", "cpu",
 * "cpu_count", "memory_bytes", "gpu", "runtimes": [{"name", "status", "version", "path",
 * "adapter", "note"}]}. */
char *hoststamp_json(const HostStamp *s);

#endif
