/**
 * Reads a V8 .heapsnapshot (as written by v8.writeHeapSnapshot) and sums it by class: count,
 * self size and retained size. Retained sizes come from the dominator tree (Cooper, Harvey and
 * Kennedy's iterative algorithm over the strong edges; weak edges retain nothing), and a
 * class's retained size counts each object once (an object dominated by another of its class
 * is inside that one's retained size already), as DevTools' Summary view does.
 *
 * A class is named as DevTools names it, plus where it comes from, so that same-named classes
 * of two packages stay apart and a closure says which function it is:
 * - objects: the constructor's name and the package of the constructor's script
 *   (`ServerResponse [node]`, `SafeSubscriber [rxjs]`, `StreamConnection [app]`);
 * - closures: `(closure) <function name> <script>:<line>`; a suspended generator (an async
 *   function compiled with tslib's __awaiter) after the function it runs;
 * - everything without a package of its own (built-ins such as Object, Array, Promise; bound
 *   functions; strings, contexts, property arrays, hidden classes): after its nearest dominator
 *   that has one, `IncomingMessage [node] › Object`, `SafeSubscriber [rxjs] › (Context)`;
 *   alone (`(string)`, `(shape)`) when none has.
 */
import { readFileSync } from 'node:fs';
import { ROOT } from './lib';

export interface ClassSizes {
  /** The npm package (`node`, `app`, or '' for built-ins and V8's own objects). */
  package: string;
  count: number;
  selfSize: number;
  retainedSize: number;
}

export interface HeapSummary {
  nodeCount: number;
  /** Sum of every object's self size: the live heap the snapshot saw. */
  totalSize: number;
  byClass: Map<string, ClassSizes>;
}

interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[]];
      edge_fields: string[];
      edge_types: [string[]];
      location_fields: string[];
    };
  };
  nodes: number[];
  edges: number[];
  locations: number[];
  strings: string[];
}

/** Where a script belongs: the npm package, `node`, `app` (dist/) or a path under the repo. */
export function packageOf(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const inModules = path.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const parts = path.slice(inModules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (path.startsWith('node:') || (path !== '' && !path.includes('/'))) {
    return 'node';
  }
  if (path.startsWith(`${ROOT}/dist/`)) {
    return 'app';
  }
  if (path.startsWith(`${ROOT}/`)) {
    return path.slice(ROOT.length + 1);
  }
  return path;
}

/** A script's name without the machine's paths: `rxjs/dist/cjs/...`, `dist/auth/...`. */
export function shortScript(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const inModules = path.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    return path.slice(inModules + 'node_modules/'.length);
  }
  return path.startsWith(`${ROOT}/`) ? path.slice(ROOT.length + 1) : path;
}

export function summarizeHeapSnapshot(file: string): HeapSummary {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const meta = raw.snapshot.meta;
  const NF = meta.node_fields.length;
  const EF = meta.edge_fields.length;
  const nType = meta.node_fields.indexOf('type');
  const nName = meta.node_fields.indexOf('name');
  const nSelf = meta.node_fields.indexOf('self_size');
  const nEdges = meta.node_fields.indexOf('edge_count');
  const eType = meta.edge_fields.indexOf('type');
  const eName = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const { nodes, edges, strings } = raw;
  const count = nodes.length / NF;

  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += nodes[i * NF + nEdges] * EF;
  }
  firstEdge[count] = edges.length;
  const typeOf = (i: number) => nodeTypes[nodes[i * NF + nType]];
  const nameOf = (i: number) => strings[nodes[i * NF + nName]];
  const WEAK = edgeTypes.indexOf('weak');
  const PROPERTY = edgeTypes.indexOf('property');
  const INTERNAL = edgeTypes.indexOf('internal');
  /** The node an edge of `i` named `name` leads to, or -1. */
  const edgeTo = (i: number, type: number, name: string) => {
    for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += EF) {
      if (edges[e + eType] === type && strings[edges[e + eName]] === name) {
        return edges[e + eTo] / NF;
      }
    }
    return -1;
  };

  // Where closures are defined: their script (closure -> shared -> script) and line.
  const lineOf = new Map<number, number>();
  const lf = meta.location_fields;
  const lObject = lf.indexOf('object_index');
  const lLine = lf.indexOf('line');
  for (let l = 0; l < raw.locations.length; l += lf.length) {
    lineOf.set(raw.locations[l + lObject] / NF, raw.locations[l + lLine]);
  }
  const scriptOfClosure = (i: number) => {
    const shared = edgeTo(i, INTERNAL, 'shared');
    if (shared < 0) {
      return '';
    }
    let script = edgeTo(shared, INTERNAL, 'script_or_debug_info');
    if (script < 0) {
      script = edgeTo(shared, INTERNAL, 'script');
    }
    return script < 0 ? '' : nameOf(script);
  };
  // An object's package: the script of the first constructor up its prototype chain (Express
  // gives requests a prototype of its own, without a constructor), once per prototype.
  const packageOfPrototype = new Map<number, string>();
  const packageOfProto = (proto: number, depth: number): string => {
    let found = packageOfPrototype.get(proto);
    if (found === undefined) {
      const ctor = edgeTo(proto, PROPERTY, 'constructor');
      if (ctor >= 0 && typeOf(ctor) === 'closure') {
        found = packageOf(scriptOfClosure(ctor));
      } else {
        const next = edgeTo(proto, PROPERTY, '__proto__');
        found = next >= 0 && depth < 8 ? packageOfProto(next, depth + 1) : '';
      }
      packageOfPrototype.set(proto, found);
    }
    return found;
  };
  const OBJECTS = new Set(['object', 'native', 'closure']);
  const packageOfNode = new Map<number, string>();
  const packageOfObject = (i: number) => {
    let found = packageOfNode.get(i);
    if (found === undefined) {
      if (typeOf(i) === 'closure') {
        found = packageOf(scriptOfClosure(i));
      } else {
        const proto = edgeTo(i, PROPERTY, '__proto__');
        found = proto >= 0 ? packageOfProto(proto, 0) : '';
      }
      packageOfNode.set(i, found);
    }
    return found;
  };
  /**
   * An object or closure of a package (one whose constructor or code has a script): a class of
   * its own. Everything else (built-ins such as Object, Array, Map, Promise; bound functions;
   * strings, contexts, property arrays, hidden classes) is a part of its nearest dominator that
   * is one, so a stream's headers object or a closure's context counts with the request or the
   * subscriber that holds it.
   */
  const isNamed = (i: number) =>
    OBJECTS.has(typeOf(i)) &&
    !nameOf(i).startsWith('system / ') &&
    (packageOfObject(i) !== '' || suspendedIn(i) >= 0);
  /** A suspended generator or async function: the function it runs, or -1. */
  const suspendedIn = (i: number) => {
    if (typeOf(i) !== 'object' || !nameOf(i).includes('Generator')) {
      return -1;
    }
    const fn = edgeTo(i, INTERNAL, 'function');
    return fn >= 0 && packageOfObject(fn) !== '' ? fn : -1;
  };
  const namedKey = (i: number): string => {
    const name = nameOf(i);
    const suspended = suspendedIn(i);
    if (suspended >= 0) {
      return `${name} of ${namedKey(suspended)}`;
    }
    if (typeOf(i) === 'closure') {
      const line = lineOf.get(i);
      const where = shortScript(scriptOfClosure(i));
      const at = where && line !== undefined ? `${where}:${line + 1}` : where;
      return ['(closure)', name || '(anonymous)', at].filter(Boolean).join(' ');
    }
    return `${name} [${packageOfObject(i)}]`;
  };
  const partLabel = (i: number): string => {
    const type = typeOf(i);
    const name = nameOf(i).replace(/^system \/ /, '');
    switch (type) {
      case 'object':
      case 'native':
        return name.startsWith('(') ? name : name || '(object)';
      case 'closure':
        return `(closure) ${name || '(anonymous)'}`;
      case 'string':
      case 'concatenated string':
      case 'sliced string':
        return '(string)';
      case 'number':
      case 'bigint':
        return '(number)';
      case 'code':
        return '(code)';
      case 'regexp':
        return '(regexp)';
      case 'array':
        return name ? `(${name.replace(/[()]/g, '')})` : '(array)';
      case 'object shape':
        return '(shape)';
      default:
        return `(${name || type})`;
    }
  };

  // Post-order of the strong graph from the root (node 0).
  const postOrder = new Int32Array(count).fill(-1);
  const order = new Int32Array(count);
  let visited = 0;
  {
    const stack = new Int32Array(count);
    const cursor = new Uint32Array(count);
    const seen = new Uint8Array(count);
    let top = 0;
    stack[0] = 0;
    seen[0] = 1;
    cursor[0] = firstEdge[0];
    while (top >= 0) {
      const v = stack[top];
      if (cursor[v] < firstEdge[v + 1]) {
        const e = cursor[v];
        cursor[v] += EF;
        const to = edges[e + eTo] / NF;
        if (edges[e + eType] !== WEAK && !seen[to]) {
          seen[to] = 1;
          cursor[to] = firstEdge[to];
          stack[++top] = to;
        }
      } else {
        postOrder[v] = visited;
        order[visited++] = v;
        top--;
      }
    }
  }

  // Retainers over strong edges, for the reachable nodes.
  const retainerCount = new Uint32Array(count + 1);
  for (let v = 0; v < count; v++) {
    if (postOrder[v] < 0) {
      continue;
    }
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) {
      if (edges[e + eType] !== WEAK) {
        retainerCount[edges[e + eTo] / NF]++;
      }
    }
  }
  const firstRetainer = new Uint32Array(count + 1);
  for (let v = 0; v < count; v++) {
    firstRetainer[v + 1] = firstRetainer[v] + retainerCount[v];
  }
  const retainers = new Int32Array(firstRetainer[count]);
  const filled = new Uint32Array(count);
  for (let v = 0; v < count; v++) {
    if (postOrder[v] < 0) {
      continue;
    }
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) {
      if (edges[e + eType] !== WEAK) {
        const to = edges[e + eTo] / NF;
        retainers[firstRetainer[to] + filled[to]++] = v;
      }
    }
  }

  // Immediate dominators, by post-order number.
  const root = postOrder[0];
  const idom = new Int32Array(visited).fill(-1);
  idom[root] = root;
  for (let changed = true; changed;) {
    changed = false;
    for (let p = visited - 2; p >= 0; p--) {
      const v = order[p];
      let dom = -1;
      for (let r = firstRetainer[v]; r < firstRetainer[v + 1]; r++) {
        let other = postOrder[retainers[r]];
        if (other < 0 || idom[other] < 0) {
          continue;
        }
        if (dom < 0) {
          dom = other;
          continue;
        }
        let mine = dom;
        while (mine !== other) {
          while (mine < other) {
            mine = idom[mine];
          }
          while (other < mine) {
            other = idom[other];
          }
        }
        dom = mine;
      }
      if (dom >= 0 && idom[p] !== dom) {
        idom[p] = dom;
        changed = true;
      }
    }
  }

  // Classes: named objects by themselves, parts by their nearest named dominator.
  const namedOwner = new Int32Array(visited).fill(-2);
  namedOwner[root] = -1;
  const path: number[] = [];
  const classIds = new Map<string, number>();
  const classNames: string[] = [];
  const packageOfClass: string[] = [];
  const classOf = new Int32Array(count);
  const selfSize = new Float64Array(count);
  let totalSize = 0;
  for (let i = 0; i < count; i++) {
    let key: string;
    let pkg = '';
    if (isNamed(i)) {
      key = namedKey(i);
      const suspended = suspendedIn(i);
      pkg = packageOfObject(suspended >= 0 ? suspended : i);
    } else if (postOrder[i] < 0) {
      key = partLabel(i);
    } else {
      let up = idom[postOrder[i]];
      while (namedOwner[up] === -2 && !isNamed(order[up])) {
        path.push(up);
        up = idom[up];
      }
      const owner = isNamed(order[up]) ? order[up] : namedOwner[up];
      path.forEach((p) => (namedOwner[p] = owner));
      path.length = 0;
      key = owner < 0 ? partLabel(i) : `${namedKey(owner)} › ${partLabel(i)}`;
      const suspended = owner < 0 ? -1 : suspendedIn(owner);
      pkg = owner < 0 ? '' : packageOfObject(suspended >= 0 ? suspended : owner);
    }
    let id = classIds.get(key);
    if (id === undefined) {
      id = classNames.length;
      classIds.set(key, id);
      classNames.push(key);
      packageOfClass.push(pkg);
    }
    classOf[i] = id;
    selfSize[i] = nodes[i * NF + nSelf];
    totalSize += selfSize[i];
  }

  // Retained sizes: children come before their dominator in post-order.
  const retained = new Float64Array(visited);
  for (let p = 0; p < visited; p++) {
    retained[p] += selfSize[order[p]];
    if (p !== root) {
      retained[idom[p]] += retained[p];
    }
  }

  // Per class: each object's retained size unless an object of its class dominates it.
  const byClass = new Map<string, ClassSizes>();
  const classRetained = new Float64Array(classNames.length);
  const classCount = new Uint32Array(classNames.length);
  const classSelf = new Float64Array(classNames.length);
  for (let i = 0; i < count; i++) {
    classCount[classOf[i]]++;
    classSelf[classOf[i]] += selfSize[i];
  }
  {
    const childCount = new Uint32Array(visited + 1);
    for (let p = 0; p < visited; p++) {
      if (p !== root) {
        childCount[idom[p]]++;
      }
    }
    const firstChild = new Uint32Array(visited + 1);
    for (let p = 0; p < visited; p++) {
      firstChild[p + 1] = firstChild[p] + childCount[p];
    }
    const children = new Int32Array(Math.max(1, visited - 1));
    const placed = new Uint32Array(visited);
    for (let p = 0; p < visited; p++) {
      if (p !== root) {
        children[firstChild[idom[p]] + placed[idom[p]]++] = p;
      }
    }
    const onPath = new Uint32Array(classNames.length);
    const stack = new Int32Array(visited);
    const cursor = new Uint32Array(visited);
    let top = 0;
    stack[0] = root;
    cursor[root] = firstChild[root];
    onPath[classOf[order[root]]]++;
    classRetained[classOf[order[root]]] += retained[root];
    while (top >= 0) {
      const p = stack[top];
      if (cursor[p] < firstChild[p + 1]) {
        const c = children[cursor[p]++];
        const cls = classOf[order[c]];
        if (onPath[cls] === 0) {
          classRetained[cls] += retained[c];
        }
        onPath[cls]++;
        cursor[c] = firstChild[c];
        stack[++top] = c;
      } else {
        onPath[classOf[order[p]]]--;
        top--;
      }
    }
  }
  classNames.forEach((name, id) =>
    byClass.set(name, {
      package: packageOfClass[id],
      count: classCount[id],
      selfSize: classSelf[id],
      retainedSize: classRetained[id],
    }),
  );
  return { nodeCount: count, totalSize, byClass };
}
