#!/usr/bin/env node
// run_tfjs_tflite: run a .tflite in @tensorflow/tfjs-tflite (TF Lite's interpreter compiled to
// WebAssembly, an older TF Lite than LiteRT.js, which takes int8 inputs) for the tests.
//
//   node tests/node/run_tfjs_tflite.js MODEL.tflite INPUT.npy OUT.npy [--nchw] [--in-quant SCALE:ZP]
//
// INPUT.npy (float32) feeds the model's input (--nchw: transposed from NCHW to the model's NHWC).
// An int8 input is fed round(x / SCALE) + ZP (--in-quant; TF Lite's quantisation).  The first
// output goes to OUT.npy as float32 (an int8 output as its integer values: the caller
// dequantises them).  Prints one JSON line {"model", "inputs": [{name, dtype, shape}],
// "outputs": [...], "run_ms"}; errors print {"model", "error"} and exit 1.
//
// tfjs-tflite is written for browsers: in Node.js it is given a worker-like scope (`self`,
// `location`, `importScripts`), a fetch that reads local files, and no MessageChannel while it
// loads (so it takes its single-threaded WebAssembly build).
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { readNpy, writeNpy } = require('./npy.js');

globalThis.self = globalThis;
globalThis.location = { origin: '', href: '/' };
globalThis.importScripts = (f) => vm.runInThisContext(fs.readFileSync(f, 'utf8'), { filename: f });
const realFetch = globalThis.fetch;
globalThis.fetch = async (u, o) => {
  if (typeof u === 'string' && u.startsWith('/')) {
    const b = fs.readFileSync(u);
    return { ok: true, status: 200, arrayBuffer: async () => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) };
  }
  return realFetch(u, o);
};
WebAssembly.instantiateStreaming = undefined;
const say = (s) => process.stdout.write(s + '\n');
console.log = () => {};
console.warn = () => {};
console.info = () => {};

function toNhwc(data, [n, c, h, w]) {
  const out = new data.constructor(data.length);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++)
      for (let i = 0; i < h * w; i++) out[(b * h * w + i) * c + k] = data[(b * c + k) * h * w + i];
  return { data: out, dims: [n, h, w, c] };
}

async function main() {
  const args = process.argv.slice(2);
  const nchw = args.includes('--nchw');
  const qi = args.indexOf('--in-quant');
  const inQuant = qi >= 0 ? args[qi + 1].split(':').map(Number) : null;
  const pos = args.filter((a, i) => !a.startsWith('--') && !(qi >= 0 && i === qi + 1));
  const [model, input, outPath] = pos;
  if (!model || !input || !outPath) throw new Error('usage: run_tfjs_tflite.js MODEL INPUT.npy OUT.npy [--nchw] [--in-quant S:Z]');
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  const tfl = require('@tensorflow/tfjs-tflite');
  tfl.setWasmPath(path.join(path.dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm') + '/');
  await tf.setBackend('cpu');
  const buf = fs.readFileSync(model);
  const MC = globalThis.MessageChannel;
  globalThis.MessageChannel = undefined;
  let m;
  try {
    m = await tfl.loadTFLiteModel(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length), { numThreads: 1 });
  } finally {
    globalThis.MessageChannel = MC;
  }
  let x = readNpy(input);
  if (nchw && x.dims.length === 4) x = toNhwc(x.data, x.dims);
  const spec = m.inputs[0];
  let t;
  if (spec.dtype === 'float32') {
    t = tf.tensor(Float32Array.from(x.data), x.dims, 'float32');
  } else {
    if (!inQuant) throw new Error(`the input is ${spec.dtype}: give --in-quant SCALE:ZP`);
    const [s, z] = inQuant;
    const q = new Int32Array(x.data.length);
    for (let i = 0; i < q.length; i++) q[i] = Math.max(-128, Math.min(127, Math.round(x.data[i] / s) + z));
    t = tf.tensor(q, x.dims, 'int32');
  }
  const t0 = Date.now();
  let y = m.predict(t);
  const ms = Date.now() - t0;
  if (!(y instanceof tf.Tensor)) y = Object.values(y)[0];
  writeNpy(outPath, { dtype: 'float32', dims: y.shape, data: Float32Array.from(y.dataSync()) });
  const io = (l) => l.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape }));
  say(JSON.stringify({ model, inputs: io(m.inputs), outputs: io(m.outputs), run_ms: ms }));
}

main().catch((e) => {
  say(JSON.stringify({ model: process.argv[2], error: String((e && e.message) || e) }));
  process.exit(1);
});
