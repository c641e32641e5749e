// i18next with English and Russian. The keys are typed from the English file (src/types/i18next.d.ts),
// so a missing key is a compile error; ru.ts has to have the same shape as en.ts.
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import en from "@/locales/en";
import ru from "@/locales/ru";

export const LANGUAGES = { en: "English", ru: "Русский" } as const;
export type Language = keyof typeof LANGUAGES;
const KEY = "m3m.lang";

function initialLanguage(): Language {
  try {
    const stored = localStorage.getItem(KEY);
    if (stored && stored in LANGUAGES) return stored as Language;
  } catch {
    /* no storage */
  }
  return navigator.language.toLowerCase().startsWith("ru") ? "ru" : "en";
}

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ru: { translation: ru } },
  lng: initialLanguage(),
  fallbackLng: "en",
  interpolation: { escapeValue: false }, // React escapes
  returnNull: false,
});
document.documentElement.lang = i18n.language;

export function setLanguage(language: Language) {
  void i18n.changeLanguage(language);
  document.documentElement.lang = language;
  try {
    localStorage.setItem(KEY, language);
  } catch {
    /* no storage */
  }
}

export function currentLanguage(): Language {
  return (i18n.language in LANGUAGES ? i18n.language : "en") as Language;
}

export default i18n;
