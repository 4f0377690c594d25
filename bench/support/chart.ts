// bench/chart.svg, by hand: horizontal bars (median) with min–max whiskers, one panel per figure group.
import { LABELS, type ClientId } from "../clients"
import type { Summary } from "./stats"

export interface Bar {
  name: string
  summary: Summary | null
  color: string
}

export interface Panel {
  title: string
  unit: string
  groups: Array<{ client: ClientId; bars: Bar[] }>
}

const WIDTH = 760
const MARGIN = 12
const LABEL_WIDTH = 110
const PLOT_WIDTH = 480
const BAR_HEIGHT = 14
const BAR_GAP = 3
const GROUP_GAP = 12
const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif"`

export const COLORS = { primary: "#2f6fdd", secondary: "#9dbcf0", anchor: "#8a8f98", anchorLight: "#c9ccd1" }

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
}

function niceMax(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude
  return 10 * magnitude
}

function format(value: number): string {
  if (value == 0) return "0"
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value >= 1 ? value.toFixed(2) : value.toFixed(3)
}

function panelSvg(panel: Panel, top: number): { svg: string; height: number } {
  // Scaled to the medians: one run's outlier would otherwise squeeze every bar; its whisker is cut at the
  // edge and its value written out.
  const medians = panel.groups.flatMap((group) => group.bars.map((bar) => bar.summary?.median ?? 0)).filter(Number.isFinite)
  const max = niceMax(Math.max(...medians, 0) * 1.3)
  const x = (value: number) => LABEL_WIDTH + (Math.min(value, max) / max) * PLOT_WIDTH
  const parts: string[] = [`<text x="0" y="${top + 14}" font-size="14" font-weight="600" ${FONT}>${escapeXml(panel.title)}</text>`]
  let y = top + 28
  const plotTop = y
  for (const group of panel.groups) {
    const groupHeight = group.bars.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    parts.push(`<text x="${LABEL_WIDTH - 8}" y="${y + groupHeight / 2 + 4}" font-size="12" text-anchor="end" ${FONT}>${escapeXml(LABELS[group.client])}</text>`)
    for (const bar of group.bars) {
      const s = bar.summary
      if (s && Number.isFinite(s.median)) {
        parts.push(`<rect x="${LABEL_WIDTH}" y="${y}" width="${(x(s.median) - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" fill="${bar.color}"><title>${escapeXml(`${LABELS[group.client]} ${bar.name}: median ${format(s.median)} ${panel.unit}, min ${format(s.min)}, max ${format(s.max)}, ${s.count} runs`)}</title></rect>`)
        if (s.count > 1 && s.max > s.min) {
          const mid = y + BAR_HEIGHT / 2
          const [left, right] = [x(s.min), x(s.max)]
          parts.push(`<path d="M${left.toFixed(1)} ${mid}H${right.toFixed(1)}M${left.toFixed(1)} ${mid - 4}V${mid + 4}M${right.toFixed(1)} ${mid - 4}V${mid + 4}" stroke="#222" stroke-width="1"/>`)
        }
        const cut = s.count > 1 && s.max > max
        const label = `${bar.name ? `${bar.name} ` : ""}${format(s.median)} ${panel.unit}${cut ? ` (max ${format(s.max)} ${panel.unit} →)` : ""}`
        const labelX = cut ? LABEL_WIDTH + PLOT_WIDTH : Math.max(x(s.median), s.count > 1 ? x(s.max) : 0)
        parts.push(`<text x="${(labelX + 6).toFixed(1)}" y="${y + BAR_HEIGHT - 3}" font-size="11" fill="#333" ${FONT}>${escapeXml(label)}</text>`)
      } else {
        parts.push(`<text x="${LABEL_WIDTH + 4}" y="${y + BAR_HEIGHT - 3}" font-size="11" fill="#666" ${FONT}>${escapeXml(`${bar.name} ${s ? "never" : "n/a"}`)}</text>`)
      }
      y += BAR_HEIGHT + BAR_GAP
    }
    y += GROUP_GAP - BAR_GAP
  }
  // Axis: baseline and round ticks.
  const axisY = y
  parts.push(`<path d="M${LABEL_WIDTH} ${plotTop - 4}V${axisY}H${LABEL_WIDTH + PLOT_WIDTH}" stroke="#999" fill="none"/>`)
  const lead = Math.round(max / 10 ** Math.floor(Math.log10(max)) * 10) / 10
  const ticks = lead == 2.5 || lead == 5 ? 5 : 4
  for (let i = 0; i <= ticks; i++) {
    const value = (max * i) / ticks
    const tickX = x(value)
    parts.push(`<path d="M${tickX.toFixed(1)} ${axisY}v4" stroke="#999"/>`)
    parts.push(`<text x="${tickX.toFixed(1)}" y="${axisY + 16}" font-size="10" text-anchor="middle" fill="#555" ${FONT}>${format(value)}</text>`)
  }
  parts.push(`<text x="${LABEL_WIDTH + PLOT_WIDTH}" y="${axisY + 30}" font-size="10" text-anchor="end" fill="#555" ${FONT}>${escapeXml(panel.unit)}; bar = median, whisker = min–max over runs</text>`)
  return { svg: parts.join("\n"), height: axisY + 40 - top }
}

export function chartSvg(title: string, subtitle: string, panels: Panel[]): string {
  const body: string[] = []
  let y = 44
  for (const panel of panels) {
    const { svg, height } = panelSvg(panel, y)
    body.push(svg)
    y += height + 16
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH + 2 * MARGIN}" height="${y + MARGIN}" viewBox="${-MARGIN} ${-MARGIN} ${WIDTH + 2 * MARGIN} ${y + MARGIN}">`,
    `<rect x="${-MARGIN}" y="${-MARGIN}" width="100%" height="100%" fill="#fff"/>`,
    `<text x="0" y="18" font-size="16" font-weight="700" ${FONT}>${escapeXml(title)}</text>`,
    `<text x="0" y="34" font-size="11" fill="#555" ${FONT}>${escapeXml(subtitle)}</text>`,
    ...body,
    `</svg>`,
    "",
  ].join("\n")
}
