// Per-channel sums over the rows of a [rows, channels] matrix of a, a*a or a*b (BatchNorm's
// mean, variance and gradient sums) in one pass, with no product tensor. tfjs 4.22's wasm sum
// over axis 0 transposes first, and its transposed matmul (a^T times ones) runs a scalar loop.
//
// The sums are float64, as the cpu backend's (JavaScript numbers), rounded once to float32:
// BatchNorm's gradient sums cancel (sum of dy over a channel is near 0), and float32 sums in
// another order than cpu's moved a seeded ResNet-20 run's losses by 1e-3 within three steps.
#include <wasm_simd128.h>

enum { TERM_VALUE = 0, TERM_SQUARE = 1, TERM_PRODUCT = 2 };

static inline v128_t low_half(v128_t v) { return wasm_f64x2_promote_low_f32x4(v); }
static inline v128_t high_half(v128_t v) { return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3)); }

// Adds the term of 4 channels at a (and b) to the float64 sums lo (channels 0-1) and hi (2-3).
#define ADD_TERM(term, a, b, lo, hi)                                                          \
  do {                                                                                         \
    const v128_t va = wasm_v128_load(a);                                                       \
    v128_t tlo = low_half(va), thi = high_half(va);                                            \
    if ((term) == TERM_SQUARE) {                                                               \
      tlo = wasm_f64x2_mul(tlo, tlo);                                                          \
      thi = wasm_f64x2_mul(thi, thi);                                                          \
    } else if ((term) == TERM_PRODUCT) {                                                       \
      const v128_t vb = wasm_v128_load(b);                                                     \
      tlo = wasm_f64x2_mul(tlo, low_half(vb));                                                 \
      thi = wasm_f64x2_mul(thi, high_half(vb));                                                \
    }                                                                                          \
    lo = wasm_f64x2_add(lo, tlo);                                                              \
    hi = wasm_f64x2_add(hi, thi);                                                              \
  } while (0)

static inline v128_t to_float32(v128_t lo, v128_t hi) {
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// 16 channels (4 vectors) at a time, then 4, then one by one.
static inline __attribute__((always_inline)) void sums(int term, const float* a, const float* b, float* out, int rows, int channels) {
  int c = 0;
  for (; c + 16 <= channels; c += 16) {
    v128_t s0 = wasm_f64x2_splat(0.0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (int r = 0; r < rows; r++) {
      const float* pa = a + r * channels + c;
      const float* pb = b + r * channels + c;
      ADD_TERM(term, pa, pb, s0, s1);
      ADD_TERM(term, pa + 4, pb + 4, s2, s3);
      ADD_TERM(term, pa + 8, pb + 8, s4, s5);
      ADD_TERM(term, pa + 12, pb + 12, s6, s7);
    }
    wasm_v128_store(out + c, to_float32(s0, s1));
    wasm_v128_store(out + c + 4, to_float32(s2, s3));
    wasm_v128_store(out + c + 8, to_float32(s4, s5));
    wasm_v128_store(out + c + 12, to_float32(s6, s7));
  }
  for (; c + 4 <= channels; c += 4) {
    v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
    for (int r = 0; r < rows; r++) ADD_TERM(term, a + r * channels + c, b + r * channels + c, lo, hi);
    wasm_v128_store(out + c, to_float32(lo, hi));
  }
  for (; c < channels; c++) {
    double s = 0.0;
    for (int r = 0; r < rows; r++) {
      const double v = a[r * channels + c];
      s += term == TERM_VALUE ? v : term == TERM_SQUARE ? v * v : v * (double)b[r * channels + c];
    }
    out[c] = (float)s;
  }
}

// `b` is read only for TERM_PRODUCT. One specialised loop per term.
__attribute__((export_name("channel_sums")))
void channel_sums(int term, const float* a, const float* b, float* out, int rows, int channels) {
  if (term == TERM_SQUARE) sums(TERM_SQUARE, a, b, out, rows, channels);
  else if (term == TERM_PRODUCT) sums(TERM_PRODUCT, a, b, out, rows, channels);
  else sums(TERM_VALUE, a, b, out, rows, channels);
}
