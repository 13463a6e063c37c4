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

  it('one line per replica, the one asked marked, and what they own together', () => {
    const group = {
      self: 'http://127.0.0.1:8799',
      partitions: [1, 3, 5, 7, 9, 11],
      members: [
        { endpoint: 'http://127.0.0.1:8798', partitions: [0, 2, 4, 6, 8, 10], self: false },
        { endpoint: 'http://127.0.0.1:8799', partitions: [1, 3, 5, 7, 9, 11], self: true },
      ],
    };
    expect(groupTable(group)).toBe(
      [
        'REPLICA                PARTITIONS    COUNT  ASKED',
        'http://127.0.0.1:8798  0,2,4,6,8,10      6  -',
        'http://127.0.0.1:8799  1,3,5,7,9,11      6  yes',
        '2 replicas own 12 partitions',
      ].join('\n'),
    );
    expect(groupTable({ self: 'http://127.0.0.1:8798', partitions: [], members: [] })).toBe(NO_OWNERS);
  });
});
