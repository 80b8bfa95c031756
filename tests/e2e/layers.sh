# The layering check (scripts/check-layers.sh): the tree is clean, and each kind of violation
# planted in a copy of it is reported (while includes inside comments are not).
. tests/e2e/lib.sh
out=$(sh scripts/check-layers.sh 2>&1); rc=$?
check "layers: the tree keeps its layers${out:+ ($out)}" [ "$rc" -eq 0 ]

tmp=$(mktemp -d)
cp -R engine formats widgets "$tmp/"
printf '#include "engine/core/util.h"\n#include "engine/exec/exec.h"\n' > "$tmp/formats/planted_exec.c"
printf '#include <stdio.h>\n#  include <ncursesw/curses.h>\n' > "$tmp/engine/planted_curses.c"
printf '#include "widgets/widgets.h"\n' > "$tmp/engine/exec/planted_widgets.h"
printf '#include "engine/core/util.h"\n#include "engine/export/export_args.h"\n' > "$tmp/widgets/planted_args.c"
cat > "$tmp/formats/planted_comments.c" <<'C'
// #include "engine/exec/exec.h"
/* #include "engine/export/export.h" */
/* a comment over two lines
#include "engine/passes/passes.h"
*/
#include "engine/core/graph.h" /* not "engine/exec/exec.h" */
C
sh scripts/check-layers.sh "$tmp" > "$tmp/report" 2>&1; rc=$?
check "layers: a planted violation fails the check" [ "$rc" -eq 1 ]
check "layers: formats/ including the executor is reported" \
    grep -q '^formats/planted_exec.c:2: formats/ may include only engine/core/ of engine: engine/exec/exec.h$' "$tmp/report"
check "layers: engine/ including curses is reported" \
    grep -q '^engine/planted_curses.c:2: engine/ may not include curses: ncursesw/curses.h$' "$tmp/report"
check "layers: engine/ including widgets/ is reported" \
    grep -q '^engine/exec/planted_widgets.h:1: engine/ may not include widgets/: widgets/widgets.h$' "$tmp/report"
check "layers: widgets/ including engine/ outside core is reported" \
    grep -q '^widgets/planted_args.c:2: widgets/ may include only engine/core/ of engine: engine/export/export_args.h$' "$tmp/report"
check "layers: exactly the four planted lines are reported (comments are not includes)" \
    [ "$(wc -l < "$tmp/report")" -eq 4 ]
rm -rf "$tmp"
