// turbo-rails' fetch_requests.js: a form submitted with a method other than GET or POST goes out as POST with
// the method in a `_method` field, as Rails expects. Without it the browser sends a real DELETE or PATCH, and
// fetch follows the `redirect_to` (302) that comes next with the same method: the user never lands.

/** The method a form submission means: the submitter's (`_method` button or `formmethod`), the body's `_method`, the form's. */
export function intendedMethod(form: HTMLFormElement, submitter: HTMLElement | null | undefined, body: URLSearchParams | FormData): string {
  if (submitter instanceof HTMLButtonElement || submitter instanceof HTMLInputElement) {
    if (submitter.name == "_method") return submitter.value
    // The attribute as written: `formMethod` reads "patch" as "get" (not an HTML method), while Turbo itself
    // sends the written method, so turbo-rails lets a bare formmethod="patch" out as a real PATCH.
    if (submitter.hasAttribute("formmethod")) return submitter.getAttribute("formmethod")!
  }
  const override = body.get("_method")
  if (typeof override == "string") return override
  return form.getAttribute("method") || "get"
}

interface BeforeFetchRequest extends CustomEvent<{ fetchOptions: RequestInit }> {}
interface SubmitStart extends CustomEvent<{ formSubmission: { submitter?: HTMLElement | null } }> {}

/** On `turbo:before-fetch-request` for a form: rewrites the request at `turbo:submit-start`, as turbo-rails does. */
export function encodeMethodIntoRequestBody(event: Event): void {
  const { target, detail } = event as BeforeFetchRequest
  if (!(target instanceof HTMLFormElement) || !detail?.fetchOptions) return
  const { fetchOptions } = detail
  target.addEventListener(
    "turbo:submit-start",
    (start) => {
      const submitter = (start as SubmitStart).detail?.formSubmission?.submitter
      const body = fetchOptions.body instanceof FormData || fetchOptions.body instanceof URLSearchParams ? fetchOptions.body : new URLSearchParams()
      const method = intendedMethod(target, submitter, body)
      if (/^get$/i.test(method)) return
      if (/^post$/i.test(method)) body.delete("_method")
      else body.set("_method", method)
      fetchOptions.method = "post"
    },
    { once: true },
  )
}

/** Installs the encoding (the entry calls it once; turbo-rails' own copy, if loaded too, does the same thing). */
export function installMethodOverride(): void {
  if (typeof addEventListener != "undefined") addEventListener("turbo:before-fetch-request", encodeMethodIntoRequestBody)
}
