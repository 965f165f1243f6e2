################################################################################
#
# python-escpos
#
################################################################################

PYTHON_ESCPOS_VERSION = 3.1
PYTHON_ESCPOS_SITE = $(AUTONOME_PYPI_SITE)/p/python-escpos
PYTHON_ESCPOS_SETUP_TYPE = setuptools
PYTHON_ESCPOS_LICENSE = MIT
PYTHON_ESCPOS_LICENSE_FILES = LICENSE
PYTHON_ESCPOS_DEPENDENCIES = host-python-setuptools-scm

$(eval $(python-package))
