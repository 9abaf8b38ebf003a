// libjpeg-turbo's TurboJPEG API (Debian's libturbojpeg0-dev).
#include <turbojpeg.h>
