// npy: read and write NumPy .npy files (format versions 1-3, C order, little-endian) for
// the test runners.  An array is { dtype: 'float32' | ..., dims: [..], data: TypedArray }.
'use strict';
const fs = require('fs');

// numpy descr -> [dtype name (onnxruntime's), TypedArray constructor, element size]
const DESCR = {
  '<f4': ['float32', Float32Array, 4],
  '<f8': ['float64', Float64Array, 8],
  '<f2': ['float16', Uint16Array, 2],
  '<i8': ['int64', BigInt64Array, 8],
  '<u8': ['uint64', BigUint64Array, 8],
  '<i4': ['int32', Int32Array, 4],
  '<u4': ['uint32', Uint32Array, 4],
  '<i2': ['int16', Int16Array, 2],
  '<u2': ['uint16', Uint16Array, 2],
  '|i1': ['int8', Int8Array, 1],
  '|u1': ['uint8', Uint8Array, 1],
  '|b1': ['bool', Uint8Array, 1],
};
const BY_DTYPE = {};
for (const [descr, [name, ctor, size]] of Object.entries(DESCR)) BY_DTYPE[name] = { descr, ctor, size };

function parseHeader(text) {
  const descr = /'descr':\s*'([^']+)'/.exec(text);
  const order = /'fortran_order':\s*(True|False)/.exec(text);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(text);
  if (!descr || !order || !shape) throw new Error('npy: malformed header: ' + text);
  if (order[1] === 'True') throw new Error('npy: Fortran order is not supported');
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map((s) => Number(s));
  let d = descr[1];
  if (d === '=f4' || d === 'f4') d = '<f4';
  if (d === '>f4' || d.startsWith('>')) throw new Error('npy: big-endian data is not supported');
  if (!DESCR[d]) throw new Error('npy: unsupported dtype ' + descr[1]);
  return { descr: d, dims };
}

function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || buf.readUInt32BE(0) !== 0x934e554d || buf.toString('latin1', 4, 6) !== 'PY')
    throw new Error(path + ': not a .npy file');
  const major = buf[6];
  let hlen, start;
  if (major === 1) { hlen = buf.readUInt16LE(8); start = 10; } else { hlen = buf.readUInt32LE(8); start = 12; }
  const { descr, dims } = parseHeader(buf.toString('latin1', start, start + hlen));
  const [dtype, Ctor, size] = DESCR[descr];
  const count = dims.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  if (buf.length - off < count * size) throw new Error(path + ': truncated data');
  const bytes = new Uint8Array(count * size);
  bytes.set(buf.subarray(off, off + count * size));
  return { dtype, dims, data: new Ctor(bytes.buffer, 0, count) };
}

function npyBytes(arr) {
  const info = BY_DTYPE[arr.dtype];
  if (!info) throw new Error('npy: cannot write dtype ' + arr.dtype);
  const shape = arr.dims.length === 1 ? `(${arr.dims[0]},)` : `(${arr.dims.join(', ')})`;
  let header = `{'descr': '${info.descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.writeUInt32BE(0x934e554d, 0);
  head.write('PY', 4, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const d = arr.data;
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(d.buffer, d.byteOffset, d.byteLength)]);
}

function writeNpy(path, arr) {
  fs.writeFileSync(path, npyBytes(arr));
}

module.exports = { readNpy, writeNpy, npyBytes, BY_DTYPE };
