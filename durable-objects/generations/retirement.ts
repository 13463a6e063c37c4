/**
 * Deleting a retired generation's views from KV in bounded chunks. A Worker invocation (an alarm
 * run included) may perform at most 1,000 KV operations, and a generation holds a key per SKU:
 * one run deletes at most DELETES_PER_RUN keys with at most LISTS_PER_RUN list calls (well under
 * the limit), keeps the list cursor in storage and asks to run again at once.
 */
export const DELETES_PER_RUN = 400;
export const LISTS_PER_RUN = 20;

export const viewPrefix = (generation: string): string => `view:${generation}:`;

type CursorRow = { generation: string; cursor: string | null; deleted: number };

export const retirementProgress = (sql: SqlStorage, generation: string): CursorRow | null =>
  sql.exec<CursorRow>('SELECT * FROM retirement_cursors WHERE generation = ?', generation).toArray()[0] ?? null;

function saveProgress(sql: SqlStorage, generation: string, cursor: string | null, deleted: number): void {
  sql.exec(
    `INSERT INTO retirement_cursors (generation, cursor, deleted) VALUES (?, ?, ?)
     ON CONFLICT (generation) DO UPDATE SET cursor = excluded.cursor, deleted = excluded.deleted`,
    generation, cursor, deleted,
  );
}

/** What one run may still spend: deletes and list calls. */
export type Budget = { deletes: number; lists: number };
export const runBudget = (): Budget => ({ deletes: DELETES_PER_RUN, lists: LISTS_PER_RUN });

/**
 * Deletes a page at a time from where the last run stopped, within `budget`; `done` once the
 * generation has no key left, with the keys deleted over all runs. The cursor is saved after each page is deleted: a run that fails
 * half-way lists the same page again and deletes it again (deleting a deleted key is harmless).
 * The cursor, not a fresh list from the start, because KV's list is eventually consistent and
 * may still show keys just deleted.
 */
export async function deleteChunk(sql: SqlStorage, kv: KVNamespace, generation: string, budget: Budget): Promise<{ done: boolean; deleted: number }> {
  const progress = retirementProgress(sql, generation);
  let cursor = progress?.cursor ?? undefined;
  let deleted = progress?.deleted ?? 0;
  while (budget.deletes > 0 && budget.lists > 0) {
    budget.lists--;
    const page = await kv.list({ prefix: viewPrefix(generation), limit: budget.deletes, ...(cursor ? { cursor } : {}) });
    await Promise.all(page.keys.map((k) => kv.delete(k.name)));
    budget.deletes -= page.keys.length;
    deleted += page.keys.length;
    if (page.list_complete) {
      sql.exec('DELETE FROM retirement_cursors WHERE generation = ?', generation);
      return { done: true, deleted };
    }
    cursor = page.cursor;
    saveProgress(sql, generation, cursor, deleted);
  }
  return { done: false, deleted };
}
