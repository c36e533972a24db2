import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planHops, hopAliasName, persistSeconds, describePersist, controlPathFor } from '../../src/core/connection.js';
import { validateProfile, validatePersist, type ProfileInput } from '../../src/core/profile.js';
import { ValidationError } from '../../src/errors.js';

const p = (input: ProfileInput) => validateProfile({ user: 'u', port: 22, ...input });

test('a user@host hop becomes a shared alias; two targets behind it share one', () => {
  const gpu = p({ name: 'gpu', host: '10.0.0.5', jump: 'alice@login.example.org' });
  const hpc = p({ name: 'hpc', host: 'node1', jump: 'alice@login.example.org', persist: '8h' });
  const { proxyJump, aliases } = planHops([gpu, hpc], undefined, true);
  assert.is(proxyJump.get('gpu'), 'jss-hop-login.example.org-alice');
  assert.is(proxyJump.get('hpc'), 'jss-hop-login.example.org-alice');
  assert.equal(aliases.map((a) => [a.alias, a.usedBy, a.persist]), [['jss-hop-login.example.org-alice', ['gpu', 'hpc'], '8h']]);
});

test('a chain: each hop an alias that jumps through the one before', () => {
  const gpu = p({ name: 'gpu', host: '10.0.0.5', jump: ['bob@bastion:2200', 'login'] });
  const { proxyJump, aliases } = planHops([gpu], undefined, true);
  const second = hopAliasName(gpu.jump, 1);
  assert.match(second, /^jss-hop-login-via-[0-9a-f]{8}$/);
  assert.is(proxyJump.get('gpu'), second);
  assert.equal(aliases.find((a) => a.alias === second)!.proxyJump, 'jss-hop-bastion-bob-2200');
});

test("a hop the user's config sets up, and the hops after it, stay as written", () => {
  const gpu = p({ name: 'gpu', host: '10.0.0.5', jump: ['bastion', 'bob@login'] });
  const { proxyJump, aliases } = planHops([gpu], { userConfigured: new Set(['bastion']) }, true);
  assert.is(proxyJump.get('gpu'), 'bastion,bob@login');
  assert.equal(aliases, []);
});

test('a hop that is one of our targets is used as it is (its block shares already)', () => {
  const lgn = p({ name: 'lgn', host: 'login.example.org' });
  const gpu = p({ name: 'gpu', host: '10.0.0.5', jump: ['lgn', 'carol@inner'] });
  const { proxyJump, aliases } = planHops([lgn, gpu], undefined, true);
  assert.is(proxyJump.get('gpu'), hopAliasName(gpu.jump, 1));
  assert.is(aliases[0]!.proxyJump, 'lgn');
});

test('without connection sharing (Windows) hops are written as given', () => {
  const gpu = p({ name: 'gpu', host: '10.0.0.5', jump: ['bob@bastion:2200', 'login'] });
  assert.is(planHops([gpu], undefined, false).proxyJump.get('gpu'), 'bob@bastion:2200,login');
});

test('--persist: ssh times and no; the rest refused with the allowed forms', () => {
  assert.is(validatePersist('4h'), '4h');
  assert.is(validatePersist('1h30m'), '1h30m');
  assert.is(validatePersist('NO'), 'no');
  for (const bad of ['yes', '0', 'forever', '4 h', '-1', '$(id)']) {
    try {
      validatePersist(bad);
      assert.unreachable(bad);
    } catch (e) {
      assert.instance(e, ValidationError);
      assert.match((e as Error).message, '--persist');
    }
  }
  assert.is(persistSeconds('1h30m'), 5400);
  assert.is(describePersist('4h'), '4 hours');
  assert.is(describePersist('10m'), '10 minutes');
  assert.is(p({ name: 'x', host: 'h' }).persist, undefined, 'the default is not stored');
  assert.is(p({ name: 'x', host: 'h', persist: '10m' }).persist, '10m');
});

test('the ControlPath follows a HOME that is not the password database one', () => {
  assert.is(controlPathFor('/home/a', '/home/a'), '~/.ssh/jss-%C');
  assert.is(controlPathFor('/tmp/demo/', '/home/a'), '/tmp/demo/.ssh/jss-%C');
});

test.run();
