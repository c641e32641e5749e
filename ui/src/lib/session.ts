// The signed-in session: the bearer token, kept in localStorage so a reload keeps you signed in.
import { useSyncExternalStore } from "react";

const KEY = "m3m.token";
const listeners = new Set<() => void>();

function read(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: a session lasts as long as the tab
  }
}

let token: string | null = read();

function emit() {
  for (const listener of listeners) listener();
}

export const session = {
  token: () => token,
  signIn(next: string) {
    token = next;
    try {
      localStorage.setItem(KEY, next);
    } catch {
      /* kept in memory only */
    }
    emit();
  },
  signOut() {
    token = null;
    try {
      localStorage.removeItem(KEY);
    } catch {
      /* nothing stored */
    }
    emit();
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab signing in or out is followed here too.
window.addEventListener("storage", (event) => {
  if (event.key === KEY) {
    token = event.newValue;
    emit();
  }
});

export function useToken() {
  return useSyncExternalStore(session.subscribe, session.token);
}
