################################################################################
#
# autonome
#
################################################################################

AUTONOME_VERSION = 0.1.0
AUTONOME_SITE = $(BR2_EXTERNAL_AUTONOME_PATH)/..
AUTONOME_SITE_METHOD = local
AUTONOME_SETUP_TYPE = setuptools
AUTONOME_LICENSE = Proprietary
AUTONOME_ROLE = $(call qstrip,$(BR2_PACKAGE_AUTONOME_ROLE))

# the udev rules of the devices (drivers/udev), one source for every image
define AUTONOME_INSTALL_UDEV_RULES
	$(INSTALL) -D -m 0644 $(@D)/drivers/udev/70-autonome-pos.rules \
		$(TARGET_DIR)/usr/lib/udev/rules.d/70-autonome-pos.rules
endef
AUTONOME_POST_INSTALL_TARGET_HOOKS += AUTONOME_INSTALL_UDEV_RULES

# the units come from the shared overlay (images/overlay); this enables
# the role's services and records the role for the first boot
define AUTONOME_INSTALL_INIT_SYSTEMD
	$(INSTALL) -d $(TARGET_DIR)/etc/autonome
	echo "AUTONOME_ROLE=$(AUTONOME_ROLE)" > $(TARGET_DIR)/etc/autonome/role
	$(INSTALL) -d $(TARGET_DIR)/etc/systemd/system/multi-user.target.wants
	for unit in autonome-$(AUTONOME_ROLE) autonome-firstboot autonome-ready; do \
		ln -sf ../$${unit}.service \
			$(TARGET_DIR)/etc/systemd/system/multi-user.target.wants/$${unit}.service || exit 1; \
	done
endef

$(eval $(python-package))
