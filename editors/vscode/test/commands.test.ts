import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { NEW_TASK_COMMAND, newTaskArgument, readCommandOutcome, validateTaskName } from '../src/commands';

describe('flowos.newTask', () => {
  it('is the command the server registers', () => {
    assert.equal(NEW_TASK_COMMAND, 'flowos.newTask');
  });

  it('sends the trimmed name, and namespace and root only when given', () => {
    assert.deepEqual(newTaskArgument('  Payment retries '), { name: 'Payment retries' });
    assert.deepEqual(newTaskArgument('X', { namespace: ' FW ', root: '/ws' }), { name: 'X', namespace: 'FW', root: '/ws' });
    assert.deepEqual(newTaskArgument('X', { namespace: ' ', root: undefined }), { name: 'X' });
  });

  it('refuses a blank name before asking the server', () => {
    assert.equal(validateTaskName('   '), 'A task needs a name.');
    assert.equal(validateTaskName('Payment retries'), undefined);
  });

  it('reads the server answer {ok, message, show}', () => {
    assert.deepEqual(
      readCommandOutcome({ ok: true, message: 'TASK-0043 created', show: 'file:///ws/.work/tasks/a.task.md' }),
      { ok: true, message: 'TASK-0043 created', show: 'file:///ws/.work/tasks/a.task.md', shownByServer: true },
    );
    assert.deepEqual(readCommandOutcome({ ok: false, message: 'no task was created: x', show: null }), {
      ok: false,
      message: 'no task was created: x',
      shownByServer: true,
    });
    assert.deepEqual(readCommandOutcome({ ok: false, message: null }), { ok: false, shownByServer: false });
    for (const odd of [null, undefined, 'yes', { message: 'm' }]) {
      const outcome = readCommandOutcome(odd);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.shownByServer, false);
      assert.match(outcome.message ?? '', /unexpected answer/);
    }
  });
});
