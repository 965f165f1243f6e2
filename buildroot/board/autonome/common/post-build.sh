#!/bin/sh
# Post-build script of the Autonome appliances: the units of the shared
# overlay call /opt/autonome/bin/autonome (the path of the Debian images'
# venv); in Buildroot the entry point is /usr/bin/autonome.
set -e

TARGET_DIR="$1"

mkdir -p "${TARGET_DIR}/opt/autonome/bin" "${TARGET_DIR}/var/lib/autonome" \
	"${TARGET_DIR}/boot/efi"
ln -sf /usr/bin/autonome "${TARGET_DIR}/opt/autonome/bin/autonome"
