# Sourced by scripts/serve and scripts/test: makes `uv` available as "$uv".
# uv comes from PyPI when it is missing; Debian's pip needs PIP_BREAK_SYSTEM_PACKAGES for a
# --user install (it touches only ~/.local, never the system's packages).
export UV_PYTHON_DOWNLOADS=never
if command -v uv >/dev/null 2>&1; then
  uv=(uv)
else
  if ! python3 -m uv --version >/dev/null 2>&1; then
    echo "installing uv from PyPI (once)"
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check --user uv \
      || python3 -m pip install --quiet --disable-pip-version-check uv \
      || { echo "error: could not install uv: install it with 'python3 -m pip install uv'" >&2; exit 1; }
  fi
  uv=(python3 -m uv)
fi
