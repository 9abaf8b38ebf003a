// Times oneDNN 3's own convolution kernels on the 3×3, stride-1, padding-1 shapes of ResNet-18 at 100×100 (the same
// shapes as `petal-bench --probe-convolutions`, which times oneDNN 2.6's): forward (training), backward-data and
// backward-weights at batch 32 in fp32 or bf16 (bf16 sources, weights and gradients; fp32 weight gradients, as a
// bf16 trainer with fp32 master weights needs), and forward inference at batch 1 in fp32. Layouts are the kernels'
// own choice (format any); reorders are not timed. Median of 15 runs after 3 warm-ups, in milliseconds.
// Built and run by Benchmarks/onednn3/run.sh against Intel's onednn-cpu-gomp 2023.2.0 wheel (oneDNN 3.2).
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%s failed: %d\n", #x, s_); exit(1); } } while (0)

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static double now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int compare(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

static dnnl_memory_t allocate(const_dnnl_primitive_desc_t pd, dnnl_query_t what) {
    dnnl_memory_t m;
    CHECK(dnnl_memory_create(&m, dnnl_primitive_desc_query_md(pd, what, 0), engine, DNNL_MEMORY_ALLOCATE));
    void *p; CHECK(dnnl_memory_get_data_handle(m, &p));
    memset(p, 0, dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, what, 0)));
    return m;
}

static double time_primitive(const_dnnl_primitive_desc_t pd, int nargs, dnnl_exec_arg_t *args) {
    dnnl_primitive_t p; CHECK(dnnl_primitive_create(&p, pd));
    double samples[15];
    for (int i = 0; i < 18; i++) {
        double t0 = now_ms();
        CHECK(dnnl_primitive_execute(p, stream, nargs, args));
        CHECK(dnnl_stream_wait(stream));
        if (i >= 3) samples[i - 3] = now_ms() - t0;
    }
    qsort(samples, 15, sizeof(double), compare);
    dnnl_primitive_destroy(p);
    return samples[7];
}

static const char *impl(const_dnnl_primitive_desc_t pd) {
    const char *name = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
    return name;
}

static void probe(int n, int c, int size, dnnl_data_type_t dt, int training) {
    dnnl_dims_t src = {n, c, size, size}, wei = {c, c, 3, 3}, dst = {n, c, size, size};
    dnnl_dims_t strides = {1, 1}, dilates = {0, 0}, pad = {1, 1};
    dnnl_memory_desc_t src_md, wei_md, dst_md, wgrad_md;
    CHECK(dnnl_memory_desc_create_with_tag(&src_md, 4, src, dt, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_create_with_tag(&wei_md, 4, wei, dt, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_create_with_tag(&dst_md, 4, dst, dt, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_create_with_tag(&wgrad_md, 4, wei, dnnl_f32, dnnl_format_tag_any));
    dnnl_primitive_desc_t fwd;
    CHECK(dnnl_convolution_forward_primitive_desc_create(&fwd, engine, training ? dnnl_forward_training : dnnl_forward_inference,
          dnnl_convolution_direct, src_md, wei_md, NULL, dst_md, strides, dilates, pad, pad, NULL));
    dnnl_memory_t s = allocate(fwd, dnnl_query_src_md), w = allocate(fwd, dnnl_query_weights_md), d = allocate(fwd, dnnl_query_dst_md);
    dnnl_exec_arg_t fargs[] = {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, d}};
    double tf = time_primitive(fwd, 3, fargs);
    const char *dtname = dt == dnnl_bf16 ? "bf16" : "fp32";
    if (!training) {
        printf("%s batch %d %3d->%3d at %2dx%-2d  forward-inference %8.3f ms  [%s]\n", dtname, n, c, c, size, size, tf, impl(fwd));
        return;
    }
    dnnl_primitive_desc_t bd, bw;
    CHECK(dnnl_convolution_backward_data_primitive_desc_create(&bd, engine, dnnl_convolution_direct, src_md, wei_md, dst_md,
          strides, dilates, pad, pad, fwd, NULL));
    CHECK(dnnl_convolution_backward_weights_primitive_desc_create(&bw, engine, dnnl_convolution_direct, src_md, wgrad_md, NULL, dst_md,
          strides, dilates, pad, pad, fwd, NULL));
    dnnl_memory_t dd = allocate(bd, dnnl_query_diff_dst_md), bwei = allocate(bd, dnnl_query_weights_md), ds = allocate(bd, dnnl_query_diff_src_md);
    dnnl_exec_arg_t dargs[] = {{DNNL_ARG_DIFF_DST, dd}, {DNNL_ARG_WEIGHTS, bwei}, {DNNL_ARG_DIFF_SRC, ds}};
    double td = time_primitive(bd, 3, dargs);
    dnnl_memory_t ws = allocate(bw, dnnl_query_src_md), wdd = allocate(bw, dnnl_query_diff_dst_md), dw = allocate(bw, dnnl_query_diff_weights_md);
    dnnl_exec_arg_t wargs[] = {{DNNL_ARG_SRC, ws}, {DNNL_ARG_DIFF_DST, wdd}, {DNNL_ARG_DIFF_WEIGHTS, dw}};
    double tw = time_primitive(bw, 3, wargs);
    printf("%s batch %d %3d->%3d at %2dx%-2d  forward %8.3f  backward-data %8.3f  backward-weights %8.3f ms  [%s | %s | %s]\n",
           dtname, n, c, c, size, size, tf, td, tw, impl(fwd), impl(bd), impl(bw));
}

int main(int argc, char **argv) {
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    const dnnl_version_t *v = dnnl_version();
    printf("oneDNN %d.%d.%d (%s), %s\n", v->major, v->minor, v->patch, v->hash, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other runtime");
    int shapes[4][2] = {{64, 25}, {128, 13}, {256, 7}, {512, 4}};
    for (int i = 0; i < 4; i++) probe(32, shapes[i][0], shapes[i][1], dnnl_f32, 1);
    for (int i = 0; i < 4; i++) probe(32, shapes[i][0], shapes[i][1], dnnl_bf16, 1);
    for (int i = 0; i < 4; i++) probe(1, shapes[i][0], shapes[i][1], dnnl_f32, 0);
    return 0;
}
