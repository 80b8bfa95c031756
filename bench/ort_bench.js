#!/usr/bin/env node
// ort_bench: times onnxruntime-node on one model (bench/exec.sh drives it).
//
//   node bench/ort_bench.js MODEL RUNS THREADS [IMGSZ]
//
// One session with THREADS intra-op threads (one inter-op thread, every graph
// optimisation on), a warm-up run, then RUNS timed runs on the input bench/exec_bench.c
// feeds ours ((i * 37) % 255 / 255 over a 1x3xIMGSZxIMGSZ tensor).  Prints one line:
//   ort MODEL: median M ms/image (min A, max B)
'use strict';
const path = require('path');
const ort = require(path.join(__dirname, '..', 'tests', 'node', 'node_modules', 'onnxruntime-node'));

(async () => {
  const [model, runsArg, threadsArg, imgszArg] = process.argv.slice(2);
  const runs = Math.max(1, Number(runsArg || 10)), threads = Math.max(1, Number(threadsArg || 1));
  const imgsz = Number(imgszArg || 640);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const name = session.inputNames[0];
  const n = 3 * imgsz * imgsz;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = ((i * 37) % 255) / 255;
  const feeds = { [name]: new ort.Tensor('float32', x, [1, 3, imgsz, imgsz]) };
  await session.run(feeds);
  const t = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  console.log(`ort ${model}: median ${t[runs >> 1].toFixed(1)} ms/image (min ${t[0].toFixed(1)}, max ${t[runs - 1].toFixed(1)})`);
})().catch((e) => {
  console.error(`ort_bench: ${e.message}`);
  process.exit(1);
});
