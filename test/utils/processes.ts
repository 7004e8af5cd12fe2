import { readdirSync, readFileSync } from 'node:fs';

/** Linux process table: pid -> [parent pid, state]. */
function processTable(): Map<number, [number, string]> {
  const table = new Map<number, [number, string]>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), [Number(ppid), state]);
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

export function descendantsOf(pid: number): number[] {
  const table = processTable();
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, [ppid]] of table) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/** Running, as opposed to gone or a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  const entry = processTable().get(pid);
  return entry !== undefined && entry[1] !== 'Z';
}

export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
