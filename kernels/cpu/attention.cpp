// Reference attention loops (kernels/attention.h): the scores of one query row at a time,
// every sum in double. The backward recomputes the probabilities from the saved lse, and
// takes D_i = Σ_j p_ij dp_ij from its own sums rather than from the rounded output.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/attention.h"
#include "kernels/attention_math.h"

namespace gpunn::kernels {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Scores of row i of head (b, h) into s[0, S): scale·q_i·k_j + mask, -inf past the causal
// edge.
template <typename T>
void row_scores(const AttentionShape& sh, const T* q, const T* k, const T* mask, int64_t b,
                int64_t h, int64_t i, std::vector<double>& s) {
  const int64_t bh = b * sh.H + h;
  const T* qi = q + (bh * sh.T + i) * sh.D;
  for (int64_t j = 0; j < sh.S; ++j) {
    if (sh.causal && j > i) {
      s[j] = -kInf;
      continue;
    }
    const T* kj = k + (bh * sh.S + j) * sh.D;
    double dot = 0.0;
    for (int64_t d = 0; d < sh.D; ++d)
      dot += static_cast<double>(qi[d]) * static_cast<double>(kj[d]);
    double v = sh.scale * dot;
    if (mask) v += static_cast<double>(mask[math::attention_mask_offset(sh, b, h, i, j)]);
    s[j] = v;
  }
}

// lse of a row of scores: -inf when every score is -inf, NaN when one is NaN.
double row_lse(const std::vector<double>& s) {
  double m = -kInf;
  bool nan = false;
  for (double v : s) {
    if (std::isnan(v)) nan = true;
    m = std::fmax(m, v);
  }
  if (nan) return std::numeric_limits<double>::quiet_NaN();
  if (m == -kInf) return -kInf;
  if (m == kInf) return kInf;
  double l = 0.0;
  for (double v : s) l += std::exp(v - m);
  return m + std::log(l);
}

// p_ij from a score and its row's lse (0 for a fully masked row).
inline double prob(double s, double lse) { return lse == -kInf ? 0.0 : std::exp(s - lse); }

}  // namespace

template <typename T>
void attention_forward_cpu(const AttentionArgs& a, const Context&) {
  const AttentionShape& sh = a.shape;
  const T* q = static_cast<const T*>(a.q);
  const T* k = static_cast<const T*>(a.k);
  const T* v = static_cast<const T*>(a.v);
  const T* mask = static_cast<const T*>(sh.mask);
  T* o = static_cast<T*>(a.o);
  using L = std::conditional_t<std::is_same_v<T, double>, double, float>;
  L* lse = static_cast<L*>(a.lse);
  const bool dropout = sh.dropout_p > 0.0;
  const float threshold = math::attention_keep_threshold(sh.dropout_p);
  const double keep_scale = 1.0 / (1.0 - sh.dropout_p);
  std::vector<double> s(sh.S), acc(sh.Dv);
  for (int64_t b = 0; b < sh.B; ++b) {
    for (int64_t h = 0; h < sh.H; ++h) {
      const int64_t bh = b * sh.H + h;
      for (int64_t i = 0; i < sh.T; ++i) {
        row_scores(sh, q, k, mask, b, h, i, s);
        const double l = row_lse(s);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t j = 0; j < sh.S; ++j) {
          double p = prob(s[j], l);
          if (p == 0.0) continue;
          if (dropout) {
            if (!math::attention_keep(sh.seed, sh.offset, bh, i, j, sh.T, sh.S, threshold))
              continue;
            p *= keep_scale;
          }
          const T* vj = v + (bh * sh.S + j) * sh.Dv;
          for (int64_t d = 0; d < sh.Dv; ++d) acc[d] += p * static_cast<double>(vj[d]);
        }
        T* oi = o + (bh * sh.T + i) * sh.Dv;
        for (int64_t d = 0; d < sh.Dv; ++d)
          oi[d] = static_cast<T>(std::isnan(l) ? std::numeric_limits<double>::quiet_NaN() : acc[d]);
        lse[bh * sh.T + i] = static_cast<L>(l);
      }
    }
  }
}

template <typename T>
void attention_backward_cpu(const AttentionBackwardArgs& a, const Context&) {
  const AttentionShape& sh = a.shape;
  const T* q = static_cast<const T*>(a.q);
  const T* k = static_cast<const T*>(a.k);
  const T* v = static_cast<const T*>(a.v);
  const T* dout = static_cast<const T*>(a.dout);
  const T* mask = static_cast<const T*>(sh.mask);
  using L = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const L* lse = static_cast<const L*>(a.lse);
  T* dq = static_cast<T*>(a.dq);
  T* dk = static_cast<T*>(a.dk);
  T* dv = static_cast<T*>(a.dv);
  const bool dropout = sh.dropout_p > 0.0;
  const float threshold = math::attention_keep_threshold(sh.dropout_p);
  const double keep_scale = 1.0 / (1.0 - sh.dropout_p);
  std::vector<double> s(sh.S), p(sh.S), dp(sh.S), dqi(sh.D);
  std::vector<double> dkh(sh.S * sh.D), dvh(sh.S * sh.Dv);
  for (int64_t b = 0; b < sh.B; ++b) {
    for (int64_t h = 0; h < sh.H; ++h) {
      const int64_t bh = b * sh.H + h;
      std::fill(dkh.begin(), dkh.end(), 0.0);
      std::fill(dvh.begin(), dvh.end(), 0.0);
      for (int64_t i = 0; i < sh.T; ++i) {
        row_scores(sh, q, k, mask, b, h, i, s);
        const double l = static_cast<double>(lse[bh * sh.T + i]);
        const T* doi = dout + (bh * sh.T + i) * sh.Dv;
        const T* qi = q + (bh * sh.T + i) * sh.D;
        double Di = 0.0;
        for (int64_t j = 0; j < sh.S; ++j) {
          p[j] = prob(s[j], l);
          dp[j] = 0.0;
          if (p[j] == 0.0) continue;
          double z = 1.0;
          if (dropout)
            z = math::attention_keep(sh.seed, sh.offset, bh, i, j, sh.T, sh.S, threshold)
                    ? keep_scale
                    : 0.0;
          const T* vj = v + (bh * sh.S + j) * sh.Dv;
          double dot = 0.0;
          for (int64_t d = 0; d < sh.Dv; ++d)
            dot += static_cast<double>(doi[d]) * static_cast<double>(vj[d]);
          dp[j] = z * dot;
          Di += p[j] * dp[j];
          // dv_j += p z do_i
          const double pz = p[j] * z;
          if (pz != 0.0)
            for (int64_t d = 0; d < sh.Dv; ++d)
              dvh[j * sh.Dv + d] += pz * static_cast<double>(doi[d]);
        }
        std::fill(dqi.begin(), dqi.end(), 0.0);
        for (int64_t j = 0; j < sh.S; ++j) {
          if (p[j] == 0.0) continue;
          const double ds = sh.scale * p[j] * (dp[j] - Di);
          const T* kj = k + (bh * sh.S + j) * sh.D;
          for (int64_t d = 0; d < sh.D; ++d) {
            dqi[d] += ds * static_cast<double>(kj[d]);
            dkh[j * sh.D + d] += ds * static_cast<double>(qi[d]);
          }
        }
        T* dqo = dq + (bh * sh.T + i) * sh.D;
        for (int64_t d = 0; d < sh.D; ++d) dqo[d] = static_cast<T>(dqi[d]);
      }
      T* dko = dk + bh * sh.S * sh.D;
      T* dvo = dv + bh * sh.S * sh.Dv;
      for (int64_t e = 0; e < sh.S * sh.D; ++e) dko[e] = static_cast<T>(dkh[e]);
      for (int64_t e = 0; e < sh.S * sh.Dv; ++e) dvo[e] = static_cast<T>(dvh[e]);
    }
  }
}

#define GPUNN_ATTENTION_CPU(T)                                                  \
  template void attention_forward_cpu<T>(const AttentionArgs&, const Context&); \
  template void attention_backward_cpu<T>(const AttentionBackwardArgs&, const Context&);
GPUNN_ATTENTION_CPU(float)
GPUNN_ATTENTION_CPU(double)
GPUNN_ATTENTION_CPU(BFloat16)
GPUNN_ATTENTION_CPU(Half)
#undef GPUNN_ATTENTION_CPU

}  // namespace gpunn::kernels
