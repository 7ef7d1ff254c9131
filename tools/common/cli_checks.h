// Checks for the numeric options of gpunn's programs (the examples and the `gpunn`
// tool), with one-line messages: CLI11's PositiveNumber and NonNegativeNumber are ranges
// over all doubles and print their limits ("... 2.22507e-308 to 1.79769e+308"). Used as
//   app.add_option("--epochs", epochs, "...")->check(gpunn::cli::positive);
// a bad value then ends the program with "--epochs: must be > 0, got 0".
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace gpunn::cli {

namespace detail {
// "" when `text` is a number that `ok` accepts; else the message after "--option: ".
template <typename Ok>
std::string check_number(const std::string& text, Ok ok, const char* want) {
  double v = 0;
  try {
    size_t used = 0;
    v = std::stod(text, &used);
    if (used != text.size()) return "expected a number, got " + text;
  } catch (const std::exception&) {
    return "expected a number, got " + text;
  }
  return ok(v) ? std::string() : std::string("must be ") + want + ", got " + text;
}
}  // namespace detail

inline const CLI::Validator positive(
    [](std::string& s) {
      return detail::check_number(
          s, [](double v) { return v > 0; }, "> 0");
    },
    "> 0", "POSITIVE");
inline const CLI::Validator non_negative(
    [](std::string& s) {
      return detail::check_number(
          s, [](double v) { return v >= 0; }, ">= 0");
    },
    ">= 0", "NONNEGATIVE");

}  // namespace gpunn::cli
