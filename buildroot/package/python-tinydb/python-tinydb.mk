################################################################################
#
# python-tinydb
#
################################################################################

PYTHON_TINYDB_VERSION = 4.8.2
PYTHON_TINYDB_SOURCE = tinydb-$(PYTHON_TINYDB_VERSION).tar.gz
PYTHON_TINYDB_SITE = $(AUTONOME_PYPI_SITE)/t/tinydb
PYTHON_TINYDB_SETUP_TYPE = poetry
PYTHON_TINYDB_LICENSE = MIT
PYTHON_TINYDB_LICENSE_FILES = LICENSE

$(eval $(python-package))
