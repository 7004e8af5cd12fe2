import { isFQDN, ValidateBy, ValidationOptions } from 'class-validator';
import { isIP } from 'node:net';

/** What Express's `trust proxy` setting is given: none/all, a hop count, or trusted addresses. */
export type TrustProxy = boolean | number | string[];

/** The address names Express (proxy-addr) accepts besides addresses and subnets. */
const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isSubnetMask(mask: string): boolean {
  if (isIP(mask) !== 4) {
    return false;
  }
  const bits = mask
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('');
  return /^1*0*$/.test(bits);
}

/** null when `entry` is a name, an address or a subnet Express accepts; otherwise why not. */
function trustProxyEntryError(entry: string): string | null {
  if (TRUST_PROXY_NAMES.includes(entry) || isIP(entry) !== 0) {
    return null;
  }
  const [address, range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family !== 0 && range !== undefined && rest.length === 0) {
    const maxPrefix = family === 4 ? 32 : 128;
    if (/^\d+$/.test(range) && Number(range) <= maxPrefix) {
      return null;
    }
    if (family === 4 && isSubnetMask(range)) {
      return null;
    }
    return `"${entry}" has an invalid prefix length or mask`;
  }
  return `"${entry}" is not an IP address, a subnet (CIDR) or one of ${TRUST_PROXY_NAMES.join(', ')}`;
}

/**
 * TRUST_PROXY as Express expects it: `true`/`false`, a hop count (`1`: trust the nearest
 * proxy), or a comma-separated list of addresses, subnets and names. Express reads a string
 * as an address list, so `'1'` must become the number 1 (as a string it trusts 0.0.0.1).
 */
export function parseTrustProxy(raw: string): TrustProxy {
  const value = raw.trim();
  if (value === 'true' || value === 'false') {
    return value === 'true';
  }
  if (/^\d+$/.test(value)) {
    return Number(value);
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const errors = entries.map((entry) =>
    entry === '' ? 'an entry is empty' : trustProxyEntryError(entry),
  );
  const firstError = errors.find((error) => error !== null);
  if (firstError) {
    throw new Error(
      `TRUST_PROXY must be true, false, a hop count (e.g. 1) or a comma-separated list of ` +
        `addresses, subnets and ${TRUST_PROXY_NAMES.join('/')}: ${firstError}`,
    );
  }
  return entries;
}

function trustProxyError(value: unknown): string | null {
  if (typeof value !== 'string') {
    return 'TRUST_PROXY must be a string';
  }
  try {
    parseTrustProxy(value);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A TRUST_PROXY value parseTrustProxy accepts; the message says what is wrong with it. */
export function IsTrustProxy(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTrustProxy',
      validator: {
        validate: (value: unknown) => trustProxyError(value) === null,
        defaultMessage: (args) => trustProxyError(args?.value) ?? '',
      },
    },
    options,
  );
}

/** An IP address (v4 or v6) or a host name, e.g. 127.0.0.1, 0.0.0.0, ::, localhost. */
export function IsHost(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHost',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && (isIP(value) !== 0 || isFQDN(value, { require_tld: false })),
        defaultMessage: () =>
          'HOST must be an IP address (e.g. 127.0.0.1, 0.0.0.0, ::) or a host name (e.g. localhost)',
      },
    },
    options,
  );
}
