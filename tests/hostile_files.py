"""Small hostile files for tests/e2e/hostile.sh, written from nothing (no torch, no onnx).
(ONNX graphs meant as export sources are named *.model, so that the .onnx an export writes
is another file.)

    python3 tests/hostile_files.py OUTDIR [NAME ...]

writes every case (or the named ones) into OUTDIR.  Each case is a few KB to a few MB and
asks, when read naively, for gigabytes of memory or minutes of time: a stride-0 tensor, a
module reused 131,072 times, a zip64 entry claiming 2 TB, a deflate bomb, duplicate zip
entries, 100k dict keys chosen to collide, ONNX graphs whose executor run needs gigabytes,
131k tensor names colliding under FNV-1a, YAML nested 100k deep, model configs with
absurd multiples, and external data through links and FIFOs (those are made by the shell
script).  Checkpoints are pickled by Python's own pickler against stand-in modules that
carry the torch and Ultralytics class names: nothing here imports torch.
"""
import collections
import io
import os
import struct
import sys
import types
import zipfile
import zlib

CASES = []


def case(fn):
    """A generator of one case's files (run by name from the command line, or all)."""
    CASES.append(fn)
    return fn


# ---- stand-in modules: the class paths a checkpoint names ------------------------------------


def fake_module(name, **attrs):
    parts = name.split('.')
    for i in range(1, len(parts)):
        sys.modules.setdefault('.'.join(parts[:i]), types.ModuleType('.'.join(parts[:i])))
    m = sys.modules.get(name) or types.ModuleType(name)
    for k, v in attrs.items():
        v.__module__, v.__qualname__, v.__name__ = name, k, k
        setattr(m, k, v)
    sys.modules[name] = m


def _rebuild_tensor_v2(*a):
    pass


class FloatStorage:
    pass


class DetectionModel:
    pass


class Sequential:
    pass


class Conv:
    pass


class Conv2d:
    pass


fake_module('torch._utils', _rebuild_tensor_v2=_rebuild_tensor_v2)
fake_module('torch', FloatStorage=FloatStorage)
fake_module('ultralytics.nn.tasks', DetectionModel=DetectionModel)
fake_module('torch.nn.modules.container', Sequential=Sequential)
fake_module('ultralytics.nn.modules.conv', Conv=Conv)
fake_module('torch.nn.modules.conv', Conv2d=Conv2d)


class Storage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return (_rebuild_tensor_v2, self.args)


def module(cls, modules=None, params=None, **attrs):
    o = cls.__new__(cls)
    o.__dict__.update(dict(training=False, _parameters=collections.OrderedDict(params or {}),
                           _buffers=collections.OrderedDict(), _modules=collections.OrderedDict(modules or {}),
                           **attrs))
    return o


class Pickler(pickle_base := __import__('pickle').Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ('storage', FloatStorage, obj.key, 'cpu', obj.numel)
        return None


def dumps(obj):
    b = io.BytesIO()
    Pickler(b, protocol=2).dump(obj)
    return b.getvalue()


def zip_write(path, entries):
    """A zip from (name, body, method, crc, size[, declared]) entries written by hand, so that
    sizes can say what the body is not: declared=(compressed, uncompressed) go into zip64
    extra fields instead of the true ones."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        name, body, method, crc, size = e[:5]
        declared = e[5] if len(e) > 5 else None
        nm = name.encode()
        off = len(out)
        if declared:
            extra = struct.pack('<HHQQ', 1, 16, declared[1], declared[0])
            c32 = u32 = 0xFFFFFFFF
        else:
            extra, c32, u32 = b'', len(body), size
        out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, method, 0, 0x21, crc, c32, u32, len(nm), len(extra))
        out += nm + extra + body
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, method, 0, 0x21, crc, c32, u32, len(nm),
                               len(extra), 0, 0, 0, 0, off) + nm + extra
    cd_off = len(out)
    out += central
    out += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, len(entries), len(entries), len(central), cd_off, 0)
    open(path, 'wb').write(bytes(out))


def stored(name, data):
    return (name, data, 0, zlib.crc32(data), len(data))


def checkpoint(path, model, storages, extra=None):
    """A torch.save-shaped zip: archive/data.pkl and archive/data/<key> (stored)."""
    ck = {'model': model}
    ck.update(extra or {})
    zip_write(path, [stored('archive/data.pkl', dumps(ck))] + [stored('archive/data/' + k, d) for k, d in storages.items()])


def detection_model(layers, **attrs):
    seq = module(Sequential, modules={str(i): m for i, m in enumerate(layers)})
    attrs.setdefault('names', {0: 'a'})
    return module(DetectionModel, modules={'model': seq}, **attrs)


def conv(weight):
    c2 = module(Conv2d, params={'weight': weight}, in_channels=3, out_channels=16, kernel_size=(3, 3),
                stride=(1, 1), padding=(1, 1), groups=1, dilation=(1, 1))
    return module(Conv, modules={'conv': c2}, f=-1, i=0, type='ultralytics.nn.modules.conv.Conv')


# ---- checkpoints ------------------------------------------------------------------------------


@case
def pt_stride0_stride(out):
    """model.stride: 2^28 floats viewed from one (stride 0): 1 GB if copied, read even by info."""
    s0 = Storage('0', 1)
    m = detection_model([], stride=Tensor(s0, 0, [1 << 28], [0]))
    checkpoint(os.path.join(out, 'stride0_stride.pt'), m, {'0': b'\0' * 4})


@case
def pt_stride0_weight(out):
    """A Conv weight [1024, 1024, 16, 16] from one float (all strides 0): 1 GB when loaded."""
    s0 = Storage('0', 1)
    w = Tensor(s0, 0, [1024, 1024, 16, 16], [0, 0, 0, 0])
    checkpoint(os.path.join(out, 'stride0_weight.pt'), detection_model([conv(w)]), {'0': b'\0' * 4})


@case
def pt_shared_module(out):
    """One Conv (a 64x64x3x3 stride-0 weight, 147 KB copied) reused by 131,071 layers."""
    s0 = Storage('0', 1)
    c = conv(Tensor(s0, 0, [64, 64, 3, 3], [0, 0, 0, 0]))
    checkpoint(os.path.join(out, 'shared_module.pt'), detection_model([c] * 131071), {'0': b'\0' * 4})


@case
def pt_zip64_huge(out):
    """A storage entry whose zip64 sizes claim 2^41 bytes (a tensor of 2^39 floats)."""
    s0 = Storage('0', 1 << 39)
    w = Tensor(s0, 0, [1 << 39], [1])
    body = b'\0' * 64
    zip_write(os.path.join(out, 'zip64_huge.pt'),
              [stored('archive/data.pkl', dumps({'model': detection_model([conv(w)])})),
               ('archive/data/0', body, 0, zlib.crc32(body), len(body), (1 << 41, 1 << 41))])


@case
def pt_deflate_bomb(out):
    """A deflated storage entry: 128 KB that inflates to 128 MiB of zeros."""
    n = 128 << 20
    w = Tensor(Storage('0', n // 4), 0, [n // 4], [1])
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b'\0' * (1 << 20)
    body, crc = b'', 0
    for _ in range(n >> 20):
        body += comp.compress(chunk)
        crc = zlib.crc32(chunk, crc)
    body += comp.flush()
    zip_write(os.path.join(out, 'deflate_bomb.pt'),
              [stored('archive/data.pkl', dumps({'model': detection_model([conv(w)])})),
               ('archive/data/0', body, 8, crc, n)])


@case
def pt_duplicate_entry(out):
    """Two entries named archive/data.pkl: the first one says one thing, the second another."""
    zip_write(os.path.join(out, 'duplicate_entry.pt'),
              [stored('archive/data.pkl', dumps({'model': detection_model([])})),
               stored('archive/data.pkl', dumps({'model': None}))])


@case
def pt_dict_flood(out):
    """A checkpoint whose train_args dict holds 100,000 int keys that the old index put in one
    slot (its hash was an invertible mix of the value)."""
    M = (1 << 64) - 1
    C = 0xff51afd7ed558ccd
    inv = pow(C, -1, 1 << 64)

    def unmix(x):
        x ^= x >> 33
        x = (x * inv) & M
        x ^= x >> 33
        return x - (1 << 64) if x >> 63 else x
    args = {unmix(i << 24): i for i in range(100000)}
    checkpoint(os.path.join(out, 'dict_flood.pt'), detection_model([]), {}, extra={'train_args': args})


# ---- ONNX, written field by field (protobuf wire format) --------------------------------------


def pb_varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7f
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb_int(field, v):
    return pb_varint(field << 3) + pb_varint(v)


def pb_bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return pb_varint(field << 3 | 2) + pb_varint(len(b)) + b


FLOAT, INT64 = 1, 7


def onnx_tensor(name, dtype, dims, raw):
    return b''.join(pb_int(1, d) for d in dims) + pb_int(2, dtype) + pb_bytes(8, name) + pb_bytes(9, raw)


def onnx_value_info(name, dtype, dims):
    shape = b''.join(pb_bytes(1, pb_int(1, d)) for d in dims)
    return pb_bytes(1, name) + pb_bytes(2, pb_bytes(1, pb_int(1, dtype) + pb_bytes(2, shape)))


def onnx_attr_int(name, v):
    return pb_bytes(1, name) + pb_int(3, v) + pb_int(20, 2)


def onnx_attr_str(name, v):
    return pb_bytes(1, name) + pb_bytes(4, v) + pb_int(20, 3)


def onnx_attr_tensor(name, t):
    return pb_bytes(1, name) + pb_bytes(5, t) + pb_int(20, 4)


def onnx_node(op, inputs, outputs, name=None, attrs=()):
    return (b''.join(pb_bytes(1, i) for i in inputs) + b''.join(pb_bytes(2, o) for o in outputs) +
            pb_bytes(3, name or outputs[0]) + pb_bytes(4, op) + b''.join(pb_bytes(5, a) for a in attrs))


def onnx_model(path, nodes, inputs, outputs, inits=(), opset=17):
    graph = (b''.join(pb_bytes(1, n) for n in nodes) + pb_bytes(2, 'hostile') +
             b''.join(pb_bytes(5, t) for t in inits) + b''.join(pb_bytes(11, v) for v in inputs) +
             b''.join(pb_bytes(12, v) for v in outputs))
    model = pb_int(1, 8) + pb_bytes(2, 'hostile_files.py') + pb_bytes(7, graph) + pb_bytes(8, pb_int(2, opset))
    open(path, 'wb').write(model)


def i64(*v):
    return struct.pack('<%dq' % len(v), *v)


def scaled_output(nodes, big, out_dims):
    """big -> ReduceMean (all, keepdims) -> times images -> output0: the graph's result needs
    every element of big."""
    nodes.append(onnx_node('ReduceMean', [big], ['mean'], attrs=[onnx_attr_int('keepdims', 1)]))
    nodes.append(onnx_node('Mul', ['images', 'mean'], ['output0']))
    return [onnx_value_info('output0', FLOAT, out_dims)]


@case
def onnx_const_reduce(out):
    """764 bytes: ConstantOfShape [1, 1024, 1024, 1024] (4 GiB of floats) -> ReduceSum."""
    one = onnx_tensor('one', FLOAT, [1], struct.pack('<f', 1.0))
    nodes = [onnx_node('ConstantOfShape', ['shape'], ['big'], attrs=[onnx_attr_tensor('value', one)]),
             onnx_node('ReduceSum', ['big'], ['sum'], attrs=[onnx_attr_int('keepdims', 1)]),
             onnx_node('Mul', ['images', 'sum'], ['output0'])]
    onnx_model(os.path.join(out, 'const_reduce.model'), nodes, [onnx_value_info('images', FLOAT, IMAGES)],
               [onnx_value_info('output0', FLOAT, IMAGES)], [onnx_tensor('shape', INT64, [4], i64(1, 1024, 1024, 1024))])


IMAGES = [1, 3, 640, 640]  # the export check's default input: the graphs below run on it


@case
def onnx_resize16(out):
    """Resize x16 of the 1x3x640x640 input: 315M floats (1.26 GB), under the per-tensor cap."""
    nodes = [onnx_node('Resize', ['images', '', 'scales'], ['big'], attrs=[onnx_attr_str('mode', 'nearest')])]
    outs = scaled_output(nodes, 'big', IMAGES)
    onnx_model(os.path.join(out, 'resize16.model'), nodes, [onnx_value_info('images', FLOAT, IMAGES)], outs,
               [onnx_tensor('scales', FLOAT, [4], struct.pack('<4f', 1, 1, 16, 16))])


@case
def onnx_tile(out):
    """Tile the 1x3x640x640 input 16x16 times: 315M floats."""
    nodes = [onnx_node('Tile', ['images', 'repeats'], ['big'])]
    outs = scaled_output(nodes, 'big', IMAGES)
    onnx_model(os.path.join(out, 'tile.model'), nodes, [onnx_value_info('images', FLOAT, IMAGES)], outs,
               [onnx_tensor('repeats', INT64, [4], i64(1, 1, 16, 16))])


@case
def onnx_no_inputs(out):
    """A graph without inputs: a constant through Identity."""
    c = onnx_tensor('c', FLOAT, [1, 3, 8, 8], struct.pack('<192f', *([0.5] * 192)))
    nodes = [onnx_node('Identity', ['c'], ['output0'])]
    onnx_model(os.path.join(out, 'no_inputs.model'), nodes, [], [onnx_value_info('output0', FLOAT, [1, 3, 8, 8])], [c])


def fnv_colliding_names(bits, want):
    """Names whose FNV-1a hashes share their low `bits` bits (see test_bounds.c)."""
    mask = (1 << bits) - 1
    P = 1099511628211 & mask
    inv = pow(P, -1, 1 << bits)
    alphabet = b'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    suffix = {}
    for c3 in alphabet:
        s2 = (0 * inv & mask) ^ c3
        for c2 in alphabet:
            s1 = ((s2 * inv) & mask) ^ c2
            for c1 in alphabet:
                suffix[((s1 * inv) & mask) ^ c1] = bytes((c1, c2, c3))
    names, i = [], 0
    while len(names) < want:
        prefix = b'n%d_' % i
        i += 1
        h = 1469598103934665603
        for ch in prefix:
            h = ((h ^ ch) * 1099511628211) & ((1 << 64) - 1)
        sfx = suffix.get(h & mask)
        if sfx:
            names.append((prefix + sfx).decode())
    return names


@case
def onnx_name_flood(out):
    """131,072 Identity nodes whose output names collide in the low 18 bits of FNV-1a."""
    names = fnv_colliding_names(18, 131072)
    nodes, prev = [], 'images'
    for nm in names:
        nodes.append(onnx_node('Identity', [prev], [nm]))
        prev = nm
    nodes.append(onnx_node('Identity', [prev], ['output0']))
    onnx_model(os.path.join(out, 'name_flood.onnx'), nodes, [onnx_value_info('images', FLOAT, [1, 3, 8, 8])],
               [onnx_value_info('output0', FLOAT, [1, 3, 8, 8])])


@case
def onnx_external(out):
    """A model whose weights are external data: ext/model.onnx reads w.bin (16 bytes) and
    ext/nested.onnx reads sub/w.bin.  The shell script plants links and FIFOs in their place."""
    d = os.path.join(out, 'ext')
    os.makedirs(os.path.join(d, 'sub'), exist_ok=True)
    for name, loc in (('model.onnx', 'w.bin'), ('nested.onnx', 'sub/w.bin')):
        w = (pb_int(1, 1) + pb_int(1, 4) + pb_int(2, FLOAT) + pb_bytes(8, 'w') +
             pb_bytes(13, pb_bytes(1, 'location') + pb_bytes(2, loc)) + pb_int(14, 1))
        nodes = [onnx_node('Add', ['images', 'w'], ['output0'])]
        onnx_model(os.path.join(d, name), nodes, [onnx_value_info('images', FLOAT, [1, 4])],
                   [onnx_value_info('output0', FLOAT, [1, 4])], [w])
    for where in ('w.bin', 'sub/w.bin'):
        open(os.path.join(d, where), 'wb').write(struct.pack('<4f', 1, 2, 3, 4))


OV_XML = """<?xml version="1.0"?>
<net name="tiny" version="11">
<layers>
<layer id="0" name="x" type="Parameter" version="opset1"><data shape="1,4" element_type="f32"/>
<output><port id="0" precision="FP32"><dim>1</dim><dim>4</dim></port></output></layer>
<layer id="1" name="c" type="Const" version="opset1"><data element_type="f32" shape="1,4" offset="0" size="16"/>
<output><port id="0" precision="FP32"><dim>1</dim><dim>4</dim></port></output></layer>
<layer id="2" name="add" type="Add" version="opset1">
<input><port id="0"><dim>1</dim><dim>4</dim></port><port id="1"><dim>1</dim><dim>4</dim></port></input>
<output><port id="2" precision="FP32"><dim>1</dim><dim>4</dim></port></output></layer>
<layer id="3" name="out" type="Result" version="opset1"><input><port id="0"><dim>1</dim><dim>4</dim></port></input></layer>
</layers>
<edges><edge from-layer="0" from-port="0" to-layer="2" to-port="0"/>
<edge from-layer="1" from-port="0" to-layer="2" to-port="1"/>
<edge from-layer="2" from-port="2" to-layer="3" to-port="0"/></edges>
</net>
"""


@case
def ov_tiny(out):
    """tiny_openvino_model/: a Parameter plus a 16-byte Const (tiny.xml, tiny.bin)."""
    d = os.path.join(out, 'tiny_openvino_model')
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, 'tiny.xml'), 'w').write(OV_XML)
    open(os.path.join(d, 'tiny.bin'), 'wb').write(struct.pack('<4f', 1, 2, 3, 4))


@case
def ov_doctype(out):
    """An IR with a DOCTYPE (entities are how XML bombs start): refused as such."""
    open(os.path.join(out, 'doctype.xml'), 'w').write(OV_XML.replace('<net ', '<!DOCTYPE net [<!ENTITY a "b">]>\n<net ', 1))


NCNN_PARAM = """7767517
3 3
Input in0 0 1 in0 0=4 1=4 2=2
Convolution conv 1 1 in0 c 0=3 1=1 5=1 6=6 9=1
Sigmoid sig 1 1 c out0
"""


@case
def ncnn_tiny(out):
    """tiny_ncnn_model/: Input, a 1x1 Convolution (tagged float32 weights, bias), Sigmoid."""
    d = os.path.join(out, 'tiny_ncnn_model')
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, 'model.ncnn.param'), 'w').write(NCNN_PARAM)
    open(os.path.join(d, 'model.ncnn.bin'), 'wb').write(struct.pack('<I6f3f', 0, 1, -1, .5, 2, -3, 1, .1, .2, .3))


OSC52 = '\x1b]52;c;ZWNobyBwd25lZA==\x07'   # write "echo pwned" to the clipboard
TITLE = '\x1b]0;pwned\x07'                   # retitle the window
CLEAR = '\x1b[2J\x1b[H'                      # clear the screen
C1_CSI = '\u009b2J'                           # the same through a C1 control


@case
def onnx_terminal(out):
    """Producer, metadata keys and values, and tensor names that are terminal commands."""
    nodes = [onnx_node('Identity', ['images'], ['out' + CLEAR])]
    props = [('names', "{0: '%s', 1: 'a\\rb%s'}" % (OSC52, C1_CSI)), ('description' + TITLE, 'x\r' + CLEAR),
             ('stride', '32')]
    graph_nodes = b''.join(pb_bytes(1, n) for n in nodes)
    graph = (graph_nodes + pb_bytes(2, 'g') + pb_bytes(11, onnx_value_info('images', FLOAT, [1, 3, 8, 8])) +
             pb_bytes(12, onnx_value_info('out' + CLEAR, FLOAT, [1, 3, 8, 8])))
    model = (pb_int(1, 8) + pb_bytes(2, 'prod' + TITLE) + pb_bytes(7, graph) + pb_bytes(8, pb_int(2, 17)) +
             b''.join(pb_bytes(14, pb_bytes(1, k) + pb_bytes(2, v)) for k, v in props))
    open(os.path.join(out, 'terminal.onnx'), 'wb').write(model)


@case
def pt_terminal(out):
    """A checkpoint whose class names, version and training data are terminal commands, and
    whose one layer is named by one (the message that refuses it quotes the name)."""
    seq = module(Sequential, modules={'0' + TITLE + CLEAR: conv(Tensor(Storage('0', 4), 0, [4], [1]))})
    m = module(DetectionModel, modules={'model': seq}, names={0: OSC52, 1: 'x' + CLEAR + 'y', 2: 'z\r' + TITLE})
    checkpoint(os.path.join(out, 'terminal.pt'), m, {'0': b'\0' * 16},
               extra={'version': '8' + TITLE, 'train_args': {'data': CLEAR}})


# ---- model configs and YAML ------------------------------------------------------------------

CFG = """nc: 80
%s
backbone:
  - [-1, 1, Conv, [16, 3, 2]]
  - [-1, 3, C2f, [16, True]]
head:
  - [[1], 1, Detect, [nc]]
"""


@case
def cfg_multiples(out):
    """depth_multiple 1e7 and 1e300, width_multiple 1e6 and 1e300, scales [1e9, 1e9, 1e18];
    and cfg_small.yaml, the same little model with sane multiples (fast to export)."""
    for name, line in (('small', 'depth_multiple: 1.0'), ('depth_1e7', 'depth_multiple: 1e7'), ('depth_1e300', 'depth_multiple: 1e300'),
                       ('width_1e6', 'width_multiple: 1e6'), ('width_1e300', 'width_multiple: 1e300'),
                       ('scales_1e9', 'scales:\n  n: [1e9, 1e9, 1e18]')):
        open(os.path.join(out, 'cfg_%s.yaml' % name), 'w').write(CFG % line)


@case
def yaml_nesting(out):
    """200 KB of '[' (libyaml: quadratic) and an OpenVINO folder whose metadata.yaml nests so."""
    open(os.path.join(out, 'nested.yaml'), 'w').write('[' * 200000 + ']' * 200000 + '\n')
    d = os.path.join(out, 'nested_openvino_model')
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, 'nested.xml'), 'w').write(OV_XML)
    open(os.path.join(d, 'nested.bin'), 'wb').write(struct.pack('<4f', 1, 2, 3, 4))
    open(os.path.join(d, 'metadata.yaml'), 'w').write('names: ' + '[' * 200000 + ']' * 200000 + '\n')


@case
def xml_not_ir(out):
    """An XML page that is no IR (it used to be called 'not valid YAML')."""
    open(os.path.join(out, 'page.xml'), 'w').write('<!DOCTYPE html>\n<html><body>hi</body></html>\n')


if __name__ == '__main__':
    out = sys.argv[1]
    want = set(sys.argv[2:])
    os.makedirs(out, exist_ok=True)
    for case in CASES:
        if not want or case.__name__ in want:
            case(out)
