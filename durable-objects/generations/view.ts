/** Which generation is active, which is the shadow of a rebuild, which are retiring (and until when). */
export type GenerationsView = { active: string; shadow: string | null; retiring: { generation: string; until: number }[] };

/**
 * Every generation a live view must be written to. A retiring one only until its grace period is
 * over by the caller's clock: a copy of the registry held a little longer must not keep writing
 * keys that the registry is deleting.
 */
export const liveGenerations = (view: GenerationsView, now = Date.now()): string[] => [
  view.active,
  ...(view.shadow ? [view.shadow] : []),
  ...view.retiring.filter((r) => r.until > now).map((r) => r.generation),
];
