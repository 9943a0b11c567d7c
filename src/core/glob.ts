const cache = new Map<string, RegExp>();

/** Shell-style glob: `*` any run of characters, `?` one character. Case-sensitive. */
export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 's');
    if (cache.size > 1000) cache.clear();
    cache.set(glob, re);
  }
  return re;
}

export function globMatch(glob: string, value: string): boolean {
  if (glob === '*') return true;
  if (!glob.includes('*') && !glob.includes('?')) return glob === value;
  return globToRegExp(glob).test(value);
}
