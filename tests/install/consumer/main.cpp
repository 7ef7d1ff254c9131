// The smallest real use of gpunn: y = Σ (W x + b)², its gradient, and a check
// of the result against the hand-computed value.
#include <gpunn/gpunn.h>

#include <cmath>
#include <cstdio>

int main() {
  using namespace gpunn;
  const TensorOptions param = TensorOptions(kFloat64).requires_grad(true);
  Tensor w = tensor({1, 2, 3, 4}, {2, 2}, param);
  Tensor b = tensor({0.5, -0.5}, param);
  Tensor x = tensor({1, -1}, kFloat64);
  Tensor y = sum(pow(add(matmul(w, x), b), 2.0));  // W x + b = (-0.5, -1.5): y = 2.5
  y.backward();
  // dy/db = 2 (W x + b) = (-1, -3)
  const std::vector<double> db = b.grad().to_vector<double>();
  const bool ok = std::abs(y.item() - 2.5) < 1e-12 && std::abs(db[0] + 1) < 1e-12 &&
                  std::abs(db[1] + 3) < 1e-12;
  std::printf("gpunn %s: y = %g, db = (%g, %g)\n", version(), y.item(), db[0], db[1]);
  std::printf(ok ? "consumer ok\n" : "consumer FAILED\n");
  return ok ? 0 : 1;
}
