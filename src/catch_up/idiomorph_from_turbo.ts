// The classic-script build bundles Turbo, whose morphElements already carries idiomorph; a second copy would
// add 3.3 kB for pages that bring a Turbo older than 8.0.13. Those pages get a clear error from catch-up instead.
export const Idiomorph = {
  morph(): never {
    throw new Error("turbo-cable: catch-up by morph needs Turbo 8.0.13 or later (Turbo.morphElements)")
  },
}
