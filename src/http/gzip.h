// gzip request bodies: decompression with a hard cap on the output, so a gzip bomb costs at most `max_output` bytes.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace pagelift::http {

// Inflates a gzip stream. Errors: kPayloadTooLarge when the output would exceed max_output, kBadRequest when the
// input is not a complete gzip stream.
Result<std::string> Gunzip(std::string_view compressed, size_t max_output);

// Compresses with gzip framing (tests, benchmarks, and clients of our own such as the simulator).
std::string Gzip(std::string_view data);

}  // namespace pagelift::http
