/* runtime: the table of runtimes, the library search and the ELF check every adapter makes
 * before dlopen, the choice of a runtime for an artifact, and the builtin adapter (our
 * executor over any graph the registry reads).  See runtime.h. */
#include "engine/runtime/runtime.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine/core/imgsz.h"
#include "engine/core/util.h"
#include "engine/exec/exec.h"
#include "engine/passes/passes.h"
#include "engine/registry/model.h"
#include "engine/registry/registry.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

static const RuntimeInfo runtimes[RUNTIME_COUNT] = {
#define RUNTIME_ROW_(id, nm, disp, so, ad, fmt, files) [RUNTIME_##id] = {RUNTIME_##id, nm, disp, so, ad, fmt, files},
    RUNTIMES(RUNTIME_ROW_)
#undef RUNTIME_ROW_
};

const RuntimeInfo *runtime_info(RuntimeId id)
{
    return (int)id >= 0 && id < RUNTIME_COUNT ? &runtimes[id] : NULL;
}

int runtime_find(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < RUNTIME_COUNT; i++)
        if (!strcmp(runtimes[i].name, name)) return i;
    return -1;
}

int runtime_parse_spec(const char *spec, int *id, char *path, size_t pathlen, char *err, size_t errlen)
{
    *id = -1;
    if (path && pathlen) path[0] = '\0';
    if (!spec || !*spec || !strcmp(spec, "auto")) return 0;
    const char *colon = strchr(spec, ':');
    char name[64];
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, spec, n);
    name[n] = '\0';
    int r = runtime_find(name);
    if (r < 0) {
        char list[256] = "";
        size_t used = 0;
        for (int i = 0; i < RUNTIME_COUNT && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", runtimes[i].name);
        return err_set(err, errlen, "runtime=%s: unknown runtime '%s' (known: auto, %s; NAME:PATH names a library)",
                       spec, name, list);
    }
    if (colon && r == RUNTIME_BUILTIN)
        return err_set(err, errlen, "runtime=%s: the builtin runtime has no library to point at", spec);
    if (colon && !colon[1]) return err_set(err, errlen, "runtime=%s: no path after ':'", spec);
    *id = r;
    if (colon && path) snprintf(path, pathlen, "%s", colon + 1);
    return 0;
}

/* ---- finding libraries ---------------------------------------------------------------- */

static void looked_add(char *looked, size_t len, const char *what)
{
    size_t used = strlen(looked);
    if (used + 1 >= len) return;
    snprintf(looked + used, len - used, "%s%s", used ? ", " : "", what);
}

/* candidate: a file (taken as is) or a directory (dir/soname); true when it exists. */
static bool try_candidate(const char *entry, const char *soname, char *path, size_t pathlen, char *looked,
                          size_t looked_len)
{
    if (!entry || !*entry) return false;
    struct stat sb;
    char cand[4096];
    if (stat(entry, &sb) == 0 && S_ISDIR(sb.st_mode)) snprintf(cand, sizeof cand, "%s/%s", entry, soname);
    else snprintf(cand, sizeof cand, "%s", entry);
    looked_add(looked, looked_len, cand);
    if (stat(cand, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        snprintf(path, pathlen, "%s", cand);
        return true;
    }
    return false;
}

static bool try_list(const char *list, const char *soname, char *path, size_t pathlen, char *looked, size_t looked_len)
{
    if (!list) return false;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0 && n < 4096) {
            char entry[4096];
            memcpy(entry, p, n);
            entry[n] = '\0';
            if (try_candidate(entry, soname, path, pathlen, looked, looked_len)) return true;
        }
        p += n;
        if (*p == ':') p++;
    }
    return false;
}

bool runtime_search(const char *name, const char *soname, const char *explicit_path, char *path, size_t pathlen,
                    char *looked_in, size_t looked_len)
{
    looked_in[0] = '\0';
    path[0] = '\0';
    if (!soname) return false;
    if (explicit_path && *explicit_path) {
        /* runtime=NAME:PATH names this library and nothing else */
        return try_candidate(explicit_path, soname, path, pathlen, looked_in, looked_len);
    }
    if (try_list(getenv("YOLOPORT_RUNTIME_PATH"), soname, path, pathlen, looked_in, looked_len)) return true;
    if (!getenv("YOLOPORT_RUNTIME_PATH")) looked_add(looked_in, looked_len, "$YOLOPORT_RUNTIME_PATH (unset)");
    if (try_list(getenv("LD_LIBRARY_PATH"), soname, path, pathlen, looked_in, looked_len)) return true;
    struct utsname u;
    char multiarch[128] = "";
    if (uname(&u) == 0) {
        if (!strcmp(u.machine, "x86_64")) snprintf(multiarch, sizeof multiarch, "/usr/lib/x86_64-linux-gnu");
        else if (!strcmp(u.machine, "aarch64")) snprintf(multiarch, sizeof multiarch, "/usr/lib/aarch64-linux-gnu");
    }
    char opt[160];
    snprintf(opt, sizeof opt, "/opt/%s/lib", name);
    const char *dirs[] = {"/usr/local/lib", "/usr/local/lib64", multiarch, "/usr/lib64", "/usr/lib", opt};
    for (size_t i = 0; i < ARRAY_LEN(dirs); i++)
        if (dirs[i][0] && try_candidate(dirs[i], soname, path, pathlen, looked_in, looked_len)) return true;
    return false;
}

int runtime_check_elf(const char *path, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(why, whylen, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return err_set(why, whylen, "%s: not a regular file", path);
    }
    unsigned char h[64];
    ssize_t got = read(fd, h, sizeof h);
    close(fd);
    if (got < 4 || memcmp(h, ELFMAG, SELFMAG) != 0) {
        char shown[40] = "";
        for (ssize_t i = 0; i < got && i < 8; i++)
            snprintf(shown + strlen(shown), sizeof shown - strlen(shown), "%s%02x", i ? " " : "", h[i]);
        return err_set(why, whylen, "%s: not a shared library (no ELF header; it starts with %s)", path,
                       got > 0 ? shown : "nothing: the file is empty");
    }
    if ((size_t)got < sizeof(Elf64_Ehdr) && h[EI_CLASS] == ELFCLASS64)
        return err_set(why, whylen, "%s: truncated ELF header", path);
    int want_class = sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32;
    if (h[EI_CLASS] != want_class)
        return err_set(why, whylen, "%s: a %d-bit ELF file; this program is %d-bit", path,
                       h[EI_CLASS] == ELFCLASS64 ? 64 : 32, (int)sizeof(void *) * 8);
    if (want_class == ELFCLASS64) {
        Elf64_Ehdr eh;
        memcpy(&eh, h, sizeof eh);
#if defined(__x86_64__)
        const int machine = EM_X86_64;
#elif defined(__aarch64__)
        const int machine = EM_AARCH64;
#else
        const int machine = eh.e_machine;
#endif
        if (h[EI_DATA] != ELFDATA2LSB) return err_set(why, whylen, "%s: a big-endian ELF file", path);
        if (eh.e_type != ET_DYN)
            return err_set(why, whylen, "%s: an ELF file but not a shared object (type %d)", path, (int)eh.e_type);
        if (eh.e_machine != machine)
            return err_set(why, whylen, "%s: a shared object built for another machine (ELF machine %d, this one is %d)",
                           path, (int)eh.e_machine, machine);
    }
    return 0;
}

void runtime_probe(RuntimeId id, const char *explicit_path, RuntimeProbe *out)
{
    memset(out, 0, sizeof *out);
    const RuntimeInfo *ri = runtime_info(id);
    if (!ri) {
        out->status = RUNTIME_NOT_FOUND;
        snprintf(out->why, sizeof out->why, "unknown runtime");
        return;
    }
    if (id == RUNTIME_BUILTIN) {
        out->status = RUNTIME_FOUND;
        snprintf(out->version, sizeof out->version, "%s", YOLOPORT_VERSION);
        return;
    }
    if (!runtime_search(ri->name, ri->soname, explicit_path, out->path, sizeof out->path, out->looked_in,
                        sizeof out->looked_in)) {
        out->status = RUNTIME_NOT_FOUND;
        snprintf(out->why, sizeof out->why, "no %s in %s", ri->soname, out->looked_in);
        return;
    }
    if (runtime_check_elf(out->path, out->why, sizeof out->why) != 0) {
        out->status = RUNTIME_REFUSED;
        return;
    }
    if ((id == RUNTIME_ONNXRUNTIME &&
         runtime_ort_check_library(out->path, out->version, sizeof out->version, out->why, sizeof out->why) != 0) ||
        (id == RUNTIME_NCNN &&
         runtime_ncnn_check_library(out->path, out->version, sizeof out->version, out->why, sizeof out->why) != 0)) {
        out->status = RUNTIME_REFUSED;
        return;
    }
    out->status = RUNTIME_FOUND;
}

void *runtime_dlopen(const char *path, char *why, size_t whylen)
{
    if (runtime_check_elf(path, why, whylen) != 0) return NULL;
    dlerror();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        const char *e = dlerror();
        err_set(why, whylen, "%s: dlopen refused it: %s", path, e ? e : "unknown error");
    }
    return h;
}

int runtime_adapter_probe(struct FormatRun *run, RuntimeId id, char *err, size_t errlen)
{
    RuntimeProbe *pr = &run->probe;
    const RuntimeInfo *ri = runtime_info(id);
    run->session = NULL;
    run->runtime = id;
    runtime_probe(id, run->library, pr);
    if (pr->status == RUNTIME_NOT_FOUND) return err_set(err, errlen, "%s: no %s in %s", ri->name, ri->soname, pr->looked_in);
    if (pr->status == RUNTIME_REFUSED) return err_set(err, errlen, "%s: refused %s", ri->name, pr->why);
    return 0;
}

int runtime_adapter_refuse(struct FormatRun *run, const char *why, char *err, size_t errlen)
{
    run->probe.status = RUNTIME_REFUSED;
    snprintf(run->probe.why, sizeof run->probe.why, "%s", why);
    return err_set(err, errlen, "%s: refused %s", runtime_info(run->runtime)->name, why);
}

void runtime_adapter_stamp(RuntimeSession *s, const struct FormatRun *run)
{
    s->runtime = run->runtime;
    snprintf(s->version, sizeof s->version, "%s", run->probe.version);
    snprintf(s->library, sizeof s->library, "%s", run->probe.path);
    snprintf(s->label, sizeof s->label, "%s %s", runtime_info(run->runtime)->name, run->probe.version);
    s->threads = run->threads > 0 ? run->threads : 0;
}

/* ---- the builtin runtime: our executor ------------------------------------------------ */

typedef struct {
    Graph *owned;     /* NULL when the caller owns the graph */
    const Graph *g;
    Exec *exec;
    int threads;      /* ExecOptions.threads of every Exec made here (0: the machine's CPUs) */
    /* A checkpoint or config the builder cannot make for symbolic sizes (an end-to-end head,
     * attention over positions fixed at build time): built again, as the peer's PyTorch
     * model runs at any size, whenever a run brings an input of another height or width.
     * NULL for every other model. */
    char *rebuild_path;
} Builtin;

static Exec *builtin_exec(const Graph *g, int threads, char *err, size_t errlen)
{
    ExecOptions eo = {.threads = threads};
    return exec_new_with(g, &eo, err, errlen);
}

/* The graph for an input of h x w, built from rebuild_path (fused, fixed at that size), and
 * its Exec in place of the current ones.  0 or -1 + message (the current ones stay). */
static int builtin_rebuild(RuntimeSession *s, int64_t h, int64_t w, char *err, size_t errlen)
{
    Builtin *b = s->impl;
    if (h < 1 || w < 1 || h > IMGSZ_MAX || w > IMGSZ_MAX)
        return err_set(err, errlen, "an input of %lldx%lld cannot be built", (long long)w, (long long)h);
    LoadOptions lo = {.fuse = true};
    lo.imgsz[0] = (int)h;
    lo.imgsz[1] = (int)w;
    char msg[1024];
    Graph *g = model_load(b->rebuild_path, &lo, msg, sizeof msg);
    if (!g) return err_set(err, errlen, "building the model for %lldx%lld: %s", (long long)w, (long long)h, msg);
    Exec *e = builtin_exec(g, b->threads, msg, sizeof msg);
    if (!e) {
        graph_free(g);
        return err_set(err, errlen, "%s", msg);
    }
    exec_free(b->exec);
    graph_free(b->owned);
    b->owned = g;
    b->g = g;
    b->exec = e;
    s->model = g;
    return 0;
}

static int builtin_run(RuntimeSession *s, const float *x, const int64_t *dims, int rank, char *err, size_t errlen)
{
    Builtin *b = s->impl;
    if (b->rebuild_path && rank == 4 && b->g->n_inputs > 0) {
        const Tensor *in = &b->g->tensors[b->g->inputs[0]];
        if (in->rank == 4 && (in->dims[2] != dims[2] || in->dims[3] != dims[3]) &&
            builtin_rebuild(s, dims[2], dims[3], err, errlen) != 0)
            return -1;
    }
    if (exec_set_input(b->exec, s->input.name, x, dims, rank, err, errlen) != 0) return -1;
    return exec_run(b->exec, s->cancel, err, errlen);
}

static const float *builtin_output(RuntimeSession *s, int i, int64_t *dims, int *rank)
{
    Builtin *b = s->impl;
    return exec_output(b->exec, i, dims, rank);
}

static void builtin_close(RuntimeSession *s)
{
    Builtin *b = s->impl;
    if (!b) return;
    exec_free(b->exec);
    graph_free(b->owned);
    free(b->rebuild_path);
    free(b);
}

static const RuntimeSessionOps builtin_ops = {builtin_run, builtin_output, builtin_close};

static RuntimeSession *builtin_session(Graph *owned, const Graph *g, int threads, const volatile int *cancel,
                                       char *err, size_t errlen)
{
    if (g->n_inputs < 1 || g->n_outputs < 1) {
        graph_free(owned);
        err_set(err, errlen, "the model has no %s", g->n_inputs < 1 ? "input" : "output");
        return NULL;
    }
    Exec *e = builtin_exec(g, threads, err, errlen);
    if (!e) {
        graph_free(owned);
        return NULL;
    }
    RuntimeSession *s = xcalloc(1, sizeof *s);
    Builtin *b = xcalloc(1, sizeof *b);
    b->owned = owned;
    b->g = g;
    b->exec = e;
    b->threads = threads;
    s->ops = &builtin_ops;
    s->impl = b;
    s->runtime = RUNTIME_BUILTIN;
    s->threads = exec_threads(e);
    s->cancel = cancel;
    snprintf(s->version, sizeof s->version, "%s", YOLOPORT_VERSION);
    snprintf(s->label, sizeof s->label, "the yoloport executor");
    const Tensor *in = &g->tensors[g->inputs[0]];
    snprintf(s->input.name, sizeof s->input.name, "%s", in->name);
    s->input.rank = in->rank;
    for (int i = 0; i < in->rank && i < GRAPH_MAX_RANK; i++) s->input.dims[i] = in->dims[i] > 0 ? in->dims[i] : -1;
    s->input.half = in->dtype == DT_F16;
    s->n_outputs = g->n_outputs;
    s->model = g;
    s->format = g->meta.source_format;
    return s;
}

RuntimeSession *runtime_open_graph(const Graph *g, int threads, const volatile int *cancel, char *err, size_t errlen)
{
    return builtin_session(NULL, g, threads, cancel, err, errlen);
}

/* LoadOptions.decide for a model built for any size: an end-to-end head cannot be (its
 * top-k or query selection counts the anchors when the graph is built). */
static int builtin_decide(const GraphMeta *meta, bool builds, LoadOptions *opt, void *user, char *err, size_t errlen)
{
    (void)builds, (void)err, (void)errlen;
    bool *fixed_only = user;
    if (meta->end2end) {
        opt->dynamic = false;
        *fixed_only = true;
    }
    return 0;
}

static RuntimeSession *builtin_open(const char *path, const RuntimeOpenOptions *o, char *err, size_t errlen)
{
    LoadOptions lo = {.fuse = true};
    char msg[1024];
    FormatId fid = model_detect(path, msg, sizeof msg);
    const FormatInfo *fi = registry_row(fid);
    bool any_size = fi && fi->read_builds && !o->fixed, fixed_only = false;
    if (fi && fi->read_builds) {
        lo.dynamic = any_size;
        lo.imgsz[0] = o->imgsz[0];
        lo.imgsz[1] = o->imgsz[1];
        if (any_size) {
            lo.decide = builtin_decide;
            lo.decide_user = &fixed_only;
        }
    }
    Graph *g = model_load(path, &lo, err, errlen);
    if (!g && any_size && !fixed_only) {
        /* some blocks fix their positions when built (attention over a pooled image): built
         * for one size, and again for each other size a run brings */
        lo.dynamic = false;
        lo.decide = NULL;
        g = model_load(path, &lo, msg, sizeof msg);
        if (!g) err_set(err, errlen, "%s", msg);
        fixed_only = g != NULL;
    }
    if (!g) return NULL;
    bool nhwc = fid == FMT_TFLITE || fid == FMT_SAVED_MODEL || fid == FMT_PB || fid == FMT_TFJS;
    /* TF Lite files hold boxes as fractions of the input size (the peer's convention); so do a
     * SavedModel or GraphDef written beside them by format=tflite */
    if (nhwc && pass_nhwc_as_source(g, fid == FMT_TFLITE || pass_boxes_normalised(g), msg, sizeof msg) != 0) {
        graph_free(g);
        err_set(err, errlen, "%s: the yoloport executor cannot run it: %s", path, msg);
        return NULL;
    }
    RuntimeSession *s = builtin_session(g, g, o->threads, o->cancel, msg, sizeof msg);
    if (!s) {
        err_set(err, errlen, "%s: the yoloport executor cannot run it: %s", path, msg);
        return NULL;
    }
    if (any_size && fixed_only) {
        Builtin *b = s->impl;
        b->rebuild_path = xstrdup(path);
        if (s->input.rank == 4) s->input.dims[2] = s->input.dims[3] = -1;
    }
    return s;
}

/* ---- choosing a runtime --------------------------------------------------------------- */

RuntimeSession *runtime_open(const char *path, RuntimeOpenOptions *o, char *err, size_t errlen)
{
    o->fallback[0] = '\0';
    int want;
    char lib[4096];
    if (runtime_parse_spec(o->runtime, &want, lib, sizeof lib, err, errlen) != 0) return NULL;
    char msg[1200];
    FormatId fid = model_detect(path, msg, sizeof msg);
    if (fid == FMT_NONE) {
        err_set(err, errlen, "%s", msg);
        return NULL;
    }
    const FormatInfo *fi = registry_row(fid);
    if (want == RUNTIME_BUILTIN) return builtin_open(path, o, err, errlen);
    if (want > RUNTIME_BUILTIN) {
        const RuntimeInfo *ri = runtime_info((RuntimeId)want);
        if (!ri->adapter) {
            char drive[128] = "";
            size_t used = 0;
            for (int i = RUNTIME_BUILTIN + 1; i < RUNTIME_COUNT && used < sizeof drive; i++)
                if (runtimes[i].adapter)
                    used += (size_t)snprintf(drive + used, sizeof drive - used, "%s%s", used ? ", " : "", runtimes[i].name);
            err_set(err, errlen, "runtime=%s: this build has no adapter for %s (only a library tested against "
                    "this build is driven: %s)", o->runtime, ri->display, drive);
            return NULL;
        }
        /* the runtime must be the row's own: onnxruntime runs ONNX files, ncnn ncnn models */
        if (!fi || !fi->run || fid != ri->format) {
            err_set(err, errlen, "runtime=%s: %s runs %s files; %s is %s", o->runtime, ri->display, ri->files, path,
                    fi ? fi->name : "something else");
            return NULL;
        }
    }
    if (fi && fi->run) {
        struct FormatRun fr = {.path = path, .library = lib[0] ? lib : NULL, .threads = o->threads};
        if (fi->run(&fr, msg, sizeof msg) == 0) {
            fr.session->cancel = o->cancel;
            return fr.session;
        }
        if (want >= 0) { /* asked for by name: no fallback */
            err_set(err, errlen, "%s", msg);
            return NULL;
        }
        if (fr.probe.status == RUNTIME_FOUND) { /* found and loaded, but it could not open the file */
            err_set(err, errlen, "%s", msg);
            return NULL;
        }
        snprintf(o->fallback, sizeof o->fallback, "%s", msg);
    }
    return builtin_open(path, o, err, errlen);
}

void runtime_close(RuntimeSession *s)
{
    if (!s) return;
    s->ops->close(s);
    free(s);
}
