/** Small DOM helpers the panels share. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Let the browser draw and handle input before the next piece of work. */
export const nextTurn = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Redraw at most once per animation frame, however often `schedule` is called. */
export function frameScheduler(draw: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    const go = (): void => {
      pending = false;
      draw();
    };
    // A hidden or headless page may never paint: a timer draws anyway.
    if (document.visibilityState === 'visible') requestAnimationFrame(go);
    else setTimeout(go, 16);
  };
}
