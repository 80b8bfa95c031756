/* config: read the config file, read and write the state file (see config.h). */
#include "tui/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static void xdg_path(char *out, size_t len, const char *env, const char *fallback, const char *leaf)
{
    const char *base = getenv(env);
    const char *home = getenv("HOME");
    if (base && *base && base[0] == '/') snprintf(out, len, "%s/yoloport/%s", base, leaf);
    else if (home && *home) snprintf(out, len, "%s/%s/yoloport/%s", home, fallback, leaf);
    else snprintf(out, len, "/tmp/yoloport-%d/%s", (int)getuid(), leaf);
}

void config_paths(App *app)
{
    xdg_path(app->config_path, sizeof app->config_path, "XDG_CONFIG_HOME", ".config", "config");
    xdg_path(app->state_path, sizeof app->state_path, "XDG_STATE_HOME", ".local/state", "state");
    xdg_path(app->log_path, sizeof app->log_path, "XDG_STATE_HOME", ".local/state", "workbench.log");
}

int config_mkdirs_for(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) return 0;
    *slash = 0;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = 0;
    return s;
}

int config_apply_text(App *app, const char *text, bool theme_given, char *err, size_t errlen)
{
    int rc = 0, lineno = 0;
    const char *p = text;
    char line[1024], msg[256];
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *next = nl ? nl + 1 : p + len;
        if (len >= sizeof line) len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = 0;
        p = next;
        lineno++;
        char *hash = strchr(line, '#');
        /* '#' starts a comment unless it is a key name: "bind * # foo" */
        if (hash && !(strncmp(trim(line), "bind", 4) == 0 || strncmp(trim(line), "unbind", 6) == 0)) *hash = 0;
        char *s = trim(line);
        if (!*s) continue;
        msg[0] = 0;
        if (!strncmp(s, "bind ", 5) || !strncmp(s, "unbind ", 7)) {
            if (keymap_config_line(&app->keymap, s, msg, sizeof msg) != 0) goto bad;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(msg, sizeof msg, "expected 'name = value'");
            goto bad;
        }
        *eq = 0;
        char *key = trim(s), *val = trim(eq + 1);
        if (!strcmp(key, "theme")) {
            if (!theme_given) snprintf(app->theme_name, sizeof app->theme_name, "%s", val);
        } else if (!strcmp(key, "refresh")) {
            int v = atoi(val);
            if (v < 1 || v > 240) {
                snprintf(msg, sizeof msg, "refresh must be 1..240 frames per second");
                goto bad;
            }
            app->fps = v;
        } else if (!strcmp(key, "mouse")) {
            app->mouse = !strcasecmp(val, "on") || !strcasecmp(val, "true") || !strcmp(val, "1") || !strcasecmp(val, "yes");
        } else if (!strcmp(key, "export")) {
            snprintf(app->default_args, sizeof app->default_args, "%s", val);
        } else if (!strncmp(key, "host.", 5)) {
            if (remote_hosts_set(&app->hosts, key, val, msg, sizeof msg) != 0) goto bad;
        } else {
            snprintf(msg, sizeof msg, "unknown setting '%s' (theme, refresh, mouse, export, host.NAME, bind, unbind)", key);
            goto bad;
        }
        continue;
    bad:
        if (rc == 0) snprintf(err, errlen, "%s:%d: %s", app->config_path[0] ? app->config_path : "config", lineno, msg);
        rc = -1;
    }
    return rc;
}

int config_load(App *app, bool theme_given, char *err, size_t errlen)
{
    FILE *f = fopen(app->config_path, "r");
    if (!f) return 0;
    char *text = xmalloc(65536);
    size_t n = fread(text, 1, 65535, f);
    text[n] = 0;
    fclose(f);
    int rc = config_apply_text(app, text, theme_given, err, errlen);
    free(text);
    return rc;
}

int config_load_hosts(RemoteHosts *hosts, char *err, size_t errlen)
{
    memset(hosts, 0, sizeof *hosts);
    char path[4096];
    xdg_path(path, sizeof path, "XDG_CONFIG_HOME", ".config", "config");
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[1024], msg[256];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *s = trim(line);
        char *eq = strchr(s, '=');
        if (strncmp(s, "host.", 5) != 0 || !eq) continue;
        *eq = 0;
        if (remote_hosts_set(hosts, trim(s), trim(eq + 1), msg, sizeof msg) != 0 && rc == 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

void state_load(const App *app, UiState *st)
{
    memset(st, 0, sizeof *st);
    FILE *f = fopen(app->state_path, "r");
    if (!f) return;
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        char *k = trim(line), *v = trim(eq + 1);
        if (!strcmp(k, "model")) snprintf(st->model, sizeof st->model, "%s", v);
        else if (!strcmp(k, "args")) snprintf(st->args, sizeof st->args, "%s", v);
        else if (!strcmp(k, "screen")) st->screen = atoi(v);
    }
    fclose(f);
}

int state_save(const App *app, const UiState *st)
{
    if (config_mkdirs_for(app->state_path) != 0) return -1;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", app->state_path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    fprintf(f, "# yoloport workbench state (rewritten on exit)\nmodel = %s\nargs = %s\nscreen = %d\n", st->model, st->args,
            st->screen);
    if (fclose(f) != 0 || rename(tmp, app->state_path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}
