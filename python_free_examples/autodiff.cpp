// The lecture's worked example of automatic differentiation, in double:
//
//   f(x) = (x1·x2·sin x3 + e^(x1·x2)) / x3     at x = (1, 2, π/2)
//
// Prints the evaluation trace (each intermediate with its value and its adjoint
// ∂f/∂v from reverse mode), the gradient from one backward pass, the derivative
// along each unit direction from forward mode (one pass each), and the closed
// form
//   ∇f = ((4 + 4e²)/π, (2 + 2e²)/π, (-8 - 4e²)/π²).
// Then the Hessian, by forward over reverse (one Hessian-vector product per row: a
// forward pass with tangent e_k through a differentiable backward pass) and by reverse over
// reverse (a backward pass through the gradient per row), against its closed form.
// The last line is one JSON object: {"f", "grad", "jvp", "max_abs_err", "hessian",
// "hessian_max_abs_err"}, the errors being the largest distance of any computed number from
// the closed form. Exits with status 1 if either error exceeds 1e-12.
#include <gpunn/gpunn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using gpunn::Tensor;

namespace {

constexpr double kPi = 3.14159265358979323846;

// The intermediates of f, in evaluation order (a Wengert list).
struct Trace {
  Tensor a, b, c, d, e, f;
};

Trace evaluate(const std::vector<Tensor>& x) {
  Trace t;
  t.a = x[0] * x[1];       // a = x1·x2
  t.b = gpunn::sin(x[2]);  // b = sin x3
  t.c = t.a * t.b;         // c = a·b
  t.d = gpunn::exp(t.a);   // d = e^a
  t.e = t.c + t.d;         // e = c + d
  t.f = t.e / x[2];        // f = e / x3
  return t;
}

Tensor f(const std::vector<Tensor>& x) { return evaluate(x).f; }

// f of one tensor x [3], for autograd::hessian.
Tensor f_of_vector(const Tensor& x) { return f({x[0], x[1], x[2]}); }

// The closed-form Hessian of f, row-major: with a = x1·x2, s = sin x3, c = cos x3, E = e^a,
//   f11 = x2² E / x3             f12 = (s + E + a E) / x3       f22 = x1² E / x3
//   f13 = x2 c / x3 - x2 (s + E) / x3²      f23 = x1 c / x3 - x1 (s + E) / x3²
//   f33 = -a s / x3 - 2 a c / x3² + 2 (a s + E) / x3³
std::vector<double> closed_hessian(double x1, double x2, double x3) {
  const double a = x1 * x2, s = std::sin(x3), c = std::cos(x3), e = std::exp(a);
  const double h11 = x2 * x2 * e / x3, h22 = x1 * x1 * e / x3, h12 = (s + e + a * e) / x3;
  const double h13 = x2 * c / x3 - x2 * (s + e) / (x3 * x3);
  const double h23 = x1 * c / x3 - x1 * (s + e) / (x3 * x3);
  const double h33 = -a * s / x3 - 2 * a * c / (x3 * x3) + 2 * (a * s + e) / (x3 * x3 * x3);
  return {h11, h12, h13, h12, h22, h23, h13, h23, h33};
}

std::string json_array(const std::vector<double>& v) {
  std::string s = "[";
  char buf[40];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.17g", i ? ", " : "", v[i]);
    s += buf;
  }
  return s + "]";
}

}  // namespace

int main(int argc, char** argv) {
  // No options: --help says what it prints; anything else is refused.
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf(
          "Usage: autodiff\nThe worked example f(x) = (x1*x2*sin x3 + e^(x1*x2)) / x3 at "
          "(1, 2, pi/2): its trace with reverse-mode adjoints, the gradient, forward-mode "
          "derivatives, the Hessian by forward over reverse and by reverse over reverse, and "
          "the closed forms; the last line is one JSON object. Exits 1 if any derivative is "
          "off by more than 1e-12. Takes no options.\n");
      return 0;
    }
    std::fprintf(stderr, "autodiff: unknown argument '%s' (it takes none; see --help)\n", argv[i]);
    return 2;
  }
  const gpunn::TensorOptions leaf = gpunn::TensorOptions(gpunn::kFloat64).requires_grad(true);
  const std::vector<double> point = {1.0, 2.0, kPi / 2};
  std::vector<Tensor> x;
  for (double v : point) x.push_back(gpunn::scalar_tensor(v, leaf));

  // Reverse mode: adjoints of every intermediate and the gradient, one sweep.
  const Trace t = evaluate(x);
  const std::vector<Tensor> wrt = {t.a, t.b, t.c, t.d, t.e, x[0], x[1], x[2]};
  const std::vector<Tensor> adjoints = gpunn::autograd::grad({t.f}, wrt, {}, /*retain_graph=*/true);
  t.f.backward();
  std::vector<double> grad;
  for (const Tensor& xi : x) grad.push_back(xi.grad().item());

  std::printf("f(x) = (x1*x2*sin(x3) + exp(x1*x2)) / x3  at x = (1, 2, pi/2)\n\n");
  std::printf("evaluation trace          value                  adjoint df/dv\n");
  const char* names[] = {"a = x1*x2", "b = sin x3", "c = a*b", "d = exp(a)", "e = c + d"};
  const Tensor values[] = {t.a, t.b, t.c, t.d, t.e};
  for (int i = 0; i < 5; ++i) {
    std::printf("  %-12s %22.17g %22.17g\n", names[i], values[i].item(), adjoints[i].item());
  }
  std::printf("  %-12s %22.17g %22s\n\n", "f = e / x3", t.f.item(), "1");

  // Forward mode: one pass per unit direction gives one partial derivative.
  std::vector<double> jvp;
  for (int j = 0; j < 3; ++j) {
    std::vector<Tensor> primal, direction;
    for (int i = 0; i < 3; ++i) {
      primal.push_back(gpunn::scalar_tensor(point[i], gpunn::kFloat64));
      direction.push_back(gpunn::scalar_tensor(i == j ? 1.0 : 0.0, gpunn::kFloat64));
    }
    jvp.push_back(gpunn::autograd::jvp(f, primal, direction).second.item());
  }

  const double e2 = std::exp(2.0);
  const double f_closed = (4 + 2 * e2) / kPi;
  const std::vector<double> closed = {(4 + 4 * e2) / kPi, (2 + 2 * e2) / kPi,
                                      (-8 - 4 * e2) / (kPi * kPi)};
  std::printf("             reverse mode           forward mode           closed form\n");
  double err = std::abs(t.f.item() - f_closed);
  for (int i = 0; i < 3; ++i) {
    std::printf("  df/dx%d %22.17g %22.17g %22.17g\n", i + 1, grad[i], jvp[i], closed[i]);
    err = std::max({err, std::abs(grad[i] - closed[i]), std::abs(jvp[i] - closed[i]),
                    std::abs(adjoints[5 + i].item() - closed[i])});
  }
  std::printf("\nf = %.17g (closed form %.17g)\n", t.f.item(), f_closed);

  // Second derivatives: both compositions of the two modes, and the closed form.
  const Tensor at = gpunn::tensor(point, {3}, gpunn::kFloat64);
  const std::vector<double> fr =
      gpunn::autograd::hessian(f_of_vector, at, gpunn::autograd::HessianMode::ForwardOverReverse)
          .to_vector<double>();
  const std::vector<double> rr =
      gpunn::autograd::hessian(f_of_vector, at, gpunn::autograd::HessianMode::ReverseOverReverse)
          .to_vector<double>();
  const std::vector<double> hc = closed_hessian(point[0], point[1], point[2]);
  std::printf("\nHessian       forward over reverse   reverse over reverse   closed form\n");
  double herr = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      const size_t k = static_cast<size_t>(3 * i + j);
      std::printf("  d2f/dx%ddx%d %22.17g %22.17g %22.17g\n", i + 1, j + 1, fr[k], rr[k], hc[k]);
      herr = std::max({herr, std::abs(fr[k] - hc[k]), std::abs(rr[k] - hc[k])});
    }
  std::string hessian = "[";
  for (int i = 0; i < 3; ++i)
    hessian += (i ? ", " : "") + json_array({fr.begin() + 3 * i, fr.begin() + 3 * i + 3});
  hessian += "]";
  std::printf(
      "{\"f\": %.17g, \"grad\": %s, \"jvp\": %s, \"max_abs_err\": %.3g, \"hessian\": %s, "
      "\"hessian_max_abs_err\": %.3g}\n",
      t.f.item(), json_array(grad).c_str(), json_array(jvp).c_str(), err, hessian.c_str(), herr);
  return err <= 1e-12 && herr <= 1e-12 ? 0 : 1;
}
