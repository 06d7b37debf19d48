#!/usr/bin/env bash
# Install the Debian packages named in bindep.txt that are not installed yet.
# Skips apt entirely when everything is present, so `make setup` reruns in well under a second.
set -euo pipefail

bindep_file="${1:-bindep.txt}"
# first word of every line that is neither blank nor a comment
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${bindep_file}" | grep -v 'platform:rpm' | awk '{print $1}')

missing=()
for package in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "${package}" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("${package}")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system packages: all present (${wanted[*]})"
    exit 0
fi

echo "system packages: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
