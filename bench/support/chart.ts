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
  return svgDocument(title, subtitle, y, body)
}

/** The SVG around a chart's parts: white background, title and subtitle on top, `height` tall below the margin. */
function svgDocument(title: string, subtitle: string, height: number, parts: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH + 2 * MARGIN}" height="${height + MARGIN}" viewBox="${-MARGIN} ${-MARGIN} ${WIDTH + 2 * MARGIN} ${height + MARGIN}">`,
    `<rect x="${-MARGIN}" y="${-MARGIN}" width="100%" height="100%" fill="#fff"/>`,
    `<text x="0" y="18" font-size="16" font-weight="700" ${FONT}>${escapeXml(title)}</text>`,
    `<text x="0" y="34" font-size="11" fill="#555" ${FONT}>${escapeXml(subtitle)}</text>`,
    ...parts,
    `</svg>`,
    "",
  ].join("\n")
}

/** One line of a line chart: y values at x values. */
export interface Series {
  name: string
  color: string
  points: Array<[number, number]>
}

const LINE_PALETTE = ["#2f6fdd", "#9dbcf0", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#8a8f98", "#222222"]

/** A color per series, in order. */
export const lineColor = (i: number) => LINE_PALETTE[i % LINE_PALETTE.length]!

/** Lines over a shared x axis (bench/soak.svg: heap over time per tab and worker), with a legend. */
export function lineChartSvg(title: string, subtitle: string, xUnit: string, yUnit: string, series: Series[]): string {
  const plotLeft = 56
  const plotWidth = WIDTH - plotLeft - 190
  const plotTop = 52
  const plotHeight = 300
  const xs = series.flatMap((line) => line.points.map(([x]) => x))
  const ys = series.flatMap((line) => line.points.map(([, y]) => y))
  // The x axis ends where the lines do (a run of 60 minutes: ticks at 15, 30, 45, 60).
  const xMax = Math.max(...xs, 1)
  const yMax = niceMax(Math.max(...ys, 0) * 1.1)
  const px = (x: number) => plotLeft + (x / xMax) * plotWidth
  const py = (y: number) => plotTop + plotHeight - (y / yMax) * plotHeight
  const parts: string[] = [`<path d="M${plotLeft} ${plotTop}V${plotTop + plotHeight}H${plotLeft + plotWidth}" stroke="#999" fill="none"/>`]
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4
    parts.push(`<path d="M${plotLeft - 4} ${py(y).toFixed(1)}H${plotLeft + plotWidth}" stroke="#eee"/>`)
    parts.push(`<text x="${plotLeft - 8}" y="${(py(y) + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#555" ${FONT}>${format(y)}</text>`)
    const x = (xMax * i) / 4
    parts.push(`<text x="${px(x).toFixed(1)}" y="${plotTop + plotHeight + 16}" font-size="10" text-anchor="middle" fill="#555" ${FONT}>${format(x)}</text>`)
  }
  parts.push(`<text x="${plotLeft + plotWidth}" y="${plotTop + plotHeight + 30}" font-size="10" text-anchor="end" fill="#555" ${FONT}>${escapeXml(xUnit)}</text>`)
  parts.push(`<text x="${plotLeft - 48}" y="${plotTop - 8}" font-size="10" fill="#555" ${FONT}>${escapeXml(yUnit)}</text>`)
  series.forEach((line, i) => {
    const d = line.points.map(([x, y], j) => `${j ? "L" : "M"}${px(x).toFixed(1)} ${py(y).toFixed(1)}`).join("")
    parts.push(`<path d="${d}" stroke="${line.color}" stroke-width="1.6" fill="none"><title>${escapeXml(line.name)}</title></path>`)
    for (const [x, y] of line.points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2" fill="${line.color}"/>`)
    const legendY = plotTop + 4 + i * 16
    parts.push(`<path d="M${plotLeft + plotWidth + 16} ${legendY}h18" stroke="${line.color}" stroke-width="2"/>`)
    parts.push(`<text x="${plotLeft + plotWidth + 40}" y="${legendY + 4}" font-size="11" ${FONT}>${escapeXml(line.name)}</text>`)
  })
  return svgDocument(title, subtitle, plotTop + plotHeight + 40, parts)
}
