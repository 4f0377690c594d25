# Rooms for the soak (test/soak): a chat-like page of several rooms, each showing its last WINDOW items, as
# an app does that keeps a long-open tab's page bounded. Each write broadcasts the new item's append and the
# removal of the one that fell out of the window, so the DOM of a page left open all day stays the same size.
#
# The page renders the identity meta of its user (a digest of the signed-in name), so the tabs of one user
# in one browser share one connection (with ?share=0, sharing is off instead: a socket per tab), and
# optionally an app channel (EchoChannel) beside the streams.
require "digest"

module Rooms
  WINDOW = 500

  module_function

  def items(name)
    Lists.items(name).last(WINDOW)
  end

  # Stores the item (in the list store every process shares), then broadcasts its append and the removal
  # of the item that left the window, in one message, in order.
  def append(name, text)
    id = Lists.redis.incr("next_id:#{name}")
    item = { "id" => id, "text" => text }
    Lists.redis.rpush("items:#{name}", JSON.dump(item))
    Lists.redis.ltrim("items:#{name}", -WINDOW, -1)
    streams = %(<turbo-stream action="append" target="#{dom_id(name)}"><template>#{item_html(name, item)}</template></turbo-stream>)
    streams += %(<turbo-stream action="remove" target="#{item_id(name, id - WINDOW)}"></turbo-stream>) if id > WINDOW
    ActionCable.server.broadcast(name, streams)
    id
  end

  def dom_id(name)
    "room_#{name.gsub(/[^A-Za-z0-9_-]/, "_")}"
  end

  def item_id(name, id)
    "#{dom_id(name)}_#{id}"
  end

  def item_html(name, item)
    %(<li id="#{item_id(name, item["id"])}" data-id="#{item["id"]}">#{ERB::Util.h(item["text"])}</li>)
  end
end

class RoomsController < ApplicationController
  # GET /rooms?names=a,b[&echo=room][&share=0]: the signed-in user's page of rooms.
  def show
    user = cookies.signed[:session]
    return head(:unauthorized) if user.blank?
    h = ERB::Util.method(:h)
    names = params.require(:names).split(",")
    rooms = names.map do |name|
      signed = Turbo.signed_stream_verifier.generate(name)
      items = Rooms.items(name).map { |item| Rooms.item_html(name, item) }.join
      %(<section><h2>#{h.(name)}</h2>) +
        %(<turbo-cable-stream-source channel="Turbo::StreamsChannel" signed-stream-name="#{h.(signed)}"></turbo-cable-stream-source>) +
        %(<ul id="#{Rooms.dom_id(name)}" data-room="#{h.(name)}">#{items}</ul></section>)
    end
    echo = params[:echo].to_s
    # An app channel on the same connection: the page speaks every 5 s and lists what comes back.
    echo_script = echo.empty? ? "" : <<~JS
      <script>
        addEventListener("DOMContentLoaded", async () => {
          const echoes = document.getElementById("echoes")
          let said = 0
          const channel = await TurboCable.cable.subscribeTo({ channel: "EchoChannel", room: #{echo.to_json} }, {
            received(data) {
              echoes.dataset.last = data.text
              echoes.dataset.count = String(Number(echoes.dataset.count || 0) + 1)
            },
          })
          setInterval(() => channel.perform("speak", { text: String(++said) }), 5000)
        })
      </script>
    JS
    sharing =
      if params[:share] == "0"
        %(<meta name="turbo-cable-share-connection" content="false">)
      else
        %(<meta name="turbo-cable-identity" content="#{Digest::SHA256.hexdigest("cable:#{user}")}">)
      end
    response.headers["Cache-Control"] = "no-store"
    render html: <<~HTML.html_safe, layout: false
      <!doctype html>
      <html>
      <head>
      <title>rooms</title>
      <link rel="icon" href="data:,">
      <meta name="action-cable-url" content="/cable">
      #{sharing}
      <script src="/dist/turbo-cable.min.js"></script>
      #{echo_script}
      </head>
      <body>
      <p id="server">#{h.(ENV["CONFORMANCE_SERVER"].to_s)}</p>
      #{rooms.join}
      <p id="echoes" data-count="0"></p>
      </body>
      </html>
    HTML
  end

  # POST /rooms/:name/items (text): one item stored and broadcast; its id.
  def create
    render json: { id: Rooms.append(params[:name], params.require(:text)) }
  end

  # GET /rooms/:name/items: the ids the store holds, in order (the last WINDOW) and the last id written.
  def index
    render json: { ids: Rooms.items(params[:name]).map { |item| item["id"] }, last: Lists.redis.get("next_id:#{params[:name]}").to_i }
  end
end
