/** A straight line y = a + b·x. */
export type Line = { readonly a: number; readonly b: number };

/** Ordinary least squares through (x, y) points: at least two distinct x. */
export function fitLine(points: readonly { x: number; y: number }[]): Line {
  const n = points.length;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - meanX) ** 2, 0);
  if (!(sxx > 0)) throw new Error('a line needs at least two distinct x');
  const b = points.reduce((s, p) => s + (p.x - meanX) * (p.y - meanY), 0) / sxx;
  return { a: meanY - b * meanX, b };
}
