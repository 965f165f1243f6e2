#!/bin/sh
# Post-image script of the Autonome appliances: lays the disk out with
# genimage (boot, rootfs-a, rootfs-b, data), the layout of images/.
# $2: the board's genimage configuration.
set -e

BOARD_GENIMAGE="$2"
GENIMAGE_TMP="${BUILD_DIR}/genimage.tmp"

rm -rf "${GENIMAGE_TMP}"
mkdir -p "${BINARIES_DIR}/data"

genimage \
	--rootpath "${TARGET_DIR}" \
	--tmppath "${GENIMAGE_TMP}" \
	--inputpath "${BINARIES_DIR}" \
	--outputpath "${BINARIES_DIR}" \
	--config "${BOARD_GENIMAGE}"
