// A config error never prints what a file holds beyond a short, escaped excerpt, and only of a
// file that parsed as YAML and looks like a config: `extends: /etc/shadow` must not put a
// password hash into a terminal, log.txt or a cluster log. /proc and /sys are refused unread.
import { BASE_CONFIG, corpus, type HostileCase } from './harness.js';

const train = (...extra: string[]) => ['train', '-c', 'c.yaml', ...extra];
const SECRET = 'S3cr3tHashTail9f8e7d6c5b4a';
/** A file shaped like /etc/shadow: it parses as YAML (each line a key), and every key is a secret. */
const SHADOW = `root:$6$salt$${SECRET}:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n`;
/** The message matches and never contains the secret. */
const without = (pattern: RegExp) => new RegExp(`^(?!.*${SECRET})${pattern.source}`);

const cases: HostileCase[] = [
  {
    title: 'extends a shadow-like file: refused as not a config, none of it quoted',
    files: { 'c.yaml': `extends: shadow\n${BASE_CONFIG}`, shadow: SHADOW },
    args: train(),
    message: without(/c\.yaml: extends \(line 1\): base config .*shadow: not a vdm config: none of its 2 top-level keys is a config key \(valid keys: extends, /),
  },
  {
    title: 'the config itself is a shadow-like file',
    files: { 'c.yaml': SHADOW },
    args: train(),
    message: without(/c\.yaml: \(top level\): not a vdm config: none of its 2 top-level keys is a config key/),
  },
  {
    title: 'extends: /proc/self/environ (was read: the environment is where tokens live)',
    files: { 'c.yaml': `extends: /proc/self/environ\n${BASE_CONFIG}` },
    args: train(),
    message: /^c\.yaml: extends \(line 1\): base config \/proc\/self\/environ: cannot read config: it is on \/proc, a special file system; expected a YAML file$/,
  },
  {
    title: 'the config is /sys/kernel/... (a special file system)',
    args: ['train', '-c', '/sys/kernel/mm/transparent_hugepage/enabled'],
    message: /cannot read config: it is on \/sys, a special file system/,
  },
  {
    title: 'a long unknown key beside real ones is quoted short',
    files: { 'c.yaml': `${BASE_CONFIG}password_${SECRET}: 1\n` },
    args: train(),
    message: without(/c\.yaml: password_S3cr3tHashTail9f8e7d\.\.\. \(line \d+\): unknown key 'password_S3cr3tHashTail9f8e7d\.\.\.'/),
  },
  {
    title: 'a key with terminal escapes is printed escaped',
    files: { 'c.yaml': `${BASE_CONFIG}"\\e[2Jboom": 1\n` },
    args: train(),
    message: /^c\.yaml: \\u001b\[2Jboom \(line \d+\): unknown key '\\u001b\[2Jboom'/,
  },
  {
    title: 'a long wrong string value is quoted short',
    files: { 'c.yaml': BASE_CONFIG.replace('backend: cpu', `backend: not_a_backend_but_a_long_value_${SECRET}`) },
    args: train(),
    message: without(/c\.yaml: backend \(line \d+\): .*got "not_a_backend_but_a_long_valu\.\.\."$/),
  },
];

corpus('secrets', cases);
