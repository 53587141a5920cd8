// The page's DOM helpers: elements are built from text children only, never from markup.
import { KNOWN_CLASSES } from './types.js';

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page has no #${id}`);
  return el as T;
}

export type Child = Node | string | null | undefined | false;
/** An element with text children: strings become text nodes, never markup. */
export function h(tag: string, props: { class?: string; title?: string; data?: Record<string, string> } = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title) el.title = props.title;
  for (const [k, v] of Object.entries(props.data ?? {})) el.dataset[k] = v;
  el.append(...present(...children));
  return el;
}
export const present = (...c: Child[]): (Node | string)[] => c.filter((x): x is Node | string => x !== null && x !== undefined && x !== false);
/** A class for a label or verdict only when it is one the stylesheet knows. */
export const cls = (v: string | undefined) => (v && KNOWN_CLASSES.has(v) ? v : '');
export const fmt = (p: number | null | undefined) => (p === null || p === undefined ? '–' : p.toFixed(3));
export const pct = (x: number) => (x * 100).toFixed(1) + '%';
