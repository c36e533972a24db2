import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { shQuote, sshConfigValue } from './quote.js';
import { InternalError } from '../errors.js';

/**
 * Strict ejs rendering. `<%= it.x %>` always goes through the language's
 * escape (shell quoting for scripts, ssh_config quoting for configs); a
 * missing value throws instead of printing "undefined". `<%-` is only for
 * literals we wrote ourselves.
 */
export type TemplateLanguage = 'sh' | 'ssh';

const templatesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');
const cache = new Map<string, (data: object) => string>();

function escapeFor(language: TemplateLanguage): (value: unknown) => string {
  return (value: unknown) => {
    if (value === undefined || value === null) throw new InternalError('template value is missing');
    if (typeof value !== 'string' && typeof value !== 'number') throw new InternalError(`template value of type ${typeof value}`);
    return language === 'sh' ? shQuote(value) : sshConfigValue(value);
  };
}

export function renderTemplate(file: string, data: object, language: TemplateLanguage): string {
  const key = `${language}:${file}`;
  let fn = cache.get(key);
  if (!fn) {
    // ejs is CommonJS and loads its whole compiler: loaded only when a command renders.
    const ejs = createRequire(import.meta.url)('ejs') as typeof import('ejs');
    const source = readFileSync(join(templatesDir, file), 'utf8');
    const compiled = ejs.compile(source, {
      strict: true,
      _with: false,
      localsName: 'it',
      escape: escapeFor(language),
      filename: join(templatesDir, file),
    } as import('ejs').Options & { async?: false });
    fn = (d: object) => compiled(d) as string;
    cache.set(key, fn);
  }
  return fn(data);
}
