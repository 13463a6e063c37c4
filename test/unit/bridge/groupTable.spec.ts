import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupTable, NO_OWNERS, partitionRanges } from '../../../bridge/cli/commands/group';

/** `0-2,5` back to [0, 1, 2, 5]. */
const expand = (ranges: string) =>
  ranges === ''
    ? []
    : ranges.split(',').flatMap((r) => {
        const [from, to = from] = r.split('-').map(Number) as [number, number?];
        return Array.from({ length: to - from + 1 }, (_, i) => from + i);
      });

describe('inventory group', () => {
  it('partitions as ranges', () => {
    expect(partitionRanges([])).toBe('');
    expect(partitionRanges([7])).toBe('7');
    expect(partitionRanges([5, 0, 1, 2, 11, 10, 8])).toBe('0-2,5,8,10-11');
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(64)), (partitions) => {
        expect(expand(partitionRanges(partitions))).toEqual([...partitions].sort((a, b) => a - b));
      }),
    );
  });

  it('one line per replica with its sagas (those needing a look named), the one asked marked, and what they own together', () => {
    const none = { allocating: 0, overdue: 0, confirming: 0, releasing: 0, cancelling: 0, allocated: 0, done: 0, stuck: 0 };
    const group = {
      self: 'http://127.0.0.1:8799',
      partitions: [4, 5, 6, 7],
      members: [
        { endpoint: 'http://127.0.0.1:8798', partitions: [0, 2, 8, 9, 10, 11], self: false, sagas: { ...none, allocated: 30, done: 2 } },
        { endpoint: 'http://127.0.0.1:8799', partitions: [4, 5, 6, 7], self: true, sagas: { ...none, allocating: 1, overdue: 2, stuck: 1 } },
        { endpoint: 'http://127.0.0.1:8800', partitions: [1, 3], self: false, sagas: null },
      ],
    };
    expect(groupTable(group)).toBe(
      [
        'REPLICA                PARTITIONS  COUNT  SAGAS                   ASKED',
        'http://127.0.0.1:8798  0,2,8-11        6  32                      -',
        'http://127.0.0.1:8799  4-7             4  4 (1 stuck, 2 overdue)  yes',
        'http://127.0.0.1:8800  1,3             2  ?                       -',
        '3 replicas own 12 partitions',
      ].join('\n'),
    );
    expect(groupTable({ self: 'http://127.0.0.1:8798', partitions: [], members: [] })).toBe(NO_OWNERS);
  });
});
