#!/bin/sh
# Installs the Debian packages soarctl needs, only when one is missing.
# Quiet and fast (one dpkg-query) when everything is present; nothing is
# fetched from anywhere but the configured Debian mirrors.
set -eu

PACKAGES="
build-essential cmake pkg-config
libluajit2-5.1-dev
libcurl4-openssl-dev liblmdb-dev lmdb-utils libev-dev libmbedtls-dev
libmicrohttpd-dev libpcre2-dev libedit-dev libidn2-dev
lua-check python3 python3-aiosmtpd openssl wrk
clang libclang-rt-dev
chromium chromium-driver python3-selenium
"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "deps: need root (or sudo) to install:$missing" >&2
		exit 1
	}
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once before installing.
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
