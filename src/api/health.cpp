#include "api/health.h"

#include "db/migrations.h"
#include "http/responses.h"

namespace pagelift::api {

void RegisterHealthRoutes(http::Router& router, db::Database& database, http::Metrics& metrics) {
  // The healthy answers never change: serialised once here, copied per request (/healthz is what load balancers and
  // the HTTP benchmark call most). Only /metrics and the failures of /readyz are built per request.
  const http::Response healthy = http::JsonResponse(http::Status::ok, {{"status", "ok"}});
  const http::Response ready =
      http::JsonResponse(http::Status::ok, {{"status", "ready"}, {"database", "ok"}, {"migrations", "current"}});

  router.Add(http::Verb::get, "/healthz",
             [healthy](http::Request&, http::RequestContext&) -> boost::asio::awaitable<http::Response> {
               co_return healthy;
             });

  router.Add(http::Verb::get, "/readyz",
             [&database, ready](http::Request&, http::RequestContext&) -> boost::asio::awaitable<http::Response> {
               // Ping() uses its own connection with a short timeout, so /readyz answers fast during an outage.
               const bool reachable = co_await database.Offload([&database] { return database.Ping(); });
               if (!reachable) {
                 auto error = MakeError(ErrorCode::kUnavailable, "PostgreSQL is not reachable",
                                        {{"database", "unreachable"}});
                 error.retry_after_seconds = 1;
                 co_return http::ErrorResponse(error);
               }
               auto current = co_await database.Offload([&database] { return db::MigrationsCurrent(database); });
               if (!current.ok() || !*current) {
                 auto error = MakeError(ErrorCode::kUnavailable,
                                        current.ok() ? "database migrations are not current; run `pagelift migrate`"
                                                     : current.error().message,
                                        {{"database", "reachable"}, {"migrations", "pending"}});
                 error.retry_after_seconds = 5;
                 co_return http::ErrorResponse(error);
               }
               co_return ready;
             });

  router.Add(http::Verb::get, "/metrics",
             [&metrics](http::Request&, http::RequestContext&) -> boost::asio::awaitable<http::Response> {
               co_return http::TextResponse(http::Status::ok, metrics.Render(), "text/plain; version=0.0.4");
             });
}

}  // namespace pagelift::api
