/**
 * Typed errors, caught in one place (cli.ts). Each carries its exit code:
 * 2 for bad usage or input (nothing was written), 1 for a runtime failure,
 * 130 for a cancel. InternalError is a bug and asks for a report.
 */
export class CliError extends Error {
  readonly exitCode: number = 1;
  /** One line saying what to do next. */
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** Bad input: names the field, the value and what is allowed. Exit 2, nothing written. */
export class UsageError extends CliError {
  override readonly exitCode = 2;
}

export class ValidationError extends UsageError {
  readonly field: string;
  readonly value: unknown;
  constructor(field: string, value: unknown, allowed: string, hint?: string) {
    super(`invalid ${field} ${describeValue(value)}: ${allowed}`, hint);
    this.field = field;
    this.value = value;
  }
}

/** A failure while doing the work (ssh refused, Jupyter did not answer...). Exit 1. */
export class RuntimeFailure extends CliError {
  override readonly exitCode = 1;
}

/** Ctrl+C or end of input in a prompt. Exit 130. */
export class CancelledError extends CliError {
  override readonly exitCode = 130;
  constructor(message = 'Cancelled, nothing written.') {
    super(message);
  }
}

/** Already reported to the user; just exit with the code. */
export class ExitError extends CliError {
  override readonly exitCode: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.exitCode = code;
  }
}

/** Shows a value in an error message so that control characters stay visible. */
export function describeValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = String(value);
  const shown = JSON.stringify(text.length > 80 ? text.slice(0, 77) + '...' : text);
  return shown;
}
