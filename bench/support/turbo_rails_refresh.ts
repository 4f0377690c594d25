// The catch-up users bolt onto turbo-rails pages, for the scenarios that compare catching up.

/** What users add to turbo-rails pages (turbo-rails#674): refresh, by morph, when the source is connected again. */
export const REFRESH_WORKAROUND = `
<meta name="turbo-refresh-method" content="morph">
<meta name="turbo-refresh-scroll" content="preserve">
<script>
  addEventListener("DOMContentLoaded", () => {
    let connectedBefore = false
    new MutationObserver(() => {
      const source = document.querySelector("turbo-cable-stream-source")
      if (!source?.hasAttribute("connected")) return
      if (connectedBefore) Turbo.session.refresh(location.href)
      connectedBefore = true
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["connected"] })
  })
</script>`
