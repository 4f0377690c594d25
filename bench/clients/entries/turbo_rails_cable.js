// turbo-rails' JavaScript without Turbo (Turbo left external): its index, which brings the element, the
// `cable` module with @rails/actioncable and the `_method` encoding: what turbo-cable's ESM build replaces.
// The package exports only its built bundle, hence the relative path.
import "../../../node_modules/@hotwired/turbo-rails/app/javascript/turbo/index.js"
