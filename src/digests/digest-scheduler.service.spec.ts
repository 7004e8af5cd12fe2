import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { LeasesService } from '../database/leases.service';
import { DIGEST_LEASE, DigestScheduler } from './digest-scheduler.service';
import { DigestsService } from './digests.service';

const TICK_MS = 1000;

describe(DigestScheduler.name, () => {
  let sut: DigestScheduler;
  let leases: { acquire: jest.Mock; release: jest.Mock };
  let digests: { runOnce: jest.Mock };

  beforeEach(async () => {
    leases = { acquire: jest.fn(), release: jest.fn().mockResolvedValue(undefined) };
    digests = { runOnce: jest.fn().mockResolvedValue(0) };
    const moduleRef = await Test.createTestingModule({
      providers: [
        DigestScheduler,
        { provide: LeasesService, useValue: leases },
        { provide: DigestsService, useValue: digests },
        { provide: SchedulerRegistry, useValue: { addInterval: jest.fn() } },
        {
          provide: ConfigService,
          useValue: { getOrThrow: (key: string) => ({ 'mail.digestTickMs': TICK_MS })[key] },
        },
      ],
    }).compile();
    sut = moduleRef.get(DigestScheduler);
  });

  it('should run digests when this process takes the lease', async () => {
    leases.acquire.mockResolvedValue(true);
    await sut.tick();
    expect(leases.acquire).toHaveBeenCalledWith(DIGEST_LEASE, 5 * TICK_MS);
    expect(digests.runOnce).toHaveBeenCalledTimes(1);
  });

  it('should run nothing while another process holds the lease', async () => {
    leases.acquire.mockResolvedValue(false);
    await sut.tick();
    expect(digests.runOnce).not.toHaveBeenCalled();
  });

  it('should renew the lease between batches, and stop when it is lost', async () => {
    leases.acquire.mockResolvedValueOnce(true).mockResolvedValueOnce(false);
    let keepGoing: boolean | undefined;
    digests.runOnce.mockImplementation(async (_now: Date, more: () => Promise<boolean>) => {
      keepGoing = await more();
      return 0;
    });
    await sut.tick();
    expect(leases.acquire).toHaveBeenCalledTimes(2);
    expect(keepGoing).toBe(false);
  });

  it('should not start a run while the last one is still going', async () => {
    leases.acquire.mockResolvedValue(true);
    let finish: (queued: number) => void = () => undefined;
    digests.runOnce.mockReturnValueOnce(new Promise<number>((resolve) => (finish = resolve)));
    const first = sut.tick();
    await new Promise((resolve) => setImmediate(resolve));
    await sut.tick();
    finish(0);
    await first;
    expect(digests.runOnce).toHaveBeenCalledTimes(1);
  });

  it('should survive a failed run and run again at the next tick', async () => {
    leases.acquire.mockResolvedValue(true);
    digests.runOnce.mockRejectedValueOnce(new Error('database went away'));
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(sut.tick()).resolves.toBeUndefined();
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('database went away'));
    logged.mockRestore();
    await sut.tick();
    expect(digests.runOnce).toHaveBeenCalledTimes(2);
  });

  it('should wait for the run and give the lease up at shutdown, and run no more', async () => {
    leases.acquire.mockResolvedValue(true);
    let finish: (queued: number) => void = () => undefined;
    digests.runOnce.mockReturnValueOnce(new Promise<number>((resolve) => (finish = resolve)));
    const running = sut.tick();
    await new Promise((resolve) => setImmediate(resolve));
    const stopped = sut.beforeApplicationShutdown();
    await new Promise((resolve) => setImmediate(resolve));
    expect(leases.release).not.toHaveBeenCalled();
    finish(0);
    await Promise.all([running, stopped]);
    expect(leases.release).toHaveBeenCalledWith(DIGEST_LEASE);
    await sut.tick();
    expect(digests.runOnce).toHaveBeenCalledTimes(1);
  });

  it('should leave the lease alone at shutdown when another process holds it', async () => {
    leases.acquire.mockResolvedValue(false);
    await sut.tick();
    await sut.beforeApplicationShutdown();
    expect(leases.release).not.toHaveBeenCalled();
  });
});
