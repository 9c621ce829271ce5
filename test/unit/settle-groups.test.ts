import { settleInGroups } from '../../src/orders/settle-groups';

describe('settling a batch\'s paid answers in groups', () => {
  it('settles a full group at once, one group at a time, and the rest at the end', async () => {
    const settled: number[][] = [];
    let running = 0;
    let overlapped = false;
    const groups = settleInGroups<number>(async (group) => {
      overlapped ||= running > 0;
      running++;
      await new Promise((r) => setTimeout(r, 5));
      settled.push(group);
      running--;
    }, { size: 3, delayMs: 10_000 });
    for (let i = 1; i <= 7; i++) groups.add(i);
    await groups.done();
    expect(settled).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(overlapped).toBe(false);
  });

  it('settles a group that is not full once its first answer has waited the delay', async () => {
    const settled: number[][] = [];
    const groups = settleInGroups<number>(async (group) => { settled.push(group); }, { size: 10, delayMs: 5 });
    groups.add(1);
    groups.add(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toEqual([[1, 2]]);
    groups.add(3);
    await groups.done();
    expect(settled).toEqual([[1, 2], [3]]);
  });

  it('after a group fails settles nothing more, and says so at the end', async () => {
    const settled: number[][] = [];
    const groups = settleInGroups<number>(async (group) => {
      if (group.includes(1)) throw new Error('database gone');
      settled.push(group);
    }, { size: 2, delayMs: 10_000 });
    groups.add(1);
    groups.add(2);
    groups.add(3);
    groups.add(4);
    await expect(groups.done()).rejects.toThrow('database gone');
    expect(settled).toEqual([]);
  });
});
