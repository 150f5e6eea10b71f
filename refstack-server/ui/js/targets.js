// Target programs and guideline lists (shared by the guideline browser and
// the result report).

/** Display names of the target programs (upstream UI labels). */
export const TARGET_LABELS = {
  platform: 'OpenStack Powered Platform',
  compute: 'OpenStack Powered Compute',
  object: 'OpenStack Powered Object Storage',
  dns: 'OpenStack with DNS',
  orchestration: 'OpenStack with Orchestration',
  shared_file_system: 'OpenStack with Shared File System',
  load_balancer: 'OpenStack with Load Balancer',
  key_manager: 'OpenStack with Key Manager',
};

const POWERED_TARGETS = ['platform', 'compute', 'object'];

/** Whether a target is an add-on program. */
export function isAddOn(target) {
  return !POWERED_TARGETS.includes(target);
}

/** The label of a target. */
export function targetLabel(target) {
  return TARGET_LABELS[target] || target;
}

/** The targets offered for a guideline list (GET /v1/guidelines): the powered ones plus listed add-ons. */
export function targetsOf(list) {
  const addOns = Object.keys(list).filter((k) => k !== 'powered' && Array.isArray(list[k]) && list[k].length);
  addOns.sort((a, b) => Object.keys(TARGET_LABELS).indexOf(a) - Object.keys(TARGET_LABELS).indexOf(b));
  return [...POWERED_TARGETS, ...addOns];
}

/** The guideline files for a target, newest first: [{name, file}]. */
export function filesFor(list, target) {
  const files = [...((isAddOn(target) ? list[target] : list.powered) || [])];
  files.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  return files;
}

/** The default file: the newest dated one (not next.json), else the first. */
export function defaultFile(files) {
  const dated = files.find((f) => f.name !== 'next.json');
  return dated ? dated.file : files.length ? files[0].file : null;
}

/** "2020.06.json" → "2020.06". */
export function versionOf(name) {
  return String(name).replace(/\.json$/, '');
}
