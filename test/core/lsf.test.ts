/** The LSF launcher's #BSUB directives and the conversions behind them (src/core/lsf.ts), as one-line cases. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { validateProfile, type ProfileInput } from '../../src/core/profile.js';
import { lsfDirectives, lsfGpus, lsfLimitSeconds, lsfMemory, lsfQueues, lsfRunLimit } from '../../src/core/lsf.js';
import { ValidationError } from '../../src/errors.js';

const d = (input: ProfileInput) => lsfDirectives(validateProfile({ name: 'q', host: 'login', launcher: 'lsf', ...input }));
const is = (actual: string | number, expected: string | number) => () => assert.is(actual, expected);

const t = suite('LSF: --time as -W [hours:]minutes, rounded up to the minute');
t('90 (minutes)', is(lsfRunLimit('90'), '1:30'));
t('10:30 (10 min 30 s) rounds up', is(lsfRunLimit('10:30'), '0:11'));
t('2:00:00', is(lsfRunLimit('2:00:00'), '2:00'));
t('1-12 (a day and a half)', is(lsfRunLimit('1-12'), '36:00'));
t('0 is at least a minute', is(lsfRunLimit('0'), '0:01'));
t('the limit the launch script counts down from', is(lsfLimitSeconds('10:30'), 660));
t.run();

const m = suite('LSF: memory with the unit spelled out, GPUs, queues');
m('16G', is(lsfMemory('16G'), '16GB'));
m('4000 (SLURM\'s MB)', is(lsfMemory('4000'), '4000MB'));
m('512mb', is(lsfMemory('512mb'), '512MB'));
m('1T', is(lsfMemory('1T'), '1TB'));
m('2 GPUs', is(lsfGpus('2'), 'num=2'));
m('a100:2', is(lsfGpus('a100:2'), 'num=2:gmodel=a100'));
m('gpu:a100:2 (the --gres form)', is(lsfGpus('gpu:a100:2'), 'num=2:gmodel=a100'));
m('gpu:1', is(lsfGpus('gpu:1'), 'num=1'));
m('one queue', is(lsfQueues('normal'), 'normal'));
m('a queue list', is(lsfQueues('short,normal'), '"short normal"'));
m.run();

const s = suite('LSF: the #BSUB lines');
s('only --launcher lsf: the name and the log', () => assert.equal(d({}), ['-J jupyter-q', '-o .jupyter-ssh-setup/q/job.log']));
s('every field, in order, then the user\'s lines without their #BSUB', () =>
  assert.equal(d({ partition: 'gpu', account: 'proj', time: '90', cpus: '4', mem: '8G', gpus: '1', directive: ['#BSUB -B', '-x'] }), [
    '-J jupyter-q',
    '-o .jupyter-ssh-setup/q/job.log',
    '-q gpu',
    '-P proj',
    '-W 1:30',
    '-n 4',
    '-R "span[hosts=1]"',
    '-M 8GB',
    '-R "rusage[mem=8GB]"',
    '-gpu "num=1"',
    '-B',
    '-x',
  ]));
s('one CPU needs no span; a span of the user\'s replaces ours', () => {
  assert.not.ok(d({ cpus: '1' }).some((l) => l.includes('span')));
  assert.equal(d({ cpus: '8', directive: ['-R "span[ptile=4]"'] }).filter((l) => l.includes('span')), ['-R "span[ptile=4]"']);
});
s('--qos with --launcher lsf: exit 2, the field, the value and what to do, verbatim', () => {
  try {
    validateProfile({ name: 'q', host: 'login', launcher: 'lsf', qos: 'normal' });
    assert.unreachable('accepted');
  } catch (error) {
    assert.instance(error, ValidationError);
    assert.is((error as ValidationError).exitCode, 2);
    assert.is((error as Error).message, 'invalid --qos "normal": LSF (--launcher lsf) has no QOS; leave --qos out, or give the site\'s option with --directive (a service class: --directive="-sla NAME")');
  }
});
s.run();
