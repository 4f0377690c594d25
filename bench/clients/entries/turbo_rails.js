// turbo-rails as an app gets it from npm: Turbo, <turbo-cable-stream-source>, @rails/actioncable.
import "@hotwired/turbo-rails"
