# puma -b tcp://127.0.0.1:PORT config.ru  (env: see app.rb)
require_relative "app"

# The library under test, built by `npm run build`, served as the Node test server serves it.
dist = ENV["TURBO_CABLE_DIST"].to_s.empty? ? File.expand_path("../../../dist", __dir__) : ENV["TURBO_CABLE_DIST"]
use Rack::Static, urls: ["/dist"], root: File.dirname(dist), header_rules: [[:all, { "Cache-Control" => "no-store" }]]
# For the import-map page: Turbo's ES module and the channel file an app would have.
repo = File.expand_path("../../..", __dir__)
use Rack::Static, urls: ["/node_modules/@hotwired/turbo/dist"], root: repo
use Rack::Static, urls: { "/app/channels/echo_channel.js" => "/test/pages/channels/echo_channel.js" }, root: repo

# Started by test/support/rails_server.ts: if the test runner dies without ending us (a hard kill), end
# ourselves and the suite's redis-server rather than linger on the machine.
if (parent = ENV["CONFORMANCE_PARENT_PID"].to_i) > 0
  Thread.new do
    loop do
      sleep 1
      next if Process.ppid == parent
      redis = ENV["CONFORMANCE_REDIS_PID"].to_i
      begin
        Process.kill("TERM", redis) if redis > 0
      rescue SystemCallError
        nil
      end
      exit!(1)
    end
  end
end

run Conformance::Application
