/** A CSS colour: a name ('tomato', 'white'), hex ('#f80', '#ff8800', '#ff880080'), 'rgb(...)' or 'hsl(...)'. */
type M3mColor = string;

/** How a shape is painted: `fill` (default black when no `stroke` is given), `stroke` and its `width` in pixels. */
interface M3mDrawStyle { fill?: M3mColor; stroke?: M3mColor; width?: number }

/** How a line or an arc is painted. */
interface M3mDrawPen { color?: M3mColor; width?: number }

interface M3mTextOptions {
  /** Pixels (default 16). */
  size?: number;
  color?: M3mColor;
  /** The bundled DejaVu Sans (Latin, Cyrillic, Greek and more): 'sans' (default) or 'sans-bold'. */
  font?: 'sans' | 'sans-bold';
  /** Where x is: the left edge (default), the middle or the right edge of each line. */
  align?: 'left' | 'center' | 'right';
  /** Wrap words onto new lines past this width in pixels. */
  maxWidth?: number;
}

/**
 * The box text covers when drawn at (0, 0) with the same options: down, from the top of the
 * highest glyph to the bottom of the lowest; across, the pen's advance (the ink of the first and
 * last letters may start and end a pixel or a few inside it).
 */
interface M3mTextMetrics {
  width: number;
  height: number;
  /** The lines after wrapping. */
  lines: string[];
  box: { left: number; top: number; right: number; bottom: number };
}

/**
 * A canvas held by the worker, counted and freed like an `$image` image (close(), or the end of
 * the request that made it). Drawing calls return the canvas, so they chain. Coordinates are
 * pixels from the top-left corner. On an opaque background translucent colours blend; on a
 * transparent one they replace what they cover.
 */
interface M3mCanvas {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  rect(x: number, y: number, width: number, height: number, style?: M3mDrawStyle): M3mCanvas;
  roundedRect(x: number, y: number, width: number, height: number, radius: number, style?: M3mDrawStyle): M3mCanvas;
  circle(cx: number, cy: number, r: number, style?: M3mDrawStyle): M3mCanvas;
  ellipse(cx: number, cy: number, rx: number, ry: number, style?: M3mDrawStyle): M3mCanvas;
  line(x1: number, y1: number, x2: number, y2: number, pen?: M3mDrawPen): M3mCanvas;
  /** A closed shape through the [x, y] points (3 or more). */
  polygon(points: [number, number][], style?: M3mDrawStyle): M3mCanvas;
  /** Clockwise from `start` to `end` degrees, 0 at three o'clock. */
  arc(cx: number, cy: number, r: number, start: number, end: number, pen?: M3mDrawPen): M3mCanvas;
  /** Text with the top of its first line at y (see `align` for x); `\n` breaks lines. */
  text(x: number, y: number, text: string, options?: M3mTextOptions): M3mCanvas;
  measureText(text: string, options?: M3mTextOptions): M3mTextMetrics;
  /** Draw an image (an `$image` handle, another canvas, or encoded bytes) at (x, y), scaled to width x height when given. */
  image(source: M3mImage | M3mCanvas | Uint8Array, x?: number, y?: number, width?: number, height?: number): Promise<M3mCanvas>;
  /** The encoded canvas (png by default). */
  toBytes(format?: M3mImageFormat, options?: { quality?: number }): Promise<Uint8Array>;
  /** Encode into a file of `$storage` (format from `options.format`, else the extension). */
  save(path: string, options?: { format?: M3mImageFormat; quality?: number }): Promise<StorageEntry>;
  close(): void;
}

/** Drawing with Pillow on the host; sizes are bounded by the [image] settings, text by [draw]. */
declare const $draw: {
  /** A new canvas, transparent unless `background` is given. */
  canvas(width: number, height: number, options?: { background?: M3mColor }): M3mCanvas;
  measureText(text: string, options?: M3mTextOptions): M3mTextMetrics;
};
