# Base URL of the Python package index's source archives; the Python
# packages of this tree download their sdists from
# $(AUTONOME_PYPI_SITE)/<letter>/<project>
AUTONOME_PYPI_SITE = $(call qstrip,$(BR2_AUTONOME_PYPI_SITE))

include $(sort $(wildcard $(BR2_EXTERNAL_AUTONOME_PATH)/package/*/*.mk))
