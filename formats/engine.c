/* engine: the peer's TensorRT engine header -- length, metadata JSON, plan (see engine.h). */
#include "formats/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

bool engine_sniff(const uint8_t *buf, size_t len, uint64_t file_size)
{
    if (!buf || len < 6 || file_size < len) return false;
    uint32_t n = le32(buf);
    if (n < 2 || n > ENGINE_META_MAX || (uint64_t)n + 4 >= file_size) return false;
    size_t i = 4;
    while (i < len && i < 4 + (size_t)n && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')) i++;
    if (i >= len || buf[i] != '{') return false;
    /* the JSON's last byte, when it is within reach, closes the object */
    if ((uint64_t)n + 4 <= len) {
        size_t e = 4 + (size_t)n;
        while (e > i && (buf[e - 1] == ' ' || buf[e - 1] == '\n' || buf[e - 1] == '\r' || buf[e - 1] == '\t')) e--;
        if (e <= i + 1 || buf[e - 1] != '}') return false;
    }
    return true;
}

void engine_header_free(EngineHeader *h)
{
    if (!h) return;
    free(h->json);
    for (int i = 0; h->names && i < h->nc; i++) free(h->names[i]);
    free(h->names);
    memset(h, 0, sizeof *h);
}

static void get_str(json_object *o, const char *key, char *buf, size_t len)
{
    json_object *v;
    if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
        snprintf(buf, len, "%s", json_object_get_string(v));
}

/* An int field: JSON int, or a string of digits (the peer's str() values in other formats). */
static int get_int(json_object *o, const char *key, int *out, char *err, size_t errlen)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v) return 0;
    if (json_object_is_type(v, json_type_int)) {
        int64_t x = json_object_get_int64(v);
        if (x < 0 || x > 1000000) return err_set(err, errlen, "'%s' is %lld, not a plausible size", key, (long long)x);
        *out = (int)x;
        return 0;
    }
    if (json_object_is_type(v, json_type_string)) {
        int64_t x;
        if (str_to_i64(json_object_get_string(v), &x) && x >= 0 && x <= 1000000) {
            *out = (int)x;
            return 0;
        }
    }
    return err_set(err, errlen, "'%s' is not a number", key);
}

/* A list of two ints, or the string "[640, 640]" (py repr). */
static int get_pair(json_object *o, const char *key, int out[2], bool *present, char *err, size_t errlen)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v) return 0;
    if (json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2) {
        for (int i = 0; i < 2; i++) {
            json_object *e = json_object_array_get_idx(v, (size_t)i);
            if (!json_object_is_type(e, json_type_int)) return err_set(err, errlen, "'%s' is not a list of two numbers", key);
            int64_t x = json_object_get_int64(e);
            if (x < 0 || x > 1000000) return err_set(err, errlen, "'%s' holds %lld, not a plausible size", key, (long long)x);
            out[i] = (int)x;
        }
        if (present) *present = true;
        return 0;
    }
    if (json_object_is_type(v, json_type_string)) {
        int a, b;
        if (sscanf(json_object_get_string(v), " [%d , %d ]", &a, &b) == 2 && a >= 0 && b >= 0 && a <= 1000000 && b <= 1000000) {
            out[0] = a, out[1] = b;
            if (present) *present = true;
            return 0;
        }
    }
    return err_set(err, errlen, "'%s' is not a list of two numbers", key);
}

static bool get_bool_arg(json_object *args, const char *key)
{
    json_object *v;
    return args && json_object_object_get_ex(args, key, &v) && json_object_is_type(v, json_type_boolean) &&
           json_object_get_boolean(v);
}

/* names: {"0": "person", ...} (JSON of the peer's dict) -- indexes 0..n-1, each once. */
static int get_names(json_object *o, EngineHeader *h, char *err, size_t errlen)
{
    json_object *v;
    if (!json_object_object_get_ex(o, "names", &v) || !v) return 0;
    if (!json_object_is_type(v, json_type_object)) return err_set(err, errlen, "'names' is not a mapping of class indexes to names");
    int n = json_object_object_length(v);
    if (n < 0 || n > ENGINE_NAMES_MAX) return err_set(err, errlen, "'names' has %d entries", n);
    h->names = xcalloc((size_t)(n ? n : 1), sizeof *h->names);
    h->nc = n;
    json_object_object_foreach(v, key, val)
    {
        int64_t idx;
        if (!str_to_i64(key, &idx) || idx < 0 || idx >= n)
            return err_set(err, errlen, "'names' has the key '%.40s', not a class index below %d", key, n);
        if (h->names[idx]) return err_set(err, errlen, "'names' gives class %lld twice", (long long)idx);
        if (!json_object_is_type(val, json_type_string)) return err_set(err, errlen, "'names' entry %lld is not a string", (long long)idx);
        h->names[idx] = xstrdup(json_object_get_string(val));
    }
    return 0;
}

int engine_header_parse(const uint8_t *buf, size_t len, uint64_t file_size, EngineHeader *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!buf || len < 4 || file_size < 4) return err_set(err, errlen, "too short for an engine header (%llu bytes)", (unsigned long long)file_size);
    if (file_size < len) return err_set(err, errlen, "inconsistent sizes");
    uint32_t n = le32(buf);
    if (n == 0 || n > ENGINE_META_MAX)
        return err_set(err, errlen, "metadata length %u is not a header's (a plan without the peer's metadata?)", n);
    if ((uint64_t)n + 4 > file_size)
        return err_set(err, errlen, "metadata length %u runs past the end of the %llu-byte file", n, (unsigned long long)file_size);
    if ((uint64_t)n + 4 > len) return err_set(err, errlen, "metadata length %u is more than the %zu bytes read", n, len);
    out->meta_len = n;
    out->plan_offset = (uint64_t)n + 4;
    out->plan_bytes = file_size - out->plan_offset;
    out->json = xstrndup((const char *)buf + 4, n);
    if (strlen(out->json) != n) {
        engine_header_free(out);
        return err_set(err, errlen, "metadata holds a NUL byte");
    }
    json_tokener *tok = json_tokener_new_ex(64);
    json_object *o = json_tokener_parse_ex(tok, out->json, (int)n);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t used = (size_t)json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!o || je != json_tokener_success) {
        json_object_put(o);
        char m[128];
        snprintf(m, sizeof m, "%s", je != json_tokener_success ? json_tokener_error_desc(je) : "empty");
        engine_header_free(out);
        return err_set(err, errlen, "metadata is not valid JSON: %s", m);
    }
    for (size_t i = used; i < n; i++)
        if (out->json[i] != ' ' && out->json[i] != '\n' && out->json[i] != '\r' && out->json[i] != '\t') {
            json_object_put(o);
            engine_header_free(out);
            return err_set(err, errlen, "metadata has text after its JSON object");
        }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        engine_header_free(out);
        return err_set(err, errlen, "metadata is not a JSON object");
    }
    get_str(o, "description", out->description, sizeof out->description);
    get_str(o, "author", out->author, sizeof out->author);
    get_str(o, "date", out->date, sizeof out->date);
    get_str(o, "version", out->version, sizeof out->version);
    get_str(o, "task", out->task, sizeof out->task);
    get_str(o, "dla", out->dla, sizeof out->dla);
    get_str(o, "tensorrt", out->tensorrt, sizeof out->tensorrt);
    get_str(o, "gpu", out->gpu, sizeof out->gpu);
    get_str(o, "compute_capability", out->compute_capability, sizeof out->compute_capability);
    get_str(o, "driver", out->driver, sizeof out->driver);
    get_str(o, "cuda", out->cuda, sizeof out->cuda);
    get_str(o, "build_host", out->build_host, sizeof out->build_host);
    get_str(o, "precision", out->precision, sizeof out->precision);
    char m[256] = "";
    int rc = 0;
    rc |= get_int(o, "stride", &out->stride, m, sizeof m);
    if (!rc) rc |= get_int(o, "batch", &out->batch, m, sizeof m);
    if (!rc) rc |= get_int(o, "channels", &out->channels, m, sizeof m);
    if (!rc) rc |= get_pair(o, "imgsz", out->imgsz, NULL, m, sizeof m);
    if (!rc) rc |= get_pair(o, "kpt_shape", out->kpt_shape, &out->has_kpt_shape, m, sizeof m);
    if (!rc) rc |= get_names(o, out, m, sizeof m);
    json_object *args = NULL;
    if (!rc && json_object_object_get_ex(o, "args", &args) && json_object_is_type(args, json_type_object)) {
        out->half = get_bool_arg(args, "half");
        out->int8 = get_bool_arg(args, "int8");
        out->dynamic = get_bool_arg(args, "dynamic");
    }
    json_object_put(o);
    if (rc) {
        engine_header_free(out);
        return err_set(err, errlen, "%s", m);
    }
    for (int i = 0; i < out->nc; i++)
        if (!out->names[i]) {
            engine_header_free(out);
            return err_set(err, errlen, "'names' lacks class %d", i);
        }
    return 0;
}

int engine_header_read(const char *path, EngineHeader *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(err, errlen, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(err, errlen, "%s: not a regular file", path);
    }
    uint8_t head[4];
    ssize_t got = pread(fd, head, 4, 0);
    if (got != 4) {
        close(fd);
        return err_set(err, errlen, "%s: too short for a TensorRT engine with the peer's header", path);
    }
    uint32_t n = le32(head);
    uint64_t want = (uint64_t)n + 4;
    if (n == 0 || n > ENGINE_META_MAX || want > (uint64_t)st.st_size) want = 4;
    uint8_t *buf = xmalloc((size_t)want);
    size_t have = 0;
    while (have < want) {
        ssize_t r = pread(fd, buf + have, (size_t)want - have, (off_t)have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        have += (size_t)r;
    }
    close(fd);
    char m[512];
    int rc = engine_header_parse(buf, have, (uint64_t)st.st_size, out, m, sizeof m);
    free(buf);
    if (rc != 0) return err_set(err, errlen, "%s: %s", path, m);
    return 0;
}

int engine_write(int fd, const char *json, const char *plan_path, char *err, size_t errlen)
{
    size_t n = strlen(json);
    if (n == 0 || n > ENGINE_META_MAX) return err_set(err, errlen, "engine metadata of %zu bytes", n);
    uint8_t len[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    if (fileio_write_all(fd, len, 4) != 0 || fileio_write_all(fd, json, n) != 0)
        return err_set(err, errlen, "cannot write the engine header: %s", strerror(errno));
    int in = open(plan_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) return err_set(err, errlen, "%s: %s", plan_path, strerror(errno));
    uint8_t *buf = xmalloc(1 << 20);
    int rc = 0;
    uint64_t total = 0;
    for (;;) {
        ssize_t r = read(in, buf, 1 << 20);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = err_set(err, errlen, "%s: %s", plan_path, strerror(errno));
            break;
        }
        if (r == 0) break;
        if (fileio_write_all(fd, buf, (size_t)r) != 0) {
            rc = err_set(err, errlen, "cannot write the engine: %s", strerror(errno));
            break;
        }
        total += (uint64_t)r;
    }
    free(buf);
    close(in);
    if (rc == 0 && total == 0) rc = err_set(err, errlen, "%s: the plan is empty", plan_path);
    return rc;
}

int engine_extract_plan(const char *engine_path, const char *plan_path, char *err, size_t errlen)
{
    EngineHeader h;
    if (engine_header_read(engine_path, &h, err, errlen) != 0) return -1;
    uint64_t off = h.plan_offset;
    engine_header_free(&h);
    int in = open(engine_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) return err_set(err, errlen, "%s: %s", engine_path, strerror(errno));
    AtomicFile *f = fileio_open_atomic(plan_path, err, errlen);
    if (!f) {
        close(in);
        return -1;
    }
    uint8_t *buf = xmalloc(1 << 20);
    int rc = 0;
    for (;;) {
        ssize_t r = pread(in, buf, 1 << 20, (off_t)off);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = err_set(err, errlen, "%s: %s", engine_path, strerror(errno));
            break;
        }
        if (r == 0) break;
        if (fileio_write_all(f->fd, buf, (size_t)r) != 0) {
            rc = err_set(err, errlen, "%s: %s", plan_path, strerror(errno));
            break;
        }
        off += (uint64_t)r;
    }
    free(buf);
    close(in);
    if (rc != 0) {
        fileio_abort(f);
        return -1;
    }
    return fileio_commit(f, err, errlen);
}
