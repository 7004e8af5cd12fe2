import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { availableParallelism } from 'node:os';
import { validateConfig } from './validate-config';

const WORKERS_RULE = 'WORKERS must be a whole number from 1 to 64 (1: no cluster)';

class WorkersEnv {
  @IsOptional()
  @IsInt({ message: WORKERS_RULE })
  @Min(1, { message: WORKERS_RULE })
  @Max(64, { message: WORKERS_RULE })
  WORKERS?: number;
}

/**
 * How many app processes `npm start` runs on this machine (node:cluster): WORKERS, by default
 * one per core; 1 runs the app in this process with no cluster at all. Read before Nest
 * starts, since it decides whether this process becomes the cluster's primary.
 */
export function readWorkerCount(env: NodeJS.ProcessEnv): number {
  return validateConfig(env, WorkersEnv).WORKERS ?? availableParallelism();
}
