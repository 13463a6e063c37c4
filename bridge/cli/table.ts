type Cell = string | number | boolean | null | undefined;

const text = (cell: Cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell));

/**
 * Aligned columns for people (`--json` is for programs): numbers right-aligned so magnitudes line
 * up, empty cells as `-` so columns never collapse, no trailing spaces.
 */
export function table(headers: readonly string[] | null, rows: readonly (readonly Cell[])[]): string {
  const all = headers ? [headers, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, text(cell).length)));
  const line = (row: readonly Cell[]) =>
    row
      .map((cell, i) => (typeof cell === 'number' ? text(cell).padStart(widths[i]!) : text(cell).padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return all.map(line).join('\n');
}
