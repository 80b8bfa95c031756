#!/bin/sh
# check-layers: the layering rules of DESIGN's layers, checked on #include lines (comments
# are skipped).  Usage: sh scripts/check-layers.sh [ROOT]   (ROOT defaults to the repo).
#   formats/  may include engine/core/ only, of engine/;
#   engine/   may not include curses or widgets/;
#   widgets/  may include engine/core/ only, of engine/.
# Prints one line per violation, "file:line: rule: included path", and exits 1 when there is
# any (0 when the tree is clean, 2 on a usage error).
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
[ -d "$root" ] || { echo "check-layers: no directory $root" >&2; exit 2; }
cd "$root" || exit 2

# The included paths of one file, "line<TAB>path", outside /* */ and // comments.
includes() {
    awk '
    {
        line = $0; out = "";
        while (length(line) > 0) {
            if (inblock) {
                e = index(line, "*/");
                if (!e) { line = ""; break }
                line = substr(line, e + 2); inblock = 0; continue
            }
            s = index(line, "/*"); c = index(line, "//");
            if (c && (!s || c < s)) { out = out substr(line, 1, c - 1); line = ""; break }
            if (!s) { out = out line; line = ""; break }
            out = out substr(line, 1, s - 1) " "; line = substr(line, s + 2); inblock = 1
        }
        if (out ~ /^[ \t]*#[ \t]*include[ \t]*[<"]/) {
            p = out; sub(/^[ \t]*#[ \t]*include[ \t]*[<"]/, "", p); sub(/[>"].*$/, "", p);
            print FNR "\t" p
        }
    }' "$1"
}

bad=0
report() { echo "$1:$2: $3: $4"; bad=1; }

for f in $(find formats widgets engine -name '*.[ch]' 2>/dev/null | sort); do
    includes "$f" > "${TMPDIR:-/tmp}/check-layers.$$"
    while IFS="$(printf '\t')" read -r ln path; do
        case "$f" in
        formats/*)
            case "$path" in engine/core/*) ;; engine/*) report "$f" "$ln" "formats/ may include only engine/core/ of engine" "$path" ;; esac ;;
        widgets/*)
            case "$path" in engine/core/*) ;; engine/*) report "$f" "$ln" "widgets/ may include only engine/core/ of engine" "$path" ;; esac ;;
        engine/*)
            case "$path" in
            *curses*) report "$f" "$ln" "engine/ may not include curses" "$path" ;;
            widgets/*) report "$f" "$ln" "engine/ may not include widgets/" "$path" ;;
            esac ;;
        esac
    done < "${TMPDIR:-/tmp}/check-layers.$$"
done
rm -f "${TMPDIR:-/tmp}/check-layers.$$"
exit $bad
