/** What `$image` can encode: `toBytes`, `save`. */
type M3mImageFormat = 'png' | 'jpeg' | 'jpg' | 'webp' | 'gif' | 'bmp';

/**
 * An image held by the worker (its pixels never cross into JS): every operation changes it in
 * place and resolves to the same handle, so calls chain with `await`. Freed by `close()`, or at
 * the end of the request that opened it (one opened outside a request, e.g. in `$service.start`,
 * lives until `close()`). Rejects with `code` `image_closed` once freed.
 */
interface M3mImage {
  /** The host's id of the image. */
  readonly id: number;
  readonly width: number;
  readonly height: number;
  /** What it was decoded from: 'JPEG', 'PNG', 'GIF', 'WEBP', 'BMP'; null for a canvas. */
  readonly format: string | null;
  /** Pillow's mode: 'RGB', 'RGBA', 'L' (grey), 'LA', 'P', '1', 'CMYK'. */
  readonly mode: string;
  /**
   * Scale to width x height. `fit`: 'fill' (default: exactly that size, stretched), 'cover'
   * (fills it, the overflow cropped from the centre), 'contain' (fits inside, keeping the ratio;
   * with `background` padded to exactly that size). A width or height of 0/null keeps the ratio.
   */
  resize(width: number | null, height?: number | null, options?: { fit?: 'cover' | 'contain' | 'fill'; background?: string }): Promise<M3mImage>;
  /** Keep the box of width x height whose top-left corner is (x, y). */
  crop(x: number, y: number, width: number, height: number): Promise<M3mImage>;
  /** Shrink to fit inside width x height, keeping the ratio (never enlarges). */
  thumbnail(width: number, height: number): Promise<M3mImage>;
  /** Turn clockwise by `degrees`; the image grows to hold the turned corners. */
  rotate(degrees: number): Promise<M3mImage>;
  /** 'h' mirrors left-right (the default), 'v' turns upside down. */
  flip(direction?: 'h' | 'v'): Promise<M3mImage>;
  /** To grey (mode 'L', or 'LA' keeping the alpha). */
  grayscale(): Promise<M3mImage>;
  /** Gaussian blur of the radius in pixels (0 to 250; default 2). */
  blur(radius?: number): Promise<M3mImage>;
  /** To another Pillow mode, e.g. 'RGBA' to add alpha, 'L' for grey. */
  convert(mode: '1' | 'L' | 'LA' | 'P' | 'RGB' | 'RGBA' | 'CMYK'): Promise<M3mImage>;
  /** Lay `other` (an image or a `$draw` canvas) on this one at (x, y), blended by its alpha. */
  composite(other: M3mImage | M3mCanvasLike, x?: number, y?: number): Promise<M3mImage>;
  /** A copy (a new handle, counted in the worker's budget). */
  clone(): Promise<M3mImage>;
  /** The encoded bytes; `quality` (1-100) for jpeg and webp. Default png. */
  toBytes(format?: M3mImageFormat, options?: { quality?: number }): Promise<Uint8Array>;
  /** Encode into a file of `$storage` (format from `options.format`, else the extension). */
  save(path: string, options?: { format?: M3mImageFormat; quality?: number }): Promise<StorageEntry>;
  /** Free it now (its pixels leave the worker's budget); later calls reject with `image_closed`. */
  close(): void;
}

/** Anything held by the host as an image: an `M3mImage` or a `$draw` canvas. */
interface M3mCanvasLike { readonly id: number; readonly width: number; readonly height: number }

/**
 * Images with Pillow on the host. Limits (settings [image]): files and bytes up to
 * `image.max_bytes`; images up to `image.max_pixels` (a bigger one, a decompression bomb
 * included, is refused with `code` `image_too_large` before its pixels are decoded); a worker
 * holds at most `image.max_handles` images and `image.max_live_pixels` pixels (`image_budget`).
 */
declare const $image: {
  /** Decode an image (jpeg, png, gif, webp, bmp) from a path in `$storage` or its bytes. */
  open(source: string | Uint8Array): Promise<M3mImage>;
};
