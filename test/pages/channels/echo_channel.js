// A channel file as Rails generates it (app/javascript/channels/*.js), unchanged: it imports
// @rails/actioncable, which this page's import map points at turbo-cable.
import { createConsumer } from "@rails/actioncable"

const consumer = createConsumer()
const room = new URLSearchParams(location.search).get("room") || "lobby"

window.echoChannel = consumer.subscriptions.create({ channel: "EchoChannel", room }, {
  connected({ reconnected }) {
    document.body.dataset.echo = reconnected ? "reconnected" : "connected"
  },
  disconnected() {
    document.body.dataset.echo = "disconnected"
  },
  received(data) {
    const item = document.createElement("li")
    item.textContent = data.text
    document.getElementById("echoes").append(item)
  },
  speak(text) {
    return this.perform("speak", { text })
  },
})
