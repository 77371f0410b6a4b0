/**
 * A typed event with any number of listeners: what a hook several parts may
 * set is, instead of one callback slot the last writer owns.
 *
 * subscribe() returns the function that unsubscribes. emit() loops over a
 * plain array and allocates nothing; subscribing or unsubscribing replaces the
 * array, so a listener added or removed during emit() takes effect from the
 * next emit().
 */
export type Listener<T> = (value: T) => void;

export class Signal<T = void> {
  private listeners: readonly Listener<T>[] = [];

  /** Call `listener` on every emit() until the returned function is called. */
  subscribe(listener: Listener<T>): () => void {
    this.listeners = [...this.listeners, listener];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners = [...this.listeners.slice(0, i), ...this.listeners.slice(i + 1)];
    };
  }

  emit(value: T): void {
    const l = this.listeners;
    for (let i = 0; i < l.length; i++) l[i]!(value);
  }

  /** How many listeners are subscribed. */
  get size(): number {
    return this.listeners.length;
  }
}
