#!/bin/sh
# Install what yoloport needs to build and test: Debian packages through apt-get (sudo when
# not root) and the test-only npm packages (installed with --ignore-scripts).  Idempotent:
# nothing is installed twice, and nothing is fetched when everything is present.
set -eu
cd "$(dirname "$0")/.."

BUILD_PKGS="build-essential pkg-config clang libclang-rt-14-dev libncurses-dev libreadline-dev libjson-c-dev
libprotobuf-c-dev protobuf-c-compiler libonnx-dev libzip-dev libyaml-dev libopenblas-dev libstb-dev
libpng-dev libjpeg-dev libxml2-dev"
TEST_PKGS="tmux zip unzip time python3 python3-numpy python3-onnx python3-torch python3-protobuf python3-pyarmnn
libarmnn-cpuref-backend22 locales openssh-client openssh-server"
# node and npm may come from elsewhere than Debian (then Debian's npm conflicts): only add them when absent
command -v node >/dev/null 2>&1 || TEST_PKGS="$TEST_PKGS nodejs"
command -v npm >/dev/null 2>&1 || TEST_PKGS="$TEST_PKGS npm"
[ "${1:-}" = "--build-only" ] && TEST_PKGS=""

missing=""
for p in $BUILD_PKGS $TEST_PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "deps: installing$missing"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

if [ -n "$TEST_PKGS" ] && { [ ! -d tests/node/node_modules/onnxruntime-node ] || [ ! -d tests/node/node_modules/@tensorflow/tfjs ] ||
    [ ! -d tests/node/node_modules/@litertjs/core ]; }; then
    echo "deps: installing test-only npm packages (onnxruntime-node, @tensorflow/tfjs, @tensorflow/tfjs-tflite, @litertjs/core; --ignore-scripts)"
    (cd tests/node && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
exit 0
