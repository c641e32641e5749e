/**
 * The project's environment variables, read when the service starts: a variable changed
 * in the editor reaches the service at its next start or restart.
 */
declare const $env: {
  /**
   * The variable's value, typed: String/Text -> string, Json -> its value, Integer/Float ->
   * number, Boolean -> boolean. A missing key gives `fallback` (undefined without one).
   */
  get(key: string, fallback?: any): any;
};
