// Format on save: a setting of this browser (localStorage), off until the user turns it on.
import { useCallback, useState } from "react";

const KEY = "m3m.formatOnSave";

function stored(): boolean {
  try {
    return localStorage.getItem(KEY) === "on";
  } catch {
    return false; // storage refused (private mode): the default
  }
}

export function useFormatOnSave() {
  const [enabled, setEnabled] = useState(stored);
  const change = useCallback((next: boolean) => {
    setEnabled(next);
    try {
      localStorage.setItem(KEY, next ? "on" : "off");
    } catch {
      /* kept for this page only */
    }
  }, []);
  return [enabled, change] as const;
}
