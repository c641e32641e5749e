// One name or path asked in a dialog: new folder, new file, rename, move and copy targets. The
// server's 422 on its path lands on the field.
import { zodResolver } from "@hookform/resolvers/zod";
import { Loader2Icon } from "lucide-react";
import { useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Field } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { applyServerErrors } from "@/lib/form";
import { nameSchema, type NameValues, targetSchema, type TargetValues } from "../schema";

export interface NameAsk {
  kind: "name" | "target"; // one name in this folder, or a path from the root
  title: string;
  description: string;
  label: string;
  submit: string;
  initial: string;
  onSubmit: (value: string) => Promise<unknown>;
}

export function NameDialog({ ask, onClose }: { ask: NameAsk | null; onClose: () => void }) {
  return (
    <Dialog open={ask !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent>{ask && <NameForm key={ask.title + ask.initial} ask={ask} onClose={onClose} />}</DialogContent>
    </Dialog>
  );
}

function NameForm({ ask, onClose }: { ask: NameAsk; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const [busy, setBusy] = useState(false);
  const schema = useMemo(() => (ask.kind === "name" ? nameSchema() : targetSchema()), [ask.kind, i18n.language]);
  const form = useForm<NameValues & TargetValues>({
    resolver: zodResolver(schema as never),
    defaultValues: { name: ask.initial, target: ask.initial },
  });
  const field = ask.kind === "name" ? "name" : "target";
  const error = form.formState.errors[field]?.message;
  const submit = form.handleSubmit(async (values) => {
    setBusy(true);
    try {
      await ask.onSubmit(ask.kind === "name" ? values.name : values.target);
      onClose();
    } catch (failure) {
      // The server names its fields path, from, to; here there is one.
      applyServerErrors(failure, form, { path: field, from: field, to: field, file: field });
    } finally {
      setBusy(false);
    }
  });
  return (
    <>
      <DialogHeader>
        <DialogTitle>{ask.title}</DialogTitle>
        <DialogDescription>{ask.description}</DialogDescription>
      </DialogHeader>
      <form id="storage-name-form" noValidate onSubmit={submit}>
        <Field label={ask.label} error={error}>
          {(props) => (
            <Input
              {...props}
              autoFocus
              autoComplete="off"
              spellCheck={false}
              onFocus={(event) => {
                // Select the name without its extension, as file managers do (after the form
                // has put its value in: autofocus comes first).
                const input = event.currentTarget;
                requestAnimationFrame(() => {
                  const value = input.value;
                  const slash = value.lastIndexOf("/") + 1;
                  const dot = value.lastIndexOf(".");
                  input.setSelectionRange(slash, dot > slash ? dot : value.length);
                });
              }}
              {...form.register(field)}
            />
          )}
        </Field>
      </form>
      <DialogFooter>
        <Button variant="outline" onClick={onClose}>
          {t("common.cancel")}
        </Button>
        <Button type="submit" form="storage-name-form" disabled={busy}>
          {busy && <Loader2Icon className="animate-spin" />}
          {ask.submit}
        </Button>
      </DialogFooter>
    </>
  );
}
