################################################################################
#
# python-barcode
#
################################################################################

PYTHON_BARCODE_VERSION = 0.16.1
PYTHON_BARCODE_SOURCE = python_barcode-$(PYTHON_BARCODE_VERSION).tar.gz
PYTHON_BARCODE_SITE = $(AUTONOME_PYPI_SITE)/p/python-barcode
PYTHON_BARCODE_SETUP_TYPE = setuptools
PYTHON_BARCODE_LICENSE = MIT
PYTHON_BARCODE_LICENSE_FILES = LICENCE
PYTHON_BARCODE_DEPENDENCIES = host-python-setuptools-scm

$(eval $(python-package))
