// Renders Vega-Lite specs headlessly: to SVG through vega's scenegraph (no browser, no canvas),
// and SVG to PNG through resvg.
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Specs are built by plots.ts, so a compiler warning is a bug there, not news for the user.
  const quiet = vega.logger(vega.None);
  const view = new vega.View(vega.parse(compile(spec, { logger: quiet }).spec), { renderer: 'none', logger: quiet });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * PNG at `scale` times the SVG's size. Text uses the system's fonts; on a machine with none,
 * resvg leaves text out rather than failing, and the SVG still carries it.
 */
export function renderPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true },
    logLevel: 'off',
  });
  return resvg.render().asPng();
}
