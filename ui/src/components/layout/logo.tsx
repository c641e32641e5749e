export function Logo() {
  return (
    <span className="flex items-center gap-2 font-semibold tracking-tight">
      <span aria-hidden="true" className="flex size-6 items-center justify-center rounded-md bg-primary text-sm leading-none font-bold text-primary-foreground">
        m
      </span>
      <span>m3m</span>
    </span>
  );
}
