import { TurnRequest, WriteTurns } from './write-turns';

describe(WriteTurns.name, () => {
  let granted: string[];
  let reachable: Set<number>;
  let sut: WriteTurns;
  const turn = (workerId: number, id: number): TurnRequest => ({ workerId, id });

  beforeEach(() => {
    granted = [];
    reachable = new Set([1, 2, 3]);
    sut = new WriteTurns(({ workerId, id }) => {
      if (!reachable.has(workerId)) {
        return false;
      }
      granted.push(`${workerId}:${id}`);
      return true;
    });
  });

  it('should grant one turn at a time, first come first served', () => {
    sut.request(turn(1, 0));
    sut.request(turn(2, 0));
    sut.request(turn(1, 1));
    expect(granted).toEqual(['1:0']);

    sut.done(turn(1, 0));
    sut.done(turn(2, 0));
    expect(granted).toEqual(['1:0', '2:0', '1:1']);
  });

  it('should drop a request whose worker gave up waiting, without granting it', () => {
    sut.request(turn(1, 0));
    sut.request(turn(2, 0));
    sut.done(turn(2, 0));
    sut.done(turn(1, 0));
    expect(granted).toEqual(['1:0']);
  });

  it("should end a dead worker's turn and forget its requests", () => {
    sut.request(turn(1, 0));
    sut.request(turn(1, 1));
    sut.request(turn(2, 0));
    sut.workerGone(1);
    expect(granted).toEqual(['1:0', '2:0']);
  });

  it('should pass over a worker that can no longer be told', () => {
    sut.request(turn(1, 0));
    sut.request(turn(2, 0));
    sut.request(turn(3, 0));
    reachable.delete(2);
    sut.done(turn(1, 0));
    expect(granted).toEqual(['1:0', '3:0']);
  });
});
