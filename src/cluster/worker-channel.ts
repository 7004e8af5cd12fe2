import cluster from 'node:cluster';
import { ClusterMessage, isClusterMessage } from './cluster-messages';

/** Whether this process is a worker of `npm start`'s cluster (WORKERS > 1). */
export function inClusterWorker(): boolean {
  return cluster.isWorker;
}

/** Sends to the primary; false when the channel is gone (the primary died or is stopping). */
export function sendToPrimary(message: ClusterMessage): boolean {
  if (!process.send || !process.connected) {
    return false;
  }
  // A send that fails after this point means the channel closed: the worker stops then.
  process.send(message, undefined, {}, () => undefined);
  return true;
}

/** Calls `handler` with every message of ours from the primary; returns how to stop. */
export function onPrimaryMessage(handler: (message: ClusterMessage) => void): () => void {
  const listener = (message: unknown) => {
    if (isClusterMessage(message)) {
      handler(message);
    }
  };
  process.on('message', listener);
  return () => process.off('message', listener);
}
