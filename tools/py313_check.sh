#!/usr/bin/env bash
# The package under Python 3.13, the version Colab runs: build .venv-py313 from the pinned
# requirements.txt and run the unit tests there. Left out, because they do not depend on the
# Python version: the notebooks (nbval in the main .venv), the check that committed notebooks
# are clean, and the launch tests (JupyterLab server, Binder files, badges).
#
#   tools/py313_check.sh                 # uses python3.13 from PATH, else pyenv's 3.13
#   PYTHON313=/path/to/python3.13 tools/py313_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# The same quiet TensorFlow as tests/conftest.py sets up.
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3} TF_ENABLE_ONEDNN_OPTS=${TF_ENABLE_ONEDNN_OPTS:-0}

find_python313() {
    local candidate
    for candidate in "${PYTHON313:-}" python3.13 "$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3.13 \
                     "$HOME"/.pyenv/versions/3.13*/bin/python3.13; do
        [ -n "$candidate" ] || continue
        # pyenv's shim exists even when 3.13 is not the active version: ask it to run.
        if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

PY=$(find_python313) || { echo "py313_check: no Python 3.13 found (set PYTHON313=...)" >&2; exit 1; }
VENV=.venv-py313
STAMP=$VENV/.installed

if [ ! -f "$STAMP" ] || [ requirements.txt -nt "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    test -x "$VENV/bin/python" || "$PY" -m venv "$VENV"
    echo '*' > "$VENV/.gitignore"   # keep the whole folder out of git
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -r requirements.txt
    touch "$STAMP"
fi

"$VENV/bin/python" -c 'import sys, tensorflow, keras; print(f"Python {sys.version.split()[0]}, TensorFlow {tensorflow.__version__}, Keras {keras.__version__}")'
# gast (under TensorFlow's autograph) warns on every traced function under 3.13 only.
# The Ray cluster test needs Ray, a test tool of the main .venv (requirements-dev.txt), where
# make test runs it; the sweep's local engines are tested here too.
exec "$VENV/bin/python" -m pytest tests -q --ignore-glob='tests/test_launch*' \
    --ignore=tests/test_notebooks_clean.py -W 'ignore::DeprecationWarning:gast.astn' \
    --deselect tests/test_sweep.py::test_ray_cluster_gives_the_same_table "$@"
