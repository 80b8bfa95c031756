#!/usr/bin/env node
// run_tflite: run a .tflite in LiteRT.js (@litertjs/core: TF Lite with XNNPACK compiled to
// WebAssembly, CPU) for the tests.
//
//   node tests/node/run_tflite.mjs MODEL.tflite [INPUT.npy | DTYPE:D0xD1x...:PATTERN] [--out DIR] [--nchw] [--to-nchw]
//
// The input feeds the model's first input (a .npy, or a pattern: zeros, ones, ramp, seed:N over
// the given shape; none: a ramp over the model's declared input shape).  --nchw transposes a
// rank-4 input from NCHW (the peer's .npy files) to the model's NHWC; --to-nchw transposes
// rank-4 outputs back.  Outputs go to DIR/output_<k>.npy.  Prints one JSON line: {"model",
// "inputs": [{name, dtype, dims}], "outputs": [{name, dtype, dims, file}], "load_ms",
// "run_ms"}.  Errors print {"model", "error"} and exit 1.
//
// LiteRT.js is written for browsers; in Node.js it needs a worker-like global scope: `self`,
// an `importScripts` that runs its loader script, and the location of its .wasm files.
import fs from 'fs';
import path from 'path';
import vm from 'vm';
import { createRequire } from 'module';
import { fileURLToPath } from 'url';

const require = createRequire(import.meta.url);
const { readNpy, writeNpy } = require('./npy.js');
const here = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = path.join(here, 'node_modules', '@litertjs', 'core', 'wasm') + '/';

globalThis.self = globalThis;
globalThis.require = require; // the loader, run as a script, reads its .wasm through Node's fs
globalThis.__dirname = wasmDir;
globalThis.importScripts = (file) => vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
globalThis.Module = { locateFile: (f) => wasmDir + f };
const say = (s) => process.stdout.write(s + '\n');
console.log = () => {};
console.warn = () => {};
console.info = () => {};

function transpose4(data, dims, perm) {
  const out = new data.constructor(data.length);
  const od = perm.map((p) => dims[p]);
  const st = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1];
  let o = 0;
  for (let a = 0; a < od[0]; a++)
    for (let b = 0; b < od[1]; b++)
      for (let c = 0; c < od[2]; c++)
        for (let d = 0; d < od[3]; d++) {
          const idx = [a, b, c, d];
          let s = 0;
          for (let k = 0; k < 4; k++) s += idx[k] * st[perm[k]];
          out[o++] = data[s];
        }
  return { data: out, dims: od };
}

function pattern(spec, dims) {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  if (spec === 'ones') data.fill(1);
  else if (spec === 'ramp') for (let i = 0; i < n; i++) data[i] = (i % 255) / 255;
  else if (spec.startsWith('seed:')) {
    let s = Number(spec.slice(5)) >>> 0 || 1;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = s / 4294967296;
    }
  }
  return data;
}

async function main() {
  const args = process.argv.slice(2);
  const flag = (f) => {
    const i = args.indexOf(f);
    if (i < 0) return false;
    args.splice(i, 1);
    return true;
  };
  const opt = (f) => {
    const i = args.indexOf(f);
    if (i < 0) return null;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const nchw = flag('--nchw'), toNchw = flag('--to-nchw');
  const outDir = opt('--out');
  const [modelPath, inputSpec] = args;
  const { loadLiteRt, loadAndCompile, Tensor } = await import('@litertjs/core');
  await loadLiteRt(wasmDir + 'litert_wasm_compat_internal.js'); // Node 20 lacks relaxed SIMD
  const t0 = Date.now();
  const bytes = new Uint8Array(fs.readFileSync(modelPath));
  const model = await loadAndCompile(bytes, { accelerator: 'wasm' });
  const load_ms = Date.now() - t0;
  const inDet = model.getInputDetails();
  const outDet = model.getOutputDetails();
  let dims = Array.from(inDet[0].shape);
  let data;
  if (inputSpec && inputSpec.endsWith('.npy')) {
    const a = readNpy(inputSpec);
    data = Float32Array.from(a.data);
    dims = a.dims;
  } else if (inputSpec) {
    const [, shape, pat] = inputSpec.split(':').length === 3 ? inputSpec.split(':') : [null, null, inputSpec];
    if (shape) dims = shape.split('x').map(Number);
    data = pattern(pat || 'ramp', dims);
  } else {
    data = pattern('ramp', dims);
  }
  if (nchw && dims.length === 4) ({ data, dims } = transpose4(data, dims, [0, 2, 3, 1]));
  const input = new Tensor(data, dims);
  const t1 = Date.now();
  const results = await model.run([input]);
  const run_ms = Date.now() - t1;
  const outputs = [];
  for (let k = 0; k < results.length; k++) {
    const r = results[k];
    let od = Array.from(r.type.layout.dimensions);
    let od_data = r.toTypedArray();
    if (toNchw && od.length === 4) ({ data: od_data, dims: od } = transpose4(od_data, od, [0, 3, 1, 2]));
    let file = null;
    if (outDir) {
      fs.mkdirSync(outDir, { recursive: true });
      file = path.join(outDir, `output_${k}.npy`);
      writeNpy(file, { dtype: 'float32', dims: od, data: Float32Array.from(od_data) });
    }
    outputs.push({ name: outDet[k] ? outDet[k].name : `output_${k}`, dtype: r.type.dtype, dims: od, file });
    r.delete();
  }
  input.delete();
  say(JSON.stringify({ model: modelPath, inputs: inDet.map((d) => ({ name: d.name, dtype: d.dtype, dims: Array.from(d.shape) })),
                       outputs, load_ms, run_ms }));
}

main().catch((e) => {
  say(JSON.stringify({ model: process.argv[2], error: String(e && e.stack ? e.stack : e) }));
  process.exit(1);
});
