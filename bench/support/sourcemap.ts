// Just enough of Source Map v3 to turn a profiled position in dist/turbo-cable.js back into src/.
import { readFile } from "node:fs/promises"

export interface OriginalPosition {
  source: string
  /** 1-based, as editors count. */
  line: number
  column: number
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
const DIGIT = new Map([...BASE64].map((char, index) => [char, index]))

/** Decodes one mapping segment's base64 VLQ fields. */
function decodeSegment(segment: string): number[] {
  const fields: number[] = []
  let value = 0
  let shift = 0
  for (const char of segment) {
    const digit = DIGIT.get(char)!
    value += (digit & 31) << shift
    if (digit & 32) {
      shift += 5
      continue
    }
    fields.push(value & 1 ? -(value >>> 1) : value >>> 1)
    value = 0
    shift = 0
  }
  return fields
}

type Segment = readonly [generatedColumn: number, source: number, line: number, column: number]

export class SourceMap {
  private constructor(
    private readonly sources: string[],
    private readonly lines: Segment[][],
  ) {}

  static async load(file: string): Promise<SourceMap> {
    const map = JSON.parse(await readFile(file, "utf8")) as { sources: string[]; mappings: string }
    const lines: Segment[][] = []
    let source = 0
    let line = 0
    let column = 0
    for (const lineText of map.mappings.split(";")) {
      const segments: Segment[] = []
      let generatedColumn = 0
      for (const text of lineText.split(",")) {
        if (!text) continue
        const fields = decodeSegment(text)
        generatedColumn += fields[0]
        if (fields.length < 4) continue
        source += fields[1]
        line += fields[2]
        column += fields[3]
        segments.push([generatedColumn, source, line, column])
      }
      lines.push(segments)
    }
    return new SourceMap(map.sources, lines)
  }

  /** The original position of a 0-based generated line and column (as CDP reports them). */
  lookup(line: number, column: number): OriginalPosition | null {
    const segments = this.lines[line]
    if (!segments?.length) return null
    let found: Segment | undefined
    for (const segment of segments) {
      if (segment[0] > column) break
      found = segment
    }
    found ??= segments[0]
    return { source: this.sources[found[1]], line: found[2] + 1, column: found[3] + 1 }
  }
}
