# Sourced by the make check-* scripts: the pinned reference packages for checking Petal's files with the tools that
# define their formats, in .venv-check (from PyPI on first use, ~250 MB). Never a dependency of Petal or its tests.
CHECK_VENV=${CHECK_VENV:-.venv-check}
if ! "$CHECK_VENV/bin/python" -c "import onnx, onnxruntime, tensorboard, numpy, openvino" 2>/dev/null; then
  echo "installing onnx, onnxruntime, openvino and tensorboard into $CHECK_VENV (once)"
  python3 -m venv "$CHECK_VENV"
  "$CHECK_VENV/bin/pip" install -q numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0 openvino==2026.4.1 tensorboard==2.21.0
fi
