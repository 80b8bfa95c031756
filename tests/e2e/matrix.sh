#!/bin/sh
# End-to-end checks of `yoloport matrix`: JSON shape and registry columns, Chinese text, markdown
# table shape, table width in display columns (python's East Asian Width), CSV records, usage
# errors (exit 2, one line) and a corrupted data file (exit 1, message naming the file).
. "$(dirname "$0")/lib.sh"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
PY=python3
if ! command -v $PY >/dev/null 2>&1; then skip matrix "python3 is not installed"; exit 0; fi

"$BIN" matrix --format json >"$t/en.json" 2>"$t/err"
check matrix_json_exit test $? -eq 0
"$BIN" matrix --format json --lang zh >"$t/zh.json" 2>>"$t/err"
check matrix_json_zh_exit test $? -eq 0

check matrix_json_shape $PY - "$t/en.json" "$t/zh.json" <<'EOF'
import json, sys
# The export registry's rows (format argument, suffix, CPU, GPU, arguments), in order.
rows = [("-", ".pt", 1, 1, ""), ("torchscript", ".torchscript", 1, 1, "batch,optimize,half,nms,dynamic"),
        ("onnx", ".onnx", 1, 1, "batch,dynamic,half,opset,simplify,nms"),
        ("openvino", "_openvino_model", 1, 0, "batch,dynamic,half,int8,nms,fraction"),
        ("engine", ".engine", 0, 1, "batch,dynamic,half,int8,simplify,nms,fraction"),
        ("coreml", ".mlpackage", 1, 0, "batch,half,int8,nms"), ("saved_model", "_saved_model", 1, 1, "batch,int8,keras,nms"),
        ("pb", ".pb", 1, 1, "batch"), ("tflite", ".tflite", 1, 0, "batch,half,int8,nms,fraction"),
        ("edgetpu", "_edgetpu.tflite", 1, 0, ""), ("tfjs", "_web_model", 1, 0, "batch,half,int8,nms"),
        ("paddle", "_paddle_model", 1, 1, "batch"), ("mnn", ".mnn", 1, 1, "batch,half,int8"), ("ncnn", "_ncnn_model", 1, 1, "batch,half")]
keys = ["performance", "compatibility", "community", "use_cases", "maintenance", "security", "acceleration"]
docs = [json.load(open(p)) for p in sys.argv[1:]]
for d, lang in zip(docs, ["en", "zh"]):
    assert list(d)[:3] == ["lang", "criteria", "options"], list(d)
    assert d["lang"] == lang
    assert [c["key"] for c in d["criteria"]] == keys
    assert all(list(c) == ["key", "title"] and c["title"].strip() for c in d["criteria"])
    assert len(d["options"]) == 14, len(d["options"])
    for o, r in zip(d["options"], rows):
        assert list(o)[:8] == ["name", "argument", "suffix", "cpu", "gpu", "arguments", "cells", "details"], list(o)
        assert (o["argument"], o["suffix"], int(o["cpu"]), int(o["gpu"]), ",".join(o["arguments"])) == r, (o["name"], r)
        for k in keys:
            assert o["cells"][k].strip() and o["details"][k].strip(), (lang, o["name"], k)
en, zh = docs
assert [o["name"] for o in en["options"]] == [o["name"] for o in zh["options"]]
cjk = lambda s: any(0x4E00 <= ord(ch) <= 0x9FFF for ch in s)
n = sum(cjk(o["cells"][k]) for o in zh["options"] for k in keys)
assert n >= 90, n
assert not any(cjk(o["cells"][k]) for o in en["options"] for k in keys)
EOF

"$BIN" matrix --format markdown --lang zh >"$t/zh.md"
check matrix_markdown_table $PY - "$t/zh.md" <<'EOF'
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("\n")
cols = lambda l: len(re.findall(r"(?<!\\)\|", l))
assert len(lines) == 16, len(lines)
assert all(l.startswith("|") and l.endswith("|") for l in lines)
assert len({cols(l) for l in lines}) == 1, [cols(l) for l in lines]
assert re.fullmatch(r"\|( --- \|)+", lines[1]), lines[1]
assert cols(lines[0]) == 11
EOF

for lang in en zh; do
    for w in 80 200; do
        "$BIN" matrix --lang $lang --width $w >"$t/table-$lang-$w.txt"
        check "matrix_width_${lang}_$w" $PY - "$t/table-$lang-$w.txt" $w <<'EOF'
import sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
text = open(sys.argv[1], encoding="utf-8").read()
limit = int(sys.argv[2])
worst = max(width(l) for l in text.split("\n"))
assert worst <= limit, (worst, limit)
assert "NCNN" in text and "MNN" in text
EOF
    done
done
# widths do not depend on the locale (LC_ALL=C falls back to the built-in wide-character table)
LC_ALL=C "$BIN" matrix --lang zh --width 150 >"$t/c.txt"
check matrix_width_zh_lc_all_c $PY - "$t/c.txt" 150 <<'EOF2'
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert max(w(l) for l in lines) <= 150
# every table line has its column separators at the same display columns (CJK aligned)
seps = {tuple(w(l[:i]) for i, ch in enumerate(l) if ch == "|") for l in lines if " | " in l}
assert len(seps) == 1, seps
EOF2

# COLUMNS is the width when stdout is not a terminal
COLUMNS=60 "$BIN" matrix --lang zh --details >"$t/cols.txt"
check matrix_columns_env $PY - "$t/cols.txt" 60 <<'EOF'
import sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
text = open(sys.argv[1], encoding="utf-8").read()
assert max(w(l) for l in text.split("\n")) <= 60
assert "运行时" in text
EOF

"$BIN" matrix --format csv --only onnx,engine --criteria use_cases,performance >"$t/m.csv"
check matrix_csv $PY - "$t/m.csv" <<'EOF'
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert raw.count(b"\r\n") == 3 and raw.count(b"\n") == 3, raw
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert [r[1] for r in rows] == ["format=", "onnx", "engine"], rows
assert rows[0][5:] == ["Typical uses", "Performance"], rows[0]
assert all(len(r) == 7 for r in rows)
EOF

# usage errors: exit 2 and one line on stderr
for args in "--lang fr" "--format xml" "--criteria speed" "--only foo" "--frobnicate" "--width 3"; do
    name="matrix_usage_$(echo "$args" | tr -c 'a-z0-9\n' '_' | sed 's/_*$//')"
    "$BIN" matrix $args >"$t/out" 2>"$t/err"
    rc=$?
    check "$name" sh -c "[ $rc -eq 2 ] && [ \$(wc -l <'$t/err') -eq 1 ] && [ ! -s '$t/out' ]"
done

# a corrupted data file: exit 1 and a message naming the file and the problem
mkdir -p "$t/share/matrix"
cp "${YOLOPORT_SHARE:-share}/matrix/en.json" "${YOLOPORT_SHARE:-share}/matrix/zh.json" "$t/share/matrix/"
head -c 2000 "${YOLOPORT_SHARE:-share}/matrix/zh.json" >"$t/share/matrix/zh.json"
YOLOPORT_SHARE="$t/share" "$BIN" matrix --lang zh >"$t/out" 2>"$t/err"
rc=$?
check matrix_bad_json sh -c "[ $rc -eq 1 ] && grep -q 'zh.json: invalid JSON at line' '$t/err'"
sed 's/"security": "Guard the conversion pipeline"/"security": ""/' "${YOLOPORT_SHARE:-share}/matrix/en.json" >"$t/share/matrix/en.json"
YOLOPORT_SHARE="$t/share" "$BIN" matrix >"$t/out" 2>"$t/err"
rc=$?
check matrix_empty_cell sh -c "[ $rc -eq 1 ] && grep -q 'en.json: options\[2\].cells.security: empty string' '$t/err'"
