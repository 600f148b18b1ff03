#include "http/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/value_from.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <random>

#include "core/log.h"
#include "http/date.h"
#include "http/gzip.h"
#include "http/responses.h"

namespace pagelift::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// A connection's timeout is a deadline that the session moves (one clock read per phase) and its worker's ticker
// checks, instead of Beast's per-operation timers: those armed and cancelled a timer for every read and write (timer
// queue updates, timerfd_settime calls, an extra completion per operation), about a tenth of the CPU time of a
// keep-alive GET. The price is precision: a timeout fires up to one tick late (Server::tick_).
struct Server::Connection {
  tcp::socket* socket;
  bool idle = true;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool timed_out = false;
};

struct Server::Worker {
  // Declared first so that it outlives the context: destroying the context destroys pending sessions, which
  // unregister themselves from this list.
  std::list<Connection> connections;  // touched only on this worker's thread
  asio::io_context context{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{context.get_executor()};
  asio::steady_timer ticker{context};  // checks the connections' deadlines every Server::tick_
  std::string id_prefix;
  unsigned long long next_id = 0;
  DateCache date;  // every response's Date header, formatted once a second
};

namespace {

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::string_view MediaType(std::string_view content_type) {
  const auto semi = content_type.find(';');
  auto type = content_type.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool HasBody(const bhttp::request_parser<bhttp::empty_body>& parser) {
  return parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
}

// Errors and log lines are built outside the coroutines: g++ 12 mishandles braced initializer lists inside coroutine
// bodies ("array used as initializer").
Error BodyTooLarge(size_t limit) {
  return MakeError(ErrorCode::kPayloadTooLarge,
                   fmt::format("the body is larger than the limit of {} bytes for this route", limit),
                   {{"limit", limit}});
}

Error MethodNotAllowed(const std::string& path, const std::string& method, const std::string& allow) {
  return MakeError(ErrorCode::kMethodNotAllowed, fmt::format("{} does not accept {}", path, method),
                   {{"allow", allow}});
}

Error MediaTypeRejected(std::string_view type, const std::vector<std::string>& accepted) {
  return MakeError(ErrorCode::kUnsupportedMediaType,
                   fmt::format("Content-Type \"{}\" is not accepted here", std::string(type)),
                   {{"accepted", boost::json::value_from(accepted)}});
}

Error HandlerFailed(const RequestContext& ctx, std::exception_ptr failure) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  log::Error("handler failed", {{"request_id", ctx.request_id}, {"route", ctx.route}, {"error", what}});
  return MakeError(ErrorCode::kInternal, "internal error; the request id identifies it in the logs",
                   {{"request_id", ctx.request_id}});
}

void LogRequest(const RequestContext& ctx, const std::string& method, const std::string& path, int status,
                double seconds) {
  const std::string route = ctx.route.empty() ? "unmatched" : ctx.route;
  boost::json::object fields{{"request_id", ctx.request_id}, {"method", method}, {"path", path},
                             {"route", route}, {"status", status},
                             {"duration_ms", std::round(seconds * 1e6) / 1e3}};
  if (ctx.shop) fields["shop"] = *ctx.shop;
  const bool quiet = route == "/healthz" || route == "/readyz" || route == "/metrics";
  log::Write(status >= 500 ? log::Level::kError : (quiet ? log::Level::kDebug : log::Level::kInfo), "request",
             fields);
}

}  // namespace

// One client connection: reads requests, routes them, writes responses, until the peer closes, a timeout, an error
// that leaves the stream unusable, or shutdown.
class Server::Session {
 public:
  Session(Server& server, Worker& worker, tcp::socket socket)
      : server_(server), worker_(worker), stream_(std::move(socket)) {
    connection_ = worker_.connections.insert(worker_.connections.end(), Connection{&stream_});
  }
  ~Session() {
    worker_.connections.erase(connection_);
    beast::error_code ec;
    stream_.shutdown(tcp::socket::shutdown_both, ec);
    stream_.close(ec);
  }

  asio::awaitable<void> Run() {
    co_await Serve();
    if (linger_) co_await LingeringClose();
  }

 private:
  // After an answer that closes the connection early (413 before reading the body, 431, 400) the client may still be
  // sending; closing at once would reset the connection and could destroy our answer in flight. So: stop sending,
  // then discard what arrives, bounded in bytes and time, until the peer closes.
  asio::awaitable<void> LingeringClose() {
    boost::system::error_code ec;
    stream_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    ExpiresAfter(std::chrono::seconds(2));
    std::array<char, 16384> sink;
    size_t drained = 0;
    while (drained < 16 * 1024 * 1024) {
      size_t n = 0;
      std::tie(ec, n) = co_await stream_.async_read_some(asio::buffer(sink), kUseAwaitable);
      if (ec) break;
      drained += n;
    }
  }

  asio::awaitable<void> Serve() {
    bool first = true;
    for (;;) {
      connection_->idle = true;
      if (server_.stopping_ || connection_->timed_out) co_return;
      ExpiresAfter(first ? server_.options_.request_timeout : server_.options_.idle_timeout);
      first = false;
      bhttp::request_parser<bhttp::empty_body> header_parser;
      header_parser.header_limit(static_cast<std::uint32_t>(server_.options_.max_header_bytes));
      header_parser.body_limit(boost::none);  // the route's limit applies once the route is known
      // (No structured bindings on co_await results: g++ 12 miscompiles them in coroutines.)
      boost::system::error_code ec;
      std::tie(ec, std::ignore) = co_await bhttp::async_read_header(stream_, buffer_, header_parser, kUseAwaitable);
      connection_->idle = false;
      if (ec) {
        if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
            ec == asio::error::connection_reset || ec == asio::error::eof) {
          co_return;
        }
        Error error = ec == bhttp::error::header_limit
                          ? MakeError(ErrorCode::kBadRequest, "the request header is too large")
                          : MakeError(ErrorCode::kBadRequest, fmt::format("malformed HTTP request: {}", ec.message()));
        auto response = ErrorResponse(error);
        if (ec == bhttp::error::header_limit) response.result(bhttp::status::request_header_fields_too_large);
        linger_ = true;
        co_await Send(std::move(response), false);
        co_return;
      }
      const bool keep_going = co_await ServeOne(header_parser);
      if (!keep_going) co_return;
    }
  }

  // Handles one request whose header has been read; false when the connection must close.
  asio::awaitable<bool> ServeOne(bhttp::request_parser<bhttp::empty_body>& header_parser) {
    RequestContext ctx;
    ctx.start = std::chrono::steady_clock::now();
    const auto& header = header_parser.get();
    const auto incoming_id = header["X-Request-Id"];
    ctx.request_id = IsSaneRequestId(incoming_id) ? std::string(incoming_id)
                                                  : fmt::format("{}-{:x}", worker_.id_prefix, ++worker_.next_id);
    const auto method = header.method();
    const std::string method_name(header.method_string());
    // Read now: the body parser below takes the header over, and the moved-from header would no longer say
    // "Connection: close" (HTTP/1.1's default, keep-alive, would answer for it).
    const bool client_keep_alive = header.keep_alive();
    std::string path = "/";
    Response response;

    auto reply = [&](Response r, bool must_close) -> asio::awaitable<bool> {
      r.set("X-Request-Id", ctx.request_id);
      const bool keep_alive = client_keep_alive && !must_close && !server_.stopping_;
      linger_ = must_close;
      const int status = r.result_int();
      const bool head = method == Verb::head;
      r.keep_alive(keep_alive);
      r.prepare_payload();
      if (head) r.body().clear();
      const auto ok = co_await Send(std::move(r), head);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.start).count();
      server_.metrics_.ObserveRequest(ctx.route.empty() ? "unmatched" : ctx.route, method_name, status, seconds);
      LogRequest(ctx, method_name, path, status, seconds);
      co_return ok && keep_alive;
    };
    auto reject = [&](const Error& error) { return reply(ErrorResponse(error), HasBody(header_parser)); };

    auto target = boost::urls::parse_origin_form(header.target());
    if (!target) co_return co_await reject(MakeError(ErrorCode::kBadRequest, "malformed request target"));
    path = std::string(target->encoded_path());

    auto found = server_.router_.Find(method, target->encoded_path());
    if (std::holds_alternative<NoRoute>(found)) {
      co_return co_await reject(MakeError(ErrorCode::kNotFound, fmt::format("no route for {}", path)));
    }
    if (auto* wrong = std::get_if<WrongMethod>(&found)) {
      auto r = ErrorResponse(MethodNotAllowed(path, method_name, wrong->allow));
      r.set(bhttp::field::allow, wrong->allow);
      co_return co_await reply(std::move(r), HasBody(header_parser));
    }
    auto& match = std::get<Match>(found);
    const Route& route = *match.route;
    ctx.route = route.pattern;
    for (auto& [name, value] : match.params) {
      auto decoded = boost::urls::make_pct_string_view(value);
      if (!decoded) co_return co_await reject(MakeError(ErrorCode::kBadRequest, "malformed percent-encoding in path"));
      value = decoded->decode();
    }
    ctx.params = std::move(match.params);

    // Limits that can be judged from the header alone.
    const auto& options = route.options;
    if (header_parser.content_length() && *header_parser.content_length() > options.max_body_bytes) {
      co_return co_await reject(BodyTooLarge(options.max_body_bytes));
    }
    const auto encoding = header[bhttp::field::content_encoding];
    const bool gzipped = EqualsIgnoreCase(encoding, "gzip");
    if (!encoding.empty() && !EqualsIgnoreCase(encoding, "identity") && !(gzipped && options.allow_gzip)) {
      co_return co_await reject(MakeError(
          ErrorCode::kUnsupportedMediaType,
          fmt::format("Content-Encoding \"{}\" is not accepted here{}", std::string(encoding),
                      options.allow_gzip ? " (gzip is)" : "")));
    }

    // The body, with the route's limit.
    bhttp::request_parser<bhttp::string_body> parser{std::move(header_parser)};
    parser.body_limit(options.max_body_bytes);
    if (!parser.is_done()) {
      ExpiresAfter(server_.options_.request_timeout);
      boost::system::error_code ec;
      std::tie(ec, std::ignore) = co_await bhttp::async_read(stream_, buffer_, parser, kUseAwaitable);
      if (ec == bhttp::error::body_limit) {
        co_return co_await reply(ErrorResponse(BodyTooLarge(options.max_body_bytes)), true);
      }
      if (ec == asio::error::operation_aborted || ec == bhttp::error::end_of_stream ||
          ec == asio::error::eof || ec == asio::error::connection_reset) {
        co_return false;
      }
      if (ec) {
        co_return co_await reply(
            ErrorResponse(MakeError(ErrorCode::kBadRequest, fmt::format("malformed request body: {}", ec.message()))),
            true);
      }
    }
    connection_->deadline = std::chrono::steady_clock::time_point::max();  // the handler takes what it takes
    Request request = parser.release();

    if (gzipped) {
      auto plain = Gunzip(request.body(), options.max_decompressed_bytes);
      if (!plain) co_return co_await reply(ErrorResponse(plain.error()), false);
      request.body() = std::move(*plain);
      request.erase(bhttp::field::content_encoding);
      request.content_length(request.body().size());
    }
    if (!request.body().empty() && !options.content_types.empty()) {
      const auto type = MediaType(request[bhttp::field::content_type]);
      const bool accepted = std::any_of(options.content_types.begin(), options.content_types.end(),
                                        [&](const std::string& t) { return EqualsIgnoreCase(t, type); });
      if (!accepted) {
        co_return co_await reply(ErrorResponse(MediaTypeRejected(type, options.content_types)), false);
      }
    }

    // The handler; the one place where an escaping exception becomes the client's error.
    std::exception_ptr failure;
    try {
      response = co_await route.handler(request, ctx);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) {
      std::optional<Error> error;
      if (server_.options_.translate_exception) error = server_.options_.translate_exception(failure);
      if (!error) error = HandlerFailed(ctx, failure);
      response = ErrorResponse(*error);
    }
    co_return co_await reply(std::move(response), false);
  }

  asio::awaitable<bool> Send(Response response, bool head) {
    ExpiresAfter(server_.options_.request_timeout);
    response.set(bhttp::field::date, worker_.date.Now());  // every answer passes here, the early 400/431 too
    bhttp::response_serializer<bhttp::string_body> serializer{response};
    boost::system::error_code ec;
    if (head) {
      std::tie(ec, std::ignore) = co_await bhttp::async_write_header(stream_, serializer, kUseAwaitable);
    } else {
      std::tie(ec, std::ignore) = co_await bhttp::async_write(stream_, serializer, kUseAwaitable);
    }
    co_return !ec;
  }

  // The next read or write must finish within `timeout` from now, or the worker's ticker cancels it.
  void ExpiresAfter(std::chrono::steady_clock::duration timeout) {
    connection_->deadline = std::chrono::steady_clock::now() + timeout;
  }

  Server& server_;
  Worker& worker_;
  tcp::socket stream_;
  beast::flat_buffer buffer_;
  std::list<Connection>::iterator connection_;
  bool linger_ = false;  // the last answer closed the connection before the request was read to its end
};

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : options_(std::move(options)), router_(router), metrics_(metrics) {}

Server::~Server() { Shutdown(std::chrono::milliseconds(0)); }

void Server::Start() {
  const auto address = asio::ip::make_address(options_.host);
  const tcp::endpoint endpoint{address, options_.port};
  acceptor_.emplace(accept_context_);
  boost::system::error_code ec;
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::system_error(ec, fmt::format("cannot listen on {}:{}", options_.host, options_.port));
  }
  bound_port_ = acceptor_->local_endpoint().port();

  std::random_device random;
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    auto worker = std::make_unique<Worker>();
    worker->id_prefix = fmt::format("{:08x}", random());
    workers_.push_back(std::move(worker));
  }
  tick_ = std::clamp<std::chrono::steady_clock::duration>(
      std::min(options_.request_timeout, options_.idle_timeout) / 8, std::chrono::milliseconds(5),
      std::chrono::seconds(1));
  for (auto& worker : workers_) {
    Tick(*worker);
    threads_.emplace_back([context = &worker->context] { context->run(); });
  }
  Accept();
  threads_.emplace_back([this] { accept_context_.run(); });
}

void Server::Accept() {
  Worker& worker = *workers_[next_worker_];
  next_worker_ = (next_worker_ + 1) % workers_.size();
  acceptor_->async_accept(worker.context, [this, &worker](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
    if (!ec && !stopping_) {
      socket.set_option(tcp::no_delay(true), ec);
      {
        std::lock_guard lock(open_mutex_);
        ++open_connections_;
      }
      metrics_.ConnectionOpened();
      asio::co_spawn(
          worker.context,
          [this, &worker, socket = std::move(socket)]() mutable -> asio::awaitable<void> {
            Session session(*this, worker, std::move(socket));
            co_await session.Run();
          },
          [this](std::exception_ptr) { ConnectionFinished(); });
    } else if (ec) {
      // Running out of file descriptors must not stop the server, nor spin it: log, pause briefly, accept again.
      log::Warn("accept failed; retrying in 50 ms", {{"error", ec.message()}});
      accept_pause_.expires_after(std::chrono::milliseconds(50));
      accept_pause_.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    Accept();
  });
}

// Cancels the pending operations of every connection past its deadline (again at every tick until its session has
// ended, in case the session was between two operations), then waits for the next tick.
void Server::Tick(Worker& worker) {
  worker.ticker.expires_after(tick_);
  worker.ticker.async_wait([this, &worker](boost::system::error_code ec) {
    if (ec) return;
    const auto now = std::chrono::steady_clock::now();
    for (auto& connection : worker.connections) {
      if (connection.deadline > now) continue;
      connection.timed_out = true;
      boost::system::error_code cancel_ec;
      connection.socket->cancel(cancel_ec);
    }
    Tick(worker);
  });
}

void Server::ConnectionFinished() {
  metrics_.ConnectionClosed();
  std::lock_guard lock(open_mutex_);
  --open_connections_;
  open_changed_.notify_all();
}

size_t Server::Shutdown(std::chrono::milliseconds grace) {
  if (stopped_ || workers_.empty()) return 0;
  stopping_ = true;
  asio::post(accept_context_, [this] {
    boost::system::error_code ec;
    acceptor_->close(ec);
    accept_pause_.cancel();
  });
  for (auto& worker : workers_) {
    asio::post(worker->context, [w = worker.get()] {
      for (auto& connection : w->connections) {
        if (!connection.idle) continue;
        boost::system::error_code ec;
        connection.socket->cancel(ec);
      }
    });
  }
  size_t left = 0;
  {
    std::unique_lock lock(open_mutex_);
    open_changed_.wait_for(lock, grace, [this] { return open_connections_ == 0; });
    left = open_connections_;
  }
  if (left > 0) log::Warn("shutdown grace period ran out", {{"open_connections", left}});
  for (auto& worker : workers_) {
    worker->guard.reset();
    worker->context.stop();
  }
  accept_context_.stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  stopped_ = true;
  return left;
}

}  // namespace pagelift::http
