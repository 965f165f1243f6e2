#!/bin/sh
# Hook of an Autonome update bundle, run by RAUC on the appliance.
# slot-post-install: the slot's ext4 file system was copied from the bundle with the
# label it was built with; give it the label of the slot it now lives in (rootfs-a,
# rootfs-b), which is what GRUB finds it by.
set -e
case "$1" in
slot-post-install)
    [ "$RAUC_SLOT_CLASS" = rootfs ] || exit 0
    label="rootfs-$(echo "$RAUC_SLOT_BOOTNAME" | tr AB ab)"
    e2label "$RAUC_SLOT_DEVICE" "$label"
    echo "autonome bundle: $RAUC_SLOT_DEVICE is now labelled $label"
    ;;
esac
exit 0
