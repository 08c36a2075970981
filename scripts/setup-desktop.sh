#!/usr/bin/env bash
# Installs the runtime libraries a TFTSR window needs on a Debian/Ubuntu machine (OpenGL through
# Mesa, X11/Wayland input libraries, zenity for file dialogs where no desktop portal runs, a CJK
# font) and the build tools (libssl-dev: the bundled SQLCipher links libcrypto). Safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if command -v apt-get >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends \
    build-essential pkg-config ca-certificates libssl-dev \
    zenity fonts-wqy-microhei \
    libgl1 libgl1-mesa-dri libegl1 libegl-mesa0 libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 \
    libwayland-client0 libwayland-egl1 fontconfig >/dev/null
fi
command -v cargo >/dev/null 2>&1 || { echo "cargo is missing: install Rust with rustup first" >&2; exit 1; }
