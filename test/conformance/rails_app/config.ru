# puma -b tcp://127.0.0.1:PORT config.ru  (env: see app.rb)
require_relative "app"

# The library under test, built by `npm run build`, served as the Node test server serves it.
dist = ENV["TURBO_CABLE_DIST"].to_s.empty? ? File.expand_path("../../../dist", __dir__) : ENV["TURBO_CABLE_DIST"]
use Rack::Static, urls: ["/dist"], root: File.dirname(dist), header_rules: [[:all, { "Cache-Control" => "no-store" }]]

run Conformance::Application
