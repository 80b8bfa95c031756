/* engine: the header of a TensorRT engine file as the peer (Ultralytics) writes it and reads
 * it back: a 4-byte little-endian length, that many bytes of metadata JSON, then the plan
 * (the serialized engine, which only TensorRT opens).  YOLO('yolov8n.engine') reads the
 * header for the task, names, stride, imgsz and batch; yoloport adds the build environment
 * (GPU, compute capability, driver, CUDA and TensorRT versions, build host) as extra keys,
 * which the peer ignores.
 *
 * Only the header is read: every length is checked against the file's size, the JSON is
 * parsed by json-c within its bounds, and each field is checked for its type.  A plan alone
 * (trtexec's own output, no header) is not recognised here. */
#ifndef YOLOPORT_ENGINE_FORMAT_H
#define YOLOPORT_ENGINE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENGINE_META_MAX (64u << 20) /* longer metadata is not a header */
#define ENGINE_NAMES_MAX 100000

typedef struct {
    uint32_t meta_len;       /* bytes of JSON after the length */
    uint64_t plan_offset;    /* 4 + meta_len */
    uint64_t plan_bytes;     /* what follows: the serialized engine */
    char *json;              /* the metadata text, NUL-terminated (heap) */
    /* fields read from it ("" / 0 when absent) */
    char description[256], author[64], date[64], version[32], task[32];
    int stride, batch, channels, imgsz[2];
    int nc;
    char **names;            /* nc strings, by class index */
    bool has_kpt_shape;
    int kpt_shape[2];
    char dla[8];
    bool half, int8, dynamic; /* from its "args" */
    /* the build environment (yoloport's keys) */
    char tensorrt[32], gpu[128], compute_capability[16], driver[32], cuda[16], build_host[128], precision[16];
} EngineHeader;

/* Does buf (the first len bytes of a file of file_size bytes) start with the header?  A
 * plausible length (1 .. ENGINE_META_MAX, within the file, with a plan after it) and, as far
 * as buf reaches, JSON text opening with '{'.  Never reads past len. */
bool engine_sniff(const uint8_t *buf, size_t len, uint64_t file_size);

/* Parse the header from buf (the file's first len bytes; file_size is the whole file's
 * size, >= len).  0 and *out filled (free with engine_header_free), or -1 + a message
 * ("metadata length 4294967295 runs past the end of the 1200-byte file", "metadata is not
 * a JSON object", "'imgsz' is not a list of two sizes"). */
int engine_header_parse(const uint8_t *buf, size_t len, uint64_t file_size, EngineHeader *out, char *err,
                        size_t errlen);

/* Read path's header (only the header's bytes are read).  Messages name the file. */
int engine_header_read(const char *path, EngineHeader *out, char *err, size_t errlen);

void engine_header_free(EngineHeader *h);

/* Write the header for json (length + text) and then the plan file's bytes to fd (through
 * fileio_write_all).  0, or -1 + a message naming plan_path. */
int engine_write(int fd, const char *json, const char *plan_path, char *err, size_t errlen);

/* Copy the plan of a headed engine file (everything after the header) to plan_path (a plain
 * file TensorRT's trtexec --loadEngine reads).  0 or -1 + message. */
int engine_extract_plan(const char *engine_path, const char *plan_path, char *err, size_t errlen);

#endif
