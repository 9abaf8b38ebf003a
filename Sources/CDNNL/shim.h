// oneDNN 2.6 C API (Debian's libdnnl-dev), plus the two OpenMP calls Petal uses to size oneDNN's thread pool.
#include <oneapi/dnnl/dnnl.h>

int omp_get_max_threads(void);
void omp_set_num_threads(int num_threads);
