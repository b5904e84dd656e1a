/** @module Small collection helpers shared by the engines and services. */

/** Appends `value` to the list under `key`, creating it; linear in the number of values overall. */
export function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
