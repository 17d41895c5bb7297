// `vdm list schedules` (and plain `vdm list`) shows the swa: block with its defaults and citation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listCommand } from '../../src/commands/list.js';

test('vdm list schedules shows the swa block: keys, defaults, the paper\'s choices and the citation', () => {
  const text = listCommand('schedules');
  assert.match(text, /^swa \(run-config block swa: \{ \.\.\. \}, over any schedule\)/m);
  assert.match(text, /defaults: start_epoch=required \(paper: 75% of epochs\); lr=required \(paper: 0\.05 for ResNets at base lr 0\.1\); anneal_epochs=10; anneal_strategy=cos/);
  for (const key of ['start_epoch', 'lr', 'anneal_epochs', 'anneal_strategy']) assert.match(text, new RegExp(`^\\s+${key}: `, 'm'));
  assert.match(text, /reference: Izmailov et al\., UAI 2018; lr as torch\.optim\.swa_utils\.SWALR/);
  assert.doesNotMatch(listCommand('vdms'), /^swa /m);
});
