// Vega-Lite spec → SVG (vega, headless, no canvas) → PNG (resvg, with the bundled DejaVu Sans so
// that text renders the same on a fresh machine). vega and resvg load on first use: importing
// ipcae stays fast for callers who never draw.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { packageRoot } from '../files/package-root.js';
import { IpcaeError } from '../errors.js';

/** One figure: a file name (no extension), a title for the page, the spec, and what it shows. */
export interface Figure {
  name: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

export const FONT_FAMILY = 'DejaVu Sans';

/** The bundled font file (lib/figures/fonts/DejaVuSans.ttf in the package). */
export function fontFile(): string {
  const f = path.join(packageRoot(), 'lib', 'figures', 'fonts', 'DejaVuSans.ttf');
  if (!existsSync(f)) throw new IpcaeError('ERR_DATA', `the figure font ${f} is missing from the installed package: reinstall ipcae`);
  return f;
}

type Font = { unitsPerEm: number; charToGlyph(c: string): { index: number; advanceWidth?: number } };
let font: Font | undefined;

/** The shipped font, parsed once (opentype.js): its advance widths and which characters it has. */
function figureFont(): Font {
  if (font) return font;
  const opentype = createRequire(import.meta.url)('opentype.js') as { parse(b: ArrayBuffer): Font };
  const bytes = readFileSync(fontFile());
  return (font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
}

/**
 * Text widths from the font itself: without a canvas, vega estimates 0.8 em per character (DejaVu
 * Sans averages about 0.55), and every title, legend and label box comes out too wide.
 */
function fontWidths(): (text: string, size: number) => number {
  const f = figureFont();
  const advance = new Map<string, number>();
  return (text, size) => {
    let units = 0;
    for (const ch of text) {
      let a = advance.get(ch);
      if (a === undefined) advance.set(ch, (a = f.charToGlyph(ch).advanceWidth ?? f.unitsPerEm * 0.6));
      units += a;
    }
    return (units * size) / f.unitsPerEm;
  };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * The characters of an SVG's text that the shipped font lacks (CJK, for instance), each once. The
 * PNG draws them with a system font that has them, or as empty boxes where none does; the SVG and
 * the page use the viewer's fonts.
 */
export function glyphsMissing(svg: string): string[] {
  const f = figureFont();
  const missing = new Set<string>();
  for (const m of svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)) {
    const text = m[1].replace(/&(#x?[0-9a-f]+|\w+);/gi, (e, c: string) =>
      c[0] === '#' ? String.fromCodePoint(c[1] === 'x' || c[1] === 'X' ? parseInt(c.slice(2), 16) : Number(c.slice(1))) : (ENTITIES[c] ?? e),
    );
    for (const ch of text) if (ch.trim() && f.charToGlyph(ch).index === 0) missing.add(ch);
  }
  return [...missing];
}

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
type Resvg = typeof import('@resvg/resvg-js');
let libs: Promise<{ vega: Vega; vl: VegaLite; resvg: Resvg }> | undefined;
const load = () =>
  (libs ??= Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]).then(([vegaNs, vl, resvg]) => {
    const width = fontWidths();
    // CommonJS packages: their namespace is the module's exports (under default when imported from ESM)
    const vega = ((vegaNs as unknown as { default?: Vega }).default ?? vegaNs) as Vega;
    const metrics = (vega as unknown as { textMetrics: unknown }).textMetrics as { width: (item: { fontSize?: number }, text: unknown) => number };
    metrics.width = (item, text) => width(text == null ? '' : String(text), item.fontSize != null ? Number(item.fontSize) || 0 : 11);
    return {
      vega,
      vl: ((vl as unknown as { default?: VegaLite }).default ?? vl) as VegaLite,
      resvg: ((resvg as unknown as { default?: Resvg }).default ?? resvg) as Resvg,
    };
  }));

/** The SVG text of a Vega-Lite spec. Data must be inline: the loader refuses files and URLs (a page opens offline). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vl } = await load();
  const compiled = vl.compile(spec).spec;
  const refuse = {
    load: async (uri: string) => {
      throw new IpcaeError('ERR_DATA', `a figure asked to load ${uri}: figures carry their data inline`);
    },
    sanitize: async (uri: string) => {
      throw new IpcaeError('ERR_DATA', `a figure asked to load ${uri}: figures carry their data inline`);
    },
    http: async () => '',
    file: async () => '',
  };
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: refuse as unknown as ReturnType<Vega['loader']> });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A PNG of the SVG at `scale` (2: sharp on high-density screens), on white. */
export async function renderPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { resvg } = await load();
  const r = new resvg.Resvg(svg, {
    // Only the shipped font, so text renders the same on every machine; the system's fonts are
    // loaded only when the text has characters it lacks (they fill those in, where they can).
    font: { fontFiles: [fontFile()], loadSystemFonts: glyphsMissing(svg).length > 0, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
  return r.render().asPng();
}

/** Width and height of a PNG, from its header (the tests and the page use it). */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) throw new IpcaeError('ERR_DATA', 'not a PNG file');
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}
