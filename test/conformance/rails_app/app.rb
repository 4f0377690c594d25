# A minimal Rails 6.1 app for the conformance suite: a real Action Cable server (Debian's
# ruby-actioncable, run by puma) with the pieces turbo-rails puts in an app:
#
#   - Turbo::StreamsChannel, verifying signed stream names exactly as turbo-rails does;
#   - a cookie-authenticated ApplicationCable::Connection (no cookie: rejected as unauthorized);
#   - pages that render turbo-rails' <turbo-cable-stream-source> markup;
#   - the Redis subscription adapter, so several server processes share one Redis and every
#     broadcast reaches the pages connected to any of them.
#
# No database: a list's items live in Redis too, so every process renders the same page.
#
# Env: SECRET_KEY_BASE, REDIS_URL (both required), RAILS_LOG (a file; default: no log),
#      CONFORMANCE_SERVER (a name the pages and /up show, to tell the processes apart),
#      TURBO_CABLE_DIST (the directory served at /dist; default: the repository's dist/).

require "logger"
require "json"
require "digest"
require "rails"
require "action_controller/railtie"
require "action_cable/engine"
require "redis"

module Conformance
  class Application < Rails::Application
    config.root = __dir__
    config.eager_load = false
    config.consider_all_requests_local = true
    config.secret_key_base = ENV.fetch("SECRET_KEY_BASE")
    config.logger = Logger.new(ENV["RAILS_LOG"].to_s.empty? ? File::NULL : ENV["RAILS_LOG"])
    config.log_level = :info
    config.hosts.clear if config.respond_to?(:hosts)
    config.public_file_server.enabled = false

    # cable.yml, in code.
    config.action_cable.mount_path = "/cable"
    config.action_cable.cable = {
      "adapter" => "redis",
      "url" => ENV.fetch("REDIS_URL"),
      "channel_prefix" => "turbo_cable_conformance",
    }
    config.action_cable.allowed_request_origins = [%r{\Ahttp://(127\.0\.0\.1|localhost)(:\d+)?\z}]
  end
end

# What turbo-rails' Turbo::StreamsChannel::Broadcasts and Turbo::Streams::StreamName do, reduced to
# what the suite needs.
module Turbo
  def self.signed_stream_verifier
    @signed_stream_verifier ||= ActiveSupport::MessageVerifier.new(
      Rails.application.key_generator.generate_key("turbo/signed_stream_verifier_key"),
      digest: "SHA256",
      serializer: JSON,
    )
  end

  class StreamsChannel < ActionCable::Channel::Base
    def subscribed
      if (stream_name = verified_stream_name_from_params)
        stream_from stream_name
      else
        reject
      end
    end

    private

    def verified_stream_name_from_params
      Turbo.signed_stream_verifier.verified(params[:signed_stream_name])
    rescue StandardError
      nil
    end
  end
end

# An app's own channel beside the streams (as a generated ChatChannel): `perform("speak", text:)` is
# broadcast back to everyone in the room; room "forbidden" is rejected.
class EchoChannel < ActionCable::Channel::Base
  def subscribed
    room = params[:room].to_s
    room.empty? || room == "forbidden" ? reject : stream_from("echo:#{room}")
  end

  def speak(data)
    ActionCable.server.broadcast("echo:#{params[:room]}", { "text" => data["text"], "from" => current_user })
  end
end

# A per-user channel as apps write them for notifications: its stream is the connection's user, so a tab
# riding another person's connection would get that person's notes.
class NotesChannel < ActionCable::Channel::Base
  def subscribed
    stream_from "me:#{current_user}"
  end
end

module ApplicationCable
  class Connection < ActionCable::Connection::Base
    identified_by :current_user

    def connect
      self.current_user = cookies.signed[:session].presence || reject_unauthorized_connection
    end
  end
end

# The lists: ids from a counter, items in a Redis list per stream (every process sees the same).
module Lists
  module_function

  def redis
    Thread.current[:conformance_redis] ||= Redis.new(url: ENV.fetch("REDIS_URL"))
  end

  def items(name)
    redis.lrange("items:#{name}", 0, -1).map { |json| JSON.parse(json) }
  end

  # Stores `count` items, broadcasting each one right after it is stored, in order.
  def append(name, text, count)
    (1..count).map do |index|
      id = redis.incr("next_id:#{name}")
      item = { "id" => id, "text" => text.gsub("{{i}}", index.to_s) }
      redis.rpush("items:#{name}", JSON.dump(item))
      # turbo-rails broadcasts the rendered <turbo-stream> as a plain string.
      ActionCable.server.broadcast(name, append_stream(item))
      id
    end
  end

  # The next `count` catch-up refetches of the list's page answer `status` (a server shedding load).
  def shed(name, status, count, retry_after)
    key = "shed:#{name}"
    redis.del(key)
    redis.mapped_hmset(key, { "status" => status, "remaining" => count, "retry_after" => retry_after.to_s })
  end

  # The refusal this refetch gets, if any; shared by every process through Redis.
  def take_shed(name)
    key = "shed:#{name}"
    remaining = redis.hincrby(key, "remaining", -1)
    if remaining < 0
      redis.del(key)
      return nil
    end
    shed = redis.hgetall(key)
    redis.del(key) if remaining == 0
    shed
  end

  # Requests for the list's page, on every process: all of them, and the catch-up refetches among them.
  def count_request(name, catch_up:)
    redis.hincrby("requests:#{name}", "pages", 1)
    redis.hincrby("requests:#{name}", "catch_ups", 1) if catch_up
  end

  def requests(name)
    counts = redis.hgetall("requests:#{name}")
    { "pages" => counts["pages"].to_i, "catch_ups" => counts["catch_ups"].to_i }
  end

  def item_html(item)
    %(<li id="item_#{item["id"]}">#{ERB::Util.h(item["text"])}</li>)
  end

  def append_stream(item)
    %(<turbo-stream action="append" target="items"><template>#{item_html(item)}</template></turbo-stream>)
  end
end

# No protect_from_forgery: the writes are the test harness's API, made with plain HTTP requests.
class ApplicationController < ActionController::Base
end

class SessionsController < ApplicationController
  def create
    cookies.signed[:session] = { value: params.require(:name), httponly: true }
    target = params[:return_to].to_s
    redirect_to(target.start_with?("/") && !target.start_with?("//") ? target : "/")
  end

  def destroy
    cookies.delete(:session)
    head :no_content
  end

  # Sign-out as apps do it: the session goes, and so do the user's cable connections, on every process.
  # Rails 6.1's remote disconnect closes the socket and sends nothing first: the client reconnects, and
  # without the cookie the connection is rejected as unauthorized.
  def sign_out
    user = cookies.signed[:session]
    cookies.delete(:session)
    ActionCable.server.remote_connections.where(current_user: user).disconnect if user.present?
    head :no_content
  end
end

# What this process holds: its Action Cable connections (an open socket accepted by the connection), by user,
# and the identifiers each one is subscribed to (Rails ignores a second subscribe to one it holds, unanswered).
class CableStatsController < ApplicationController
  def show
    connections = ActionCable.server.connections
    render json: {
      connections: connections.size,
      users: connections.map(&:current_user),
      subscriptions: connections.map { |connection| connection.subscriptions.identifiers },
    }
  end
end

class ListsController < ApplicationController
  def show
    name = params[:name]
    Lists.count_request(name, catch_up: request.headers["X-Turbo-Cable-Catch-Up"].present?)
    if request.headers["X-Turbo-Cable-Catch-Up"] && (shed = Lists.take_shed(name))
      response.headers["Retry-After"] = shed["retry_after"] unless shed["retry_after"].to_s.empty?
      return head(shed["status"].to_i)
    end
    items = Lists.items(name)
    h = ERB::Util.method(:h)
    signed = Turbo.signed_stream_verifier.generate(name)
    # README's line for the layout: whose page this is, as an opaque digest (?identity=off: an app without it;
    # ?share=true: an app that declares its connections carry no per-user identity).
    user = cookies.signed[:session]
    identity = user.present? && params[:identity] != "off" ? Digest::SHA256.hexdigest("cable:#{user}:#{Rails.application.secret_key_base}") : nil
    # ?bfcache=1: Rails' default caching instead, which leaves the page eligible for the back/forward cache
    # (every engine keeps a no-store page out of it) for the spec that measures it.
    response.headers["Cache-Control"] = "no-store" unless params[:bfcache]
    render html: <<~HTML.html_safe, layout: false
      <!doctype html>
      <html>
      <head>
      <title>#{h.(name)}</title>
      <meta name="action-cable-url" content="/cable">
      #{identity ? %(<meta name="turbo-cable-identity" content="#{identity}">) : ""}
      #{params[:share] == "true" ? %(<meta name="turbo-cable-share-connection" content="true">) : ""}
      <script src="/dist/turbo-cable.min.js"></script>
      </head>
      <body>
      <turbo-cable-stream-source channel="Turbo::StreamsChannel" signed-stream-name="#{h.(signed)}"></turbo-cable-stream-source>
      <p id="user">#{h.(user.to_s)}</p>
      <p id="server">#{h.(ENV["CONFORMANCE_SERVER"].to_s)}</p>
      <input id="draft" name="draft"><textarea id="notes" name="notes"></textarea>
      <p id="count">#{items.size} items</p>
      <ul id="items">#{items.map { |item| Lists.item_html(item) }.join}</ul>
      </body>
      </html>
    HTML
  end
end

# A scaffold's destroy and update: `redirect_to` (302) after the change. Rack::MethodOverride turns a POST
# with `_method` into the method Rails routes by; the method on the wire is kept in the env.
class RecordsController < ApplicationController
  def index
    response.headers["Cache-Control"] = "no-store"
    render html: <<~HTML.html_safe, layout: false
      <!doctype html>
      <html><head><title>records</title><script src="/dist/turbo-cable.min.js"></script></head>
      <body>
      <a id="delete-link" href="/records/1" data-turbo-method="delete">Delete</a>
      <form id="rails-form" action="/records/1" method="post"><button id="rails-patch" name="_method" value="patch" formmethod="post">Update</button></form>
      </body></html>
    HTML
  end

  def change
    wire = request.env["rack.methodoverride.original_method"] || request.request_method
    redirect_to "/records/landed?#{{ wire: wire, as: request.request_method }.to_query}"
  end

  def landed
    h = ERB::Util.method(:h)
    render html: <<~HTML.html_safe, layout: false
      <!doctype html>
      <html><head><title>landed</title><script src="/dist/turbo-cable.min.js"></script></head>
      <body><h1 id="landed" data-wire="#{h.(params[:wire])}" data-as="#{h.(params[:as])}">Landed</h1></body></html>
    HTML
  end
end

# A page whose channel file imports @rails/actioncable, pointed at turbo-cable by the import map.
class ChannelsController < ApplicationController
  def show
    h = ERB::Util.method(:h)
    list = params[:list].to_s
    signed = Turbo.signed_stream_verifier.generate(list)
    render html: <<~HTML.html_safe, layout: false
      <!doctype html>
      <html><head><title>channels</title>
      <meta name="action-cable-url" content="/cable">
      <script type="importmap">
        {"imports": {
          "@hotwired/turbo": "/node_modules/@hotwired/turbo/dist/turbo.es2017-esm.js",
          "turbo-cable": "/dist/importmap/turbo-cable.js",
          "@rails/actioncable": "/dist/importmap/actioncable.js"
        }}
      </script>
      <script type="module">import "turbo-cable"</script>
      <script type="module" src="/app/channels/echo_channel.js"></script>
      </head>
      <body>
      <turbo-cable-stream-source channel="Turbo::StreamsChannel" signed-stream-name="#{h.(signed)}"></turbo-cable-stream-source>
      <ul id="items"></ul><ul id="echoes"></ul>
      </body></html>
    HTML
  end
end

class ItemsController < ApplicationController
  MAX_COUNT = 10_000

  def create
    count = (params[:count] || 1).to_i.clamp(1, MAX_COUNT)
    ids = Lists.append(params[:name], params.require(:text), count)
    render json: { ids: ids }
  end
end

class NotesController < ApplicationController
  def create
    ActionCable.server.broadcast("me:#{params[:user]}", { "text" => params.require(:text) })
    head :no_content
  end
end

class RequestsController < ApplicationController
  def show
    render json: Lists.requests(params[:name])
  end
end

class ShedsController < ApplicationController
  def create
    Lists.shed(params[:name], params.require(:status).to_i, (params[:count] || 1).to_i, params[:retry_after])
    head :no_content
  end
end

class HealthController < ApplicationController
  def show
    render plain: "ok #{ENV["CONFORMANCE_SERVER"]}"
  end
end

require_relative "rooms"

Conformance::Application.initialize!

# Drawn after initialize! (drawing clears the routes first, then re-adds Action Cable's /cable mount).
Conformance::Application.routes.draw do
  get "/up", to: "health#show"
  get "/favicon.ico", to: proc { [204, {}, []] }
  get "/login", to: "sessions#create"
  get "/logout", to: "sessions#destroy"
  delete "/session", to: "sessions#sign_out"
  get "/cable_stats", to: "cable_stats#show"
  get "/lists/:name", to: "lists#show", constraints: { name: /[^\/]+/ }
  post "/lists/:name/items", to: "items#create", constraints: { name: /[^\/]+/ }
  get "/records", to: "records#index"
  get "/records/landed", to: "records#landed"
  match "/records/:id", to: "records#change", via: [:delete, :patch, :put]
  get "/channels", to: "channels#show"
  post "/lists/:name/shed", to: "sheds#create", constraints: { name: /[^\/]+/ }
  get "/lists/:name/requests", to: "requests#show", constraints: { name: /[^\/]+/ }
  get "/rooms", to: "rooms#show"
  get "/rooms/:name/items", to: "rooms#index", constraints: { name: /[^\/]+/ }
  post "/rooms/:name/items", to: "rooms#create", constraints: { name: /[^\/]+/ }
  post "/notes/:user", to: "notes#create"
end
