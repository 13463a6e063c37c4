/** Thrown when a call did not answer in time: the caller cannot tell whether it was carried out. */
export class NoAnswerInTime extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'NoAnswerInTime';
  }
}

/** The call's answer, or a `NoAnswerInTime` rejection once `ms` passed without one (the call itself goes on). */
export function withinBound<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new NoAnswerInTime(ms)), ms)));
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}
