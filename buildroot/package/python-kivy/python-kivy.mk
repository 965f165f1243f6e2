################################################################################
#
# python-kivy
#
################################################################################

PYTHON_KIVY_VERSION = 2.3.1
PYTHON_KIVY_SOURCE = Kivy-$(PYTHON_KIVY_VERSION).tar.gz
PYTHON_KIVY_SITE = $(AUTONOME_PYPI_SITE)/K/Kivy
PYTHON_KIVY_SETUP_TYPE = setuptools
PYTHON_KIVY_LICENSE = MIT
PYTHON_KIVY_LICENSE_FILES = LICENSE
PYTHON_KIVY_DEPENDENCIES = \
	host-pkgconf \
	host-python-cython \
	libgles \
	sdl2 \
	sdl2_image \
	sdl2_mixer \
	sdl2_ttf

# SDL2 window and EGL/GLES renderer on bare KMS: no X11, no Wayland,
# no GStreamer
PYTHON_KIVY_ENV = \
	KIVY_CROSS_PLATFORM=linux \
	KIVY_SDL2_PATH=$(STAGING_DIR)/usr/include/SDL2 \
	USE_SDL2=1 \
	USE_EGL=1 \
	USE_OPENGL_ES2=1 \
	USE_X11=0 \
	USE_WAYLAND=0 \
	USE_GSTREAMER=0 \
	USE_RPI=0

$(eval $(python-package))
