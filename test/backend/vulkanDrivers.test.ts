// Dawn is loaded only where the Vulkan loader would find a driver: the check reads the same
// variables and folders the loader does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingVulkanDriver, vulkanDrivers } from '../../src/backend/vulkanDrivers.js';
import { tempDir } from '../helpers/files.js';

test('a driver manifest is found in the XDG data and config folders, or where VK_DRIVER_FILES points', () => {
  const root = tempDir();
  const empty = { HOME: root, XDG_DATA_DIRS: join(root, 'data'), XDG_CONFIG_DIRS: join(root, 'config'), XDG_DATA_HOME: join(root, 'home') };
  // /etc/vulkan/icd.d is always searched: only judge it where this machine has none.
  const etcHasDrivers = vulkanDrivers({ ...empty }).files.some((f) => f.startsWith('/etc/'));
  if (!etcHasDrivers) assert.match(missingVulkanDriver(empty) ?? '', /no Vulkan driver: no ICD file/);

  const icd = join(root, 'data', 'vulkan', 'icd.d');
  mkdirSync(icd, { recursive: true });
  writeFileSync(join(icd, 'nvidia_icd.json'), '{}');
  writeFileSync(join(icd, 'README.txt'), 'not a manifest');
  assert.deepEqual(vulkanDrivers(empty).files.filter((f) => f.startsWith(root)), [join(icd, 'nvidia_icd.json')]);
  assert.equal(missingVulkanDriver(empty), null);

  const named = { ...empty, VK_DRIVER_FILES: `${join(root, 'gone.json')}` };
  assert.deepEqual(vulkanDrivers(named), { files: [], missing: [join(root, 'gone.json')], namedBy: 'VK_DRIVER_FILES' });
  assert.match(missingVulkanDriver(named) ?? '', /VK_DRIVER_FILES names .*gone\.json, which does not exist/);
  const legacy = { ...empty, VK_ICD_FILENAMES: join(icd, 'nvidia_icd.json') };
  assert.equal(missingVulkanDriver(legacy), null, 'the older variable name works too');
});
