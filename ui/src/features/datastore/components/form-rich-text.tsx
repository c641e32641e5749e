// The rich text widgets of a text field (TipTap): `tiptap` stores HTML, `markdown` stores
// Markdown text (@tiptap/markdown parses and writes it). Loaded on first use (the `richtext`
// chunk), so pages without such a field never load TipTap and ProseMirror.
import { Markdown } from "@tiptap/markdown";
import { type Editor, EditorContent, useEditor, useEditorState } from "@tiptap/react";
import StarterKit from "@tiptap/starter-kit";
import {
  BoldIcon,
  CodeIcon,
  CodeXmlIcon,
  Heading2Icon,
  Heading3Icon,
  ItalicIcon,
  LinkIcon,
  ListIcon,
  ListOrderedIcon,
  QuoteIcon,
  StrikethroughIcon,
} from "lucide-react";
import { useEffect, useImperativeHandle, useRef, useState } from "react";
import type * as React from "react";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import { cn } from "@/lib/utils";
import type { TextEditorProps } from "./form-controls";

export interface RichTextProps extends TextEditorProps {
  format: "html" | "markdown";
}

// No typography plugin in the build: the content's elements are styled here.
const CONTENT = cn(
  "min-h-32 px-3 py-2 text-sm outline-none [&_p]:my-1.5 [&_h2]:mt-3 [&_h2]:mb-1.5 [&_h2]:text-lg [&_h2]:font-semibold [&_h3]:mt-2 [&_h3]:mb-1 [&_h3]:font-semibold",
  "[&_ul]:my-1.5 [&_ul]:list-disc [&_ul]:pl-6 [&_ol]:my-1.5 [&_ol]:list-decimal [&_ol]:pl-6 [&_a]:text-primary [&_a]:underline",
  "[&_code]:rounded [&_code]:bg-muted [&_code]:px-1 [&_code]:font-mono [&_code]:text-xs [&_pre]:my-2 [&_pre]:rounded-md [&_pre]:bg-muted [&_pre]:p-3 [&_pre_code]:bg-transparent [&_pre_code]:p-0",
  "[&_blockquote]:border-l-2 [&_blockquote]:pl-3 [&_blockquote]:text-muted-foreground [&_hr]:my-3",
);

/** The HTML without the empty paragraph TipTap keeps after a last list or code block (so the caret can get below it). */
const trimHtml = (html: string) => html.replace(/(<p><\/p>)+$/, "");

export default function RichText({ format, value, onChange, onBlur, aria, inputRef, disabled }: RichTextProps) {
  const { t } = useTranslation();
  // The editor is made once; it calls the latest handlers through these refs.
  const handlers = useRef({ onChange, onBlur });
  handlers.current = { onChange, onBlur };
  const editor = useEditor({
    extensions: [
      StarterKit.configure({ heading: { levels: [2, 3] }, link: { openOnClick: false, autolink: true, defaultProtocol: "https" } }),
      ...(format === "markdown" ? [Markdown] : []),
    ],
    content: value,
    contentType: format === "markdown" ? "markdown" : "html",
    editable: !disabled,
    editorProps: {
      attributes: {
        role: "textbox",
        "aria-multiline": "true",
        "aria-labelledby": aria["aria-labelledby"] ?? "",
        ...(aria["aria-describedby"] ? { "aria-describedby": aria["aria-describedby"] } : {}),
        ...(aria["aria-required"] ? { "aria-required": "true" } : {}),
        "aria-invalid": String(aria["aria-invalid"]),
        "data-testid": "rich-text",
        class: CONTENT,
      },
    },
    onUpdate: ({ editor }) => handlers.current.onChange(editor.isEmpty ? "" : format === "markdown" ? editor.getMarkdown().trimEnd() : trimHtml(editor.getHTML())),
    onBlur: () => handlers.current.onBlur?.(),
  });
  useImperativeHandle(inputRef, () => ({ focus: () => editor?.commands.focus() }), [editor]);
  const invalid = aria["aria-invalid"];
  useEffect(() => {
    editor?.setOptions({
      editorProps: { attributes: { ...(editor.options.editorProps.attributes as Record<string, string>), "aria-invalid": String(invalid) } },
    });
  }, [editor, invalid]);

  return (
    <div
      className={cn(
        "rounded-md border border-input shadow-xs focus-within:border-ring focus-within:ring-[3px] focus-within:ring-ring/50 dark:bg-input/30",
        aria["aria-invalid"] && "border-destructive",
      )}
    >
      {editor && <Toolbar editor={editor} disabled={disabled} label={t("datastore.form.toolbar")} />}
      <EditorContent editor={editor} />
      {format === "markdown" && <p className="border-t px-3 py-1 text-xs text-muted-foreground">{t("datastore.form.storedAsMarkdown")}</p>}
    </div>
  );
}

function Toolbar({ editor, disabled, label }: { editor: Editor; disabled?: boolean; label: string }) {
  const { t } = useTranslation();
  const state = useEditorState({
    editor,
    selector: ({ editor: e }) => ({
      bold: e.isActive("bold"),
      italic: e.isActive("italic"),
      strike: e.isActive("strike"),
      h2: e.isActive("heading", { level: 2 }),
      h3: e.isActive("heading", { level: 3 }),
      bulletList: e.isActive("bulletList"),
      orderedList: e.isActive("orderedList"),
      blockquote: e.isActive("blockquote"),
      code: e.isActive("code"),
      codeBlock: e.isActive("codeBlock"),
      link: e.isActive("link"),
    }),
  });
  const chain = () => editor.chain().focus();
  const tools: { key: keyof typeof state; icon: React.ComponentType; run: () => void }[] = [
    { key: "bold", icon: BoldIcon, run: () => chain().toggleBold().run() },
    { key: "italic", icon: ItalicIcon, run: () => chain().toggleItalic().run() },
    { key: "strike", icon: StrikethroughIcon, run: () => chain().toggleStrike().run() },
    { key: "h2", icon: Heading2Icon, run: () => chain().toggleHeading({ level: 2 }).run() },
    { key: "h3", icon: Heading3Icon, run: () => chain().toggleHeading({ level: 3 }).run() },
    { key: "bulletList", icon: ListIcon, run: () => chain().toggleBulletList().run() },
    { key: "orderedList", icon: ListOrderedIcon, run: () => chain().toggleOrderedList().run() },
    { key: "blockquote", icon: QuoteIcon, run: () => chain().toggleBlockquote().run() },
    { key: "code", icon: CodeIcon, run: () => chain().toggleCode().run() },
    { key: "codeBlock", icon: CodeXmlIcon, run: () => chain().toggleCodeBlock().run() },
  ];
  return (
    <div role="toolbar" aria-label={label} className="flex flex-wrap items-center gap-0.5 border-b p-1">
      {tools.map(({ key, icon: Icon, run }) => (
        <Button
          key={key}
          type="button"
          variant="ghost"
          size="icon-sm"
          className="size-7 aria-pressed:bg-accent aria-pressed:text-accent-foreground"
          aria-label={t(`datastore.form.tools.${key}`)}
          aria-pressed={state[key]}
          disabled={disabled}
          // The editor keeps the focus (and the caret) on a click: the mark applies to what is typed next.
          onMouseDown={(event) => event.preventDefault()}
          onClick={run}
        >
          <Icon />
        </Button>
      ))}
      <LinkTool editor={editor} active={state.link} disabled={disabled} />
    </div>
  );
}

function LinkTool({ editor, active, disabled }: { editor: Editor; active: boolean; disabled?: boolean }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [href, setHref] = useState("");
  const apply = (next: string) => {
    const chain = editor.chain().focus().extendMarkRange("link");
    if (next.trim()) chain.setLink({ href: next.trim() }).run();
    else chain.unsetLink().run();
    setOpen(false);
  };
  return (
    <Popover
      open={open}
      onOpenChange={(next) => {
        if (next) setHref((editor.getAttributes("link").href as string | undefined) ?? "");
        setOpen(next);
      }}
    >
      <PopoverTrigger asChild>
        <Button
          type="button"
          variant="ghost"
          size="icon-sm"
          className="size-7 aria-pressed:bg-accent aria-pressed:text-accent-foreground"
          aria-label={t("datastore.form.tools.link")}
          aria-pressed={active}
          disabled={disabled}
        >
          <LinkIcon />
        </Button>
      </PopoverTrigger>
      <PopoverContent className="grid w-80 gap-2 p-3" align="start" collisionPadding={16} aria-label={t("datastore.form.tools.link")}>
        <Input
          aria-label={t("datastore.form.linkAddress")}
          placeholder="https://"
          value={href}
          onChange={(event) => setHref(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter") {
              event.preventDefault();
              apply(href);
            }
          }}
        />
        <div className="flex justify-end gap-2">
          {active && (
            <Button type="button" variant="outline" size="sm" onClick={() => apply("")}>
              {t("datastore.form.removeLink")}
            </Button>
          )}
          <Button type="button" size="sm" onClick={() => apply(href)}>
            {t("datastore.form.applyLink")}
          </Button>
        </div>
      </PopoverContent>
    </Popover>
  );
}
