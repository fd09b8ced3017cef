#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, only those missing, so that it is cheap to run twice.
set -euo pipefail

packages=(
  php8.2-cli php8.2-dev php8.2-mysql php8.2-curl php8.2-mbstring php8.2-xml php8.2-zip  # PHP runtime + headers for ext-php-rs
  clang libclang-dev                                                                     # bindgen (ext-php-rs build)
  mariadb-server mariadb-client                                                          # OCPizza_DB
  phpunit                                                                                # PHP tests (9.6)
  python3 python3-venv                                                                   # schemathesis (make test-api), pip-installed into target/tools
  pkg-config ca-certificates curl zip procps
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    echo "cargo is in ~/.cargo/bin but not on PATH: run 'source ~/.cargo/env' first." >&2
  else
    echo "Rust is missing: install rustup (https://rustup.rs) with a toolchain >= 1.85, then rerun." >&2
  fi
  exit 1
fi
