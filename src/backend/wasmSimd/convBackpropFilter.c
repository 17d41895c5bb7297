// Conv2DBackpropFilter (NHWC) as one pass over x and dy on tfjs-backend-wasm's own heap:
//   dw[kh][kw][ci][co] = sum over n, oh, ow of x[n][oh*sh + kh - pt][ow*sw + kw - pl][ci] * dy[n][oh][ow][co]
// Stock tfjs 4.22 has no such kernel; running it as an XNNPACK convolution costs three transposes
// and a repacking of dy as a filter on every call, more than the arithmetic itself.
//
// Each 4 (input channel) x 8 (output channel) block of dw is kept in 8 SIMD registers while one
// image's positions stream past: per position 2 loads of dy, 4 broadcasts of x, 8 multiply-adds.
// Images are the outer loop so that one image of x and dy stays in cache across all blocks.
// Build: src/backend/wasmSimd/build.sh (clang, no libc, no memory of its own: it imports tfjs's).
#include <wasm_simd128.h>

typedef struct {
  int batch, in_h, in_w, in_c, out_h, out_w, out_c;
  int filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
} conv_shape;

// First output index whose input index out * stride + offset is >= 0, and one past the last
// whose input index is < in_size.
static int first_inside(int offset, int stride) { return offset >= 0 ? 0 : (-offset + stride - 1) / stride; }
static int end_inside(int offset, int stride, int in_size, int out_size) {
  if (in_size - 1 - offset < 0) return 0;
  int end = (in_size - 1 - offset) / stride + 1;
  return end < out_size ? end : out_size;
}

// The dw blocks: `rows` input channels (4 or 1) by `cols` output channels (8 or 4) at one filter
// tap, plus one image's positions. `x` and `dy` point at the block's first channel of position
// (oh0, ow0) in this image; `dw` at the block's first element. The accumulators are named
// variables, not an array: an array would live on a C stack, and this module has none (its
// memory is tfjs's heap), which build.sh checks.
typedef struct {
  int oh_count, ow_count, x_row_step, x_col_step, dy_row_step, out_c;
} block_walk;

#define MADD(acc, a, d) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(a, d))
#define FOR_EACH_POSITION(w, x, dy, ...)                                \
  for (int oh = 0; oh < (w)->oh_count; oh++) {                            \
    const float* xp = (x) + oh * (w)->x_row_step;                         \
    const float* dyp = (dy) + oh * (w)->dy_row_step;                      \
    for (int ow = 0; ow < (w)->ow_count; ow++, xp += (w)->x_col_step, dyp += (w)->out_c) { __VA_ARGS__ } \
  }

static void block_4x8(const float* x, const float* dy, float* dw, const block_walk* w) {
  const int oc = w->out_c;
  v128_t a00 = wasm_v128_load(dw), a01 = wasm_v128_load(dw + 4);
  v128_t a10 = wasm_v128_load(dw + oc), a11 = wasm_v128_load(dw + oc + 4);
  v128_t a20 = wasm_v128_load(dw + 2 * oc), a21 = wasm_v128_load(dw + 2 * oc + 4);
  v128_t a30 = wasm_v128_load(dw + 3 * oc), a31 = wasm_v128_load(dw + 3 * oc + 4);
  FOR_EACH_POSITION(w, x, dy, {
    const v128_t d0 = wasm_v128_load(dyp), d1 = wasm_v128_load(dyp + 4);
    v128_t a = wasm_v128_load32_splat(xp);
    MADD(a00, a, d0); MADD(a01, a, d1);
    a = wasm_v128_load32_splat(xp + 1);
    MADD(a10, a, d0); MADD(a11, a, d1);
    a = wasm_v128_load32_splat(xp + 2);
    MADD(a20, a, d0); MADD(a21, a, d1);
    a = wasm_v128_load32_splat(xp + 3);
    MADD(a30, a, d0); MADD(a31, a, d1);
  })
  wasm_v128_store(dw, a00); wasm_v128_store(dw + 4, a01);
  wasm_v128_store(dw + oc, a10); wasm_v128_store(dw + oc + 4, a11);
  wasm_v128_store(dw + 2 * oc, a20); wasm_v128_store(dw + 2 * oc + 4, a21);
  wasm_v128_store(dw + 3 * oc, a30); wasm_v128_store(dw + 3 * oc + 4, a31);
}

static void block_4x4(const float* x, const float* dy, float* dw, const block_walk* w) {
  const int oc = w->out_c;
  v128_t a0 = wasm_v128_load(dw), a1 = wasm_v128_load(dw + oc);
  v128_t a2 = wasm_v128_load(dw + 2 * oc), a3 = wasm_v128_load(dw + 3 * oc);
  FOR_EACH_POSITION(w, x, dy, {
    const v128_t d = wasm_v128_load(dyp);
    MADD(a0, wasm_v128_load32_splat(xp), d);
    MADD(a1, wasm_v128_load32_splat(xp + 1), d);
    MADD(a2, wasm_v128_load32_splat(xp + 2), d);
    MADD(a3, wasm_v128_load32_splat(xp + 3), d);
  })
  wasm_v128_store(dw, a0); wasm_v128_store(dw + oc, a1);
  wasm_v128_store(dw + 2 * oc, a2); wasm_v128_store(dw + 3 * oc, a3);
}

static void block_1x8(const float* x, const float* dy, float* dw, const block_walk* w) {
  v128_t a0 = wasm_v128_load(dw), a1 = wasm_v128_load(dw + 4);
  FOR_EACH_POSITION(w, x, dy, {
    const v128_t a = wasm_v128_load32_splat(xp);
    MADD(a0, a, wasm_v128_load(dyp));
    MADD(a1, a, wasm_v128_load(dyp + 4));
  })
  wasm_v128_store(dw, a0); wasm_v128_store(dw + 4, a1);
}

static void block_1x4(const float* x, const float* dy, float* dw, const block_walk* w) {
  v128_t a0 = wasm_v128_load(dw);
  FOR_EACH_POSITION(w, x, dy, { MADD(a0, wasm_v128_load32_splat(xp), wasm_v128_load(dyp)); })
  wasm_v128_store(dw, a0);
}

// Computes the output channels [co_begin, co_end) of dw (both multiples of 4; out_c a multiple
// of 4), so that threads can split one call. Writes nothing else.
__attribute__((export_name("conv2d_backprop_filter")))
void conv2d_backprop_filter(const float* x, const float* dy, float* dw, int batch, int in_h, int in_w, int in_c,
                            int out_h, int out_w, int out_c, int filter_h, int filter_w, int stride_h, int stride_w,
                            int pad_top, int pad_left, int co_begin, int co_end) {
  const conv_shape shape = {batch, in_h, in_w, in_c, out_h, out_w, out_c, filter_h, filter_w, stride_h, stride_w, pad_top, pad_left};
  const conv_shape* s = &shape;
  const int taps = s->filter_h * s->filter_w;
  for (int t = 0; t < taps; t++)
    for (int ci = 0; ci < in_c; ci++)
      for (int co = co_begin; co < co_end; co++) dw[(t * in_c + ci) * out_c + co] = 0.0f;
  const int x_col_step = s->stride_w * in_c;
  const int x_row_step = s->stride_h * s->in_w * in_c;
  const int dy_row_step = s->out_w * out_c;
  for (int n = 0; n < s->batch; n++) {
    const float* x_image = x + n * s->in_h * s->in_w * in_c;
    const float* dy_image = dy + n * s->out_h * s->out_w * out_c;
    for (int kh = 0; kh < s->filter_h; kh++) {
      const int row_offset = kh - s->pad_top;
      const int oh0 = first_inside(row_offset, s->stride_h);
      const int oh1 = end_inside(row_offset, s->stride_h, s->in_h, s->out_h);
      if (oh1 <= oh0) continue;
      for (int kw = 0; kw < s->filter_w; kw++) {
        const int col_offset = kw - s->pad_left;
        const int ow0 = first_inside(col_offset, s->stride_w);
        const int ow1 = end_inside(col_offset, s->stride_w, s->in_w, s->out_w);
        if (ow1 <= ow0) continue;
        const float* x0 = x_image + ((oh0 * s->stride_h + row_offset) * s->in_w + ow0 * s->stride_w + col_offset) * in_c;
        const float* dy0 = dy_image + (oh0 * s->out_w + ow0) * out_c;
        float* dw_tap = dw + (kh * s->filter_w + kw) * in_c * out_c;
        const block_walk w = {oh1 - oh0, ow1 - ow0, x_row_step, x_col_step, dy_row_step, out_c};
        int ci = 0;
        for (; ci + 4 <= in_c; ci += 4) {
          int co = co_begin;
          for (; co + 8 <= co_end; co += 8)
            block_4x8(x0 + ci, dy0 + co, dw_tap + ci * out_c + co, &w);
          if (co < co_end)
            block_4x4(x0 + ci, dy0 + co, dw_tap + ci * out_c + co, &w);
        }
        for (; ci < in_c; ci++) {
          int co = co_begin;
          for (; co + 8 <= co_end; co += 8)
            block_1x8(x0 + ci, dy0 + co, dw_tap + ci * out_c + co, &w);
          if (co < co_end)
            block_1x4(x0 + ci, dy0 + co, dw_tap + ci * out_c + co, &w);
        }
      }
    }
  }
}
