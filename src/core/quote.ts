/**
 * Quoting for the two languages we generate: POSIX shell and OpenSSH config.
 * Every value that reaches a generated file goes through one of these.
 */
import { InternalError } from '../errors.js';

/**
 * Quotes a string for POSIX sh, bash and zsh so it is always one literal word:
 * the one shell quoting of generated scripts, completion scripts and the
 * commands --verbose prints. Safe words stay as they are.
 */
export function shQuote(value: string | number): string {
  const text = String(value);
  if (text.includes('\0')) throw new InternalError('NUL byte cannot be carried in a shell word');
  if (text !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Quotes a value for ssh_config. OpenSSH splits on whitespace and understands
 * double quotes, but has no escape for a double quote or a newline, so those
 * are refused here (validation refuses them earlier with a better message).
 */
export function sshConfigValue(value: string | number): string {
  const text = String(value);
  if (/["\n\r\0]/.test(text)) throw new InternalError(`value ${JSON.stringify(text)} cannot be written to an SSH config`);
  if (text === '' || /[\s#'\\=]/.test(text)) return `"${text}"`;
  return text;
}

/** Escapes OpenSSH's % tokens in keys that expand them (IdentityFile, ControlPath, HostName). */
export function sshPercent(value: string): string {
  return value.replace(/%/g, '%%');
}
