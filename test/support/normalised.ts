/** Reservation ids are random, named here by order of appearance; times move with the clock, blanked. */
export function normalised(value: unknown, sku: string): unknown {
  const ids = new Map<string, string>();
  const text = JSON.stringify(value)
    .replaceAll(sku, 'SKU')
    .replace(/res_[0-9a-z]+/g, (id) => ids.get(id) ?? (ids.set(id, `res#${ids.size}`), `res#${ids.size - 1}`))
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'T');
  return JSON.parse(text);
}
