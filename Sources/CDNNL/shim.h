// oneDNN 2.6 C API (Debian's libdnnl-dev), plus the two OpenMP calls Petal uses to size oneDNN's thread pool,
// and glibc's malloc tuning (see Device.keepFreedMemoryMapped).
#include <oneapi/dnnl/dnnl.h>

int omp_get_max_threads(void);
void omp_set_num_threads(int num_threads);

#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
/// Serves blocks up to 32 MiB from the heap (not fresh mmap'd pages) and never trims freed memory back to the kernel.
static inline void petal_keep_freed_memory_mapped(void) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
}
#else
static inline void petal_keep_freed_memory_mapped(void) {}
#endif
