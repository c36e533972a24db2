/**
 * One validator per profile field: each returns the clean value or throws a
 * ValidationError naming the flag, the value and what is allowed. Pure.
 */
import { ValidationError } from '../errors.js';
import { ENV_KINDS, type EnvKind, type EnvStep, type Hop } from './profile-types.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HOST_RE = /^[A-Za-z0-9_]([A-Za-z0-9._-]{0,252}[A-Za-z0-9_])?$/;
const IPV6_RE = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;
const USER_RE = /^[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}$/;

/** Refuses characters that no generated file can carry: newlines, NUL, other controls. */
export function checkPrintable(field: string, value: string): void {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (/[\0-\x1f\x7f]/.test(value)) {
    throw new ValidationError(field, value, 'newlines, NUL and other control characters are not allowed');
  }
}

export function checkLength(field: string, value: string, max: number): void {
  if (value.length > max) throw new ValidationError(field, value, `at most ${max} characters (this one has ${value.length})`);
}

export function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items;
}

export function commaList(value: string | string[] | undefined): string[] {
  return list(value)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function validateName(value: string | undefined, field = '--name'): string {
  if (value === undefined || value === '') throw new ValidationError(field, value, 'a name is required, e.g. --name gpu');
  checkPrintable(field, value);
  if (!NAME_RE.test(value)) {
    throw new ValidationError(field, value, 'use one word of letters, digits, ".", "_" or "-", starting with a letter or digit (at most 63)');
  }
  if (value.endsWith('-tunnel')) {
    throw new ValidationError(field, value, 'names ending in "-tunnel" are reserved for the tunnel alias that setup writes');
  }
  return value;
}

export function validateHost(value: string | undefined, field = '--host'): string {
  if (value === undefined || value === '') throw new ValidationError(field, value, 'a hostname or IP address is required, e.g. --host gpu.example.org');
  checkPrintable(field, value);
  if (value.startsWith('-')) throw new ValidationError(field, value, 'a host cannot start with "-" (it would be read as an ssh option)');
  if (HOST_RE.test(value) || IPV6_RE.test(value)) return value;
  throw new ValidationError(field, value, 'a hostname (letters, digits, ".", "-", "_") or an IP address');
}

export function validateUser(value: string | undefined, field = '--user'): string | undefined {
  if (value === undefined || value === '') return undefined;
  checkPrintable(field, value);
  if (!USER_RE.test(value)) throw new ValidationError(field, value, 'a login name of letters, digits, ".", "_", "-" or "@", not starting with "-"');
  return value;
}

export function validatePort(value: string | number | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value).trim();
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new ValidationError(field, value, 'a port number from 1 to 65535');
  }
  return Number(text);
}

/** Paths: shell-quoted wherever they go; one that goes into ssh_config (IdentityFile) cannot hold a double quote. */
export function validatePath(value: string | undefined, field: string, inSshConfig = false): string | undefined {
  if (value === undefined || value === '') return undefined;
  checkPrintable(field, value);
  checkLength(field, value, 1024);
  if (inSshConfig && value.includes('"')) throw new ValidationError(field, value, 'a path without double quotes (OpenSSH cannot read one)');
  if (value.startsWith('-')) throw new ValidationError(field, value, 'a path cannot start with "-"; write ./' + value);
  return value;
}

/** Parses one jump hop: an alias or `[user@]host[:port]` (IPv6 as `[addr]:port`). */
export function parseHop(text: string, field = '--jump'): Hop {
  checkPrintable(field, text);
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  let rest = at >= 0 ? text.slice(at + 1) : text;
  let port: number | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (bracket) {
    rest = bracket[1]!;
    if (bracket[2] !== undefined) port = parsePortOfHop(bracket[2], text, field);
  } else {
    const colon = rest.split(':');
    if (colon.length === 2) {
      rest = colon[0]!;
      port = parsePortOfHop(colon[1]!, text, field);
    } else if (colon.length > 2) {
      throw new ValidationError(field, text, 'a hop is an alias or [user@]host[:port]; write an IPv6 host as [addr]:port');
    }
  }
  if (user !== undefined && !USER_RE.test(user)) {
    throw new ValidationError(field, text, 'a hop is an alias or [user@]host[:port]; the user part is not a valid login name');
  }
  if (rest.startsWith('-') || !(HOST_RE.test(rest) || (bracket && IPV6_RE.test(rest)))) {
    throw new ValidationError(field, text, 'a hop is an alias or [user@]host[:port] (letters, digits, ".", "-", "_")');
  }
  return { host: rest, ...(user ? { user } : {}), ...(port ? { port } : {}) };
}

function parsePortOfHop(text: string, hop: string, field: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new ValidationError(field, hop, 'the port of a hop must be a number from 1 to 65535');
  }
  return Number(text);
}

/** Formats a hop back into the form ProxyJump takes. */
export function formatHop(hop: Hop): string {
  const host = hop.host.includes(':') ? `[${hop.host}]` : hop.host;
  return `${hop.user ? hop.user + '@' : ''}${host}${hop.port ? ':' + hop.port : ''}`;
}

export function parseEnvSpec(text: string, field = '--env'): EnvStep {
  checkPrintable(field, text);
  checkLength(field, text, 4096);
  const colon = text.indexOf(':');
  const kind = colon > 0 ? text.slice(0, colon) : '';
  const value = colon > 0 ? text.slice(colon + 1) : '';
  if (!(ENV_KINDS as readonly string[]).includes(kind) || value === '') {
    throw new ValidationError(field, text, 'one of venv:PATH, conda:NAME, module:NAME or cmd:COMMAND');
  }
  if (kind === 'conda' && !/^[A-Za-z0-9_~./][A-Za-z0-9_.+/~-]*$/.test(value)) {
    throw new ValidationError(field, text, 'a conda environment name or prefix path (letters, digits, ".", "_", "-", "/")');
  }
  if (kind === 'module' && !/^[A-Za-z0-9_][A-Za-z0-9_.+/ -]*$/.test(value)) {
    throw new ValidationError(field, text, 'module names (letters, digits, ".", "_", "-", "+", "/"), several separated by spaces');
  }
  if (kind === 'venv') validatePath(value, field);
  return { kind: kind as EnvKind, value };
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], field: string, fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(field, value, `one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function schedulerWord(value: string | undefined, field: string, allowed: RegExp, what: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  checkPrintable(field, value);
  checkLength(field, value, 256);
  if (!allowed.test(value)) throw new ValidationError(field, value, what);
  return value;
}
