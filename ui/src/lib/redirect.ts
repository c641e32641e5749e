/** A page to return to after sign-in: only a path of this site (never //host or a full URL). */
export function safeRedirect(value: unknown): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) {
    return "/projects";
  }
  if (value.startsWith("/sign-in") || value.startsWith("/setup")) return "/projects";
  return value;
}
