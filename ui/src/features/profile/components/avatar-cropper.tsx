// Crop an image to a square: drag to move, the slider (or the wheel) to zoom; the result is a
// 256x256 PNG, the size the server stores.
import { Loader2Icon } from "lucide-react";
import { Slider } from "radix-ui";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";

const VIEW = 256;

export function AvatarCropper({
  file,
  onCancel,
  onCropped,
  busy,
}: {
  file: File | null;
  onCancel: () => void;
  onCropped: (blob: Blob) => void;
  busy: boolean;
}) {
  const { t } = useTranslation();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [image, setImage] = useState<HTMLImageElement | null>(null);
  const [zoom, setZoom] = useState(1);
  const [offset, setOffset] = useState({ x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number } | null>(null);

  useEffect(() => {
    if (!file) return;
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      setImage(img);
      setZoom(1);
      setOffset({ x: 0, y: 0 });
    };
    img.src = url;
    return () => URL.revokeObjectURL(url);
  }, [file]);

  // The image covers the square at zoom 1; the offset is kept inside so no empty edge shows.
  const scale = image ? (VIEW / Math.min(image.width, image.height)) * zoom : 1;
  const clamp = (next: { x: number; y: number }) => {
    if (!image) return next;
    const maxX = Math.max(0, (image.width * scale - VIEW) / 2);
    const maxY = Math.max(0, (image.height * scale - VIEW) / 2);
    return { x: Math.min(maxX, Math.max(-maxX, next.x)), y: Math.min(maxY, Math.max(-maxY, next.y)) };
  };

  useEffect(() => {
    const context = canvas.current?.getContext("2d");
    if (!context || !image) return;
    const at = clamp(offset);
    context.clearRect(0, 0, VIEW, VIEW);
    const width = image.width * scale;
    const height = image.height * scale;
    context.drawImage(image, (VIEW - width) / 2 + at.x, (VIEW - height) / 2 + at.y, width, height);
  });

  return (
    <Dialog open={file !== null} onOpenChange={(open) => !open && onCancel()}>
      <DialogContent className="sm:max-w-sm">
        <DialogHeader>
          <DialogTitle>{t("profile.cropTitle")}</DialogTitle>
          <DialogDescription>{t("profile.cropText")}</DialogDescription>
        </DialogHeader>
        <div className="grid justify-items-center gap-4">
          <canvas
            ref={canvas}
            width={VIEW}
            height={VIEW}
            className="size-64 cursor-grab touch-none rounded-full border bg-muted active:cursor-grabbing"
            aria-label={t("profile.cropArea")}
            role="img"
            data-testid="avatar-crop"
            onPointerDown={(event) => {
              event.currentTarget.setPointerCapture(event.pointerId);
              drag.current = { x: event.clientX - offset.x, y: event.clientY - offset.y };
            }}
            onPointerMove={(event) => {
              if (drag.current) setOffset(clamp({ x: event.clientX - drag.current.x, y: event.clientY - drag.current.y }));
            }}
            onPointerUp={() => (drag.current = null)}
            onWheel={(event) => setZoom((value) => Math.min(4, Math.max(1, value - event.deltaY / 500)))}
          />
          <Slider.Root
            className="relative flex h-5 w-56 touch-none items-center select-none"
            min={1}
            max={4}
            step={0.01}
            value={[zoom]}
            onValueChange={([value]) => setZoom(value ?? 1)}
          >
            <Slider.Track className="relative h-1.5 grow overflow-hidden rounded-full bg-muted">
              <Slider.Range className="absolute h-full bg-primary" />
            </Slider.Track>
            <Slider.Thumb
              aria-label={t("profile.zoom")}
              className="block size-4 rounded-full border border-primary bg-background shadow-sm outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50"
            />
          </Slider.Root>
        </div>
        <DialogFooter>
          <Button variant="outline" onClick={onCancel}>
            {t("common.cancel")}
          </Button>
          <Button
            disabled={!image || busy}
            onClick={() => canvas.current?.toBlob((blob) => blob && onCropped(blob), "image/png")}
          >
            {busy && <Loader2Icon className="animate-spin" />}
            {t("profile.useAvatar")}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
