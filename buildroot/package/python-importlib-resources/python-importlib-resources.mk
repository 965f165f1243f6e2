################################################################################
#
# python-importlib-resources
#
################################################################################

PYTHON_IMPORTLIB_RESOURCES_VERSION = 6.5.2
PYTHON_IMPORTLIB_RESOURCES_SOURCE = importlib_resources-$(PYTHON_IMPORTLIB_RESOURCES_VERSION).tar.gz
PYTHON_IMPORTLIB_RESOURCES_SITE = $(AUTONOME_PYPI_SITE)/i/importlib_resources
PYTHON_IMPORTLIB_RESOURCES_SETUP_TYPE = setuptools
PYTHON_IMPORTLIB_RESOURCES_LICENSE = Apache-2.0
PYTHON_IMPORTLIB_RESOURCES_LICENSE_FILES = LICENSE
PYTHON_IMPORTLIB_RESOURCES_DEPENDENCIES = host-python-setuptools-scm

$(eval $(python-package))
