// turbo-rails' cable parts alone (the element, its consumer, @rails/actioncable), Turbo left external:
// what turbo-cable's ESM build replaces. The package exports only its index, hence the relative path.
import "../../../node_modules/@hotwired/turbo-rails/app/javascript/turbo/cable_stream_source_element.js"
