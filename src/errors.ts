/**
 * Typed errors, caught in one place (cli.ts). Each carries its exit code:
 * 2 for bad usage or input (nothing was written), 1 for a runtime failure,
 * 130 for a cancel. InternalError is a bug and asks for a report (70).
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

/**
 * A launch script's reply that breaks the protocol (core/protocol.ts): the
 * script on the remote and this CLI disagree. Names the field.
 */
export class ProtocolError extends RuntimeFailure {
  readonly field: string;
  constructor(target: string, action: string, field: string, problem: string) {
    super(
      `the launch script on ${target} answered ${action} with a malformed reply: ${field === '(the reply)' ? 'it' : `field "${field}"`} ${problem}`,
      `The script there is not the one this jupyter-ssh-setup wrote: run jupyter-ssh-setup setup --name ${target} again to install it; if that does not help, report it with the message above.`,
    );
    this.field = field;
  }
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

/**
 * A bug, not the user's doing: a check that validation should have made first
 * failed. cli.ts prints it with its stack and asks for a report (exit 70), as
 * it does for anything thrown that is not one of ours.
 */
export class InternalError extends Error {
  readonly exitCode = 70;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shows a value in an error message so that control characters stay visible. */
export function describeValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = String(value);
  const shown = JSON.stringify(text.length > 80 ? text.slice(0, 77) + '...' : text);
  return shown;
}
