// libpng's simplified png_image API (Debian's libpng-dev); no setjmp needed.
#include <png.h>
