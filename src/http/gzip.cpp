#include "http/gzip.h"

#include <zlib.h>

#include <fmt/format.h>
#include <memory>
#include <stdexcept>

namespace pagelift::http {
namespace {

// zlib is the well-kept library for this; the wrappers only add the output cap and RAII.
struct InflateStream {
  z_stream z{};
  InflateStream() {
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  }
  ~InflateStream() { inflateEnd(&z); }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
};

struct DeflateStream {
  z_stream z{};
  DeflateStream() {
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw std::runtime_error("deflateInit2 failed");
    }
  }
  ~DeflateStream() { deflateEnd(&z); }
  DeflateStream(const DeflateStream&) = delete;
  DeflateStream& operator=(const DeflateStream&) = delete;
};

}  // namespace

Result<std::string> Gunzip(std::string_view compressed, size_t max_output) {
  InflateStream stream;
  stream.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.z.avail_in = static_cast<uInt>(compressed.size());
  std::string output;
  char chunk[16384];
  for (;;) {
    stream.z.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.z.avail_out = sizeof(chunk);
    const int rc = inflate(&stream.z, Z_NO_FLUSH);
    const size_t produced = sizeof(chunk) - stream.z.avail_out;
    if (output.size() + produced > max_output) {
      return MakeError(ErrorCode::kPayloadTooLarge,
                       fmt::format("the decompressed body is larger than the limit of {} bytes", max_output));
    }
    output.append(chunk, produced);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return MakeError(ErrorCode::kBadRequest, "the body is not valid gzip data");
    }
    if (rc == Z_BUF_ERROR || (stream.z.avail_in == 0 && produced == 0)) {
      return MakeError(ErrorCode::kBadRequest, "the gzip body is truncated");
    }
  }
  return output;
}

std::string Gzip(std::string_view data) {
  DeflateStream stream;
  stream.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.z.avail_in = static_cast<uInt>(data.size());
  std::string output;
  output.resize(deflateBound(&stream.z, static_cast<uLong>(data.size())));
  stream.z.next_out = reinterpret_cast<Bytef*>(output.data());
  stream.z.avail_out = static_cast<uInt>(output.size());
  if (deflate(&stream.z, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate failed");
  output.resize(stream.z.total_out);
  return output;
}

}  // namespace pagelift::http
